#!/usr/bin/env python3
"""Writes a copy of the mingw-w64 libstdc++'s <bits/fs_path.h> in which turning a std::string
(or std::string_view) into a std::filesystem::path does not compile, so that the Windows
build of the runner and its stage programs proves it has no such conversion left.

Why: on Windows GCC 12's libstdc++ reads a char string as a path byte by byte, so UTF-8 text
like "Données" names another file ("DonnÃ©es"). Every text that becomes a path must go
through util/paths.hpp's path_from_text() instead. A string literal still converts (it is
ASCII in our code). Each call site gets its own error (a unique lambda type per use of the
template), not only the first one of each file.
    tools/windows/path_probe.py COMPILER OUT_DIR    -> OUT_DIR/bits/fs_path.h
"""
import pathlib
import subprocess
import sys

compiler, out_dir = sys.argv[1], pathlib.Path(sys.argv[2])
header = subprocess.run([compiler, "-print-file-name=include/c++/bits/fs_path.h"],
                        capture_output=True, text=True, check=True).stdout.strip()
text = pathlib.Path(header).read_text()

ASSERT = ('static_assert(!(std::is_same_v<_Source, std::string> || '
          'std::is_same_v<_Source, std::string_view>), "a std::string becomes a path here: '
          'use pipeline::path_from_text() (util/paths.hpp)");')
EDITS = [
    ("""    template<typename _Source,
	     typename _Require = __detail::_Path<_Source>>
      path(_Source const& __source, format = auto_format)
      : _M_pathname(_S_convert(__detail::__effective_range(__source)))
      { _M_split_cmpts(); }""",
     """    template<typename _Source,
	     typename _Require = __detail::_Path<_Source>, auto __unique = []{}>
      path(_Source const& __source, format = auto_format)
      : _M_pathname(_S_convert(__detail::__effective_range(__source)))
      { """ + ASSERT + """ _M_split_cmpts(); }"""),
    ("""    template<typename _Source>
      __detail::_Path<_Source>&
      operator/=(_Source const& __source)
      {""",
     """    template<typename _Source, auto __unique = []{}>
      __detail::_Path<_Source>&
      operator/=(_Source const& __source)
      { """ + ASSERT),
]
for old, new in EDITS:
    if old not in text:
        sys.exit(f"path_probe: {header} has changed; update tools/windows/path_probe.py")
    text = text.replace(old, new)
target = out_dir / "bits" / "fs_path.h"
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(text)
print(f"path probe: {target}")
