#include <windows.h>

#include "support/process_probe.hpp"

namespace pipeline::testing {

bool process_gone(long pid) {
  HANDLE process =
      OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
  if (!process) return true;  // no such process (any more)
  const bool exited = WaitForSingleObject(process, 0) == WAIT_OBJECT_0;
  CloseHandle(process);
  return exited;
}

}  // namespace pipeline::testing
