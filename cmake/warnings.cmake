# One INTERFACE target carries the project's compiler flags; every target links it.
add_library(chat_warnings INTERFACE)
if(MSVC)
  target_compile_options(chat_warnings INTERFACE /W4 /permissive- /bigobj)
  target_compile_definitions(chat_warnings INTERFACE _WIN32_WINNT=0x0A00)
else()
  target_compile_options(chat_warnings INTERFACE -Wall -Wextra -Wpedantic)
endif()
option(CHAT_WERROR "Treat warnings as errors" OFF)
if(CHAT_WERROR AND NOT MSVC)
  target_compile_options(chat_warnings INTERFACE -Werror)
endif()
# Asio coroutines and a predictable Beast configuration everywhere.
target_compile_definitions(chat_warnings INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW)
