# Cross build for 64-bit Windows with Debian's MinGW-w64 (posix threads: std::thread, C++20
# coroutines), run under wine64: cmake --preset windows (installed by ci/install-deps.sh windows).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
# Libraries and packages come from the MinGW root only: the host's are Linux ELF files.
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# One self-contained .exe each (libstdc++, libgcc, winpthread linked in): nothing to copy
# beside it, under wine or on a Windows machine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# Beast's templates overflow COFF's 32,768 sections per object file.
set(CMAKE_CXX_FLAGS_INIT "-Wa,-mbig-obj")
# ctest runs the test programs through wine64 where it is installed (Debian: /usr/lib/wine).
find_program(CHAT_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(CHAT_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CHAT_WINE64})
endif()
