#error "Windows stage launch (Job Object, CREATE_SUSPENDED, CTRL_BREAK): issue 9, not written yet"
