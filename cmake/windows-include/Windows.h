// Boost 1.81 includes <Windows.h>; mingw-w64 ships windows.h, and Linux file systems care.
#include <windows.h>
