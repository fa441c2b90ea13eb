# Cross-build for 64-bit Windows with Debian's mingw-w64 (posix threads), tests run under wine.
# Usage: cmake -S . -B build-win -G Ninja --toolchain cmake/mingw-w64-x86_64.cmake
#          -DPIPELINE_WIN_DEPS=<prefix built by tools/windows/build-deps.sh>
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${triple}-g++-posix)
set(CMAKE_RC_COMPILER ${triple}-windres)
set(CMAKE_AR /usr/bin/${triple}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB /usr/bin/${triple}-gcc-ranlib-posix CACHE FILEPATH "")

# Headers and libraries come from the mingw prefix and from our own prefix of cross-built and
# header-only dependencies, never from the build machine's /usr/include (glibc's).
set(PIPELINE_WIN_DEPS "" CACHE PATH "prefix of the cross-built dependencies")
set(CMAKE_FIND_ROOT_PATH /usr/${triple} ${PIPELINE_WIN_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Programs need no DLL of ours or of the compiler's; tests run through wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/wine)
