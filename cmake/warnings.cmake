# One INTERFACE target carries the project's compiler flags; every target links it.
add_library(chat_warnings INTERFACE)
if(MSVC)
  target_compile_options(chat_warnings INTERFACE /W4 /permissive- /bigobj)
  target_compile_definitions(chat_warnings INTERFACE _WIN32_WINNT=0x0A00)
else()
  target_compile_options(chat_warnings INTERFACE -Wall -Wextra -Wpedantic)
  # GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s std::string concatenation, a
  # known false positive (GCC PR 105329); it would fail -Werror builds of correct code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(chat_warnings INTERFACE -Wno-restrict)
  endif()
endif()
option(CHAT_WERROR "Treat warnings as errors" OFF)
if(CHAT_WERROR AND NOT MSVC)
  target_compile_options(chat_warnings INTERFACE -Werror)
endif()
# No deprecated Asio interfaces anywhere (Beast 1.81 uses std::string_view by itself).
target_compile_definitions(chat_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED)
