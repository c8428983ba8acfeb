# Dependencies of the Windows cross build, from Debian's host headers (nothing is fetched):
# Boost 1.81 header-only (Asio, Beast; Boost.JSON and Boost.URL compiled from their src.hpp),
# nlohmann/json, CLI11 and Catch2 2.13. Only those folders are exposed to the cross compiler,
# through links in the build tree, so it never sees the host's glibc headers in /usr/include.
set(chat_host_headers ${CMAKE_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${chat_host_headers})
foreach(dir boost nlohmann CLI catch2)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} is missing: run ./ci/install-deps.sh windows")
  endif()
  if(NOT EXISTS ${chat_host_headers}/${dir})
    file(CREATE_LINK /usr/include/${dir} ${chat_host_headers}/${dir} SYMBOLIC)
  endif()
endforeach()

add_library(chat_host_headers INTERFACE)
target_include_directories(chat_host_headers SYSTEM INTERFACE ${chat_host_headers})

# Boost::headers: Asio needs Winsock 2 (ws2_32, mswsock) and a Windows 10 API level.
add_library(chat_boost_headers INTERFACE)
target_link_libraries(chat_boost_headers INTERFACE chat_host_headers ws2_32 mswsock)
target_compile_definitions(chat_boost_headers INTERFACE _WIN32_WINNT=0x0A00 BOOST_ALL_NO_LIB)
add_library(Boost::headers ALIAS chat_boost_headers)

# Boost.JSON and Boost.URL: their "header-only" mode is one translation unit including src.hpp.
foreach(lib json url)
  file(WRITE ${CMAKE_BINARY_DIR}/boost_${lib}_src.cpp
       "// Boost.${lib} compiled from its header-only sources (Windows cross build).\n"
       "#include <boost/${lib}/src.hpp>\n")
  add_library(chat_boost_${lib} STATIC ${CMAKE_BINARY_DIR}/boost_${lib}_src.cpp)
  target_link_libraries(chat_boost_${lib} PUBLIC chat_boost_headers)
  add_library(Boost::${lib} ALIAS chat_boost_${lib})
endforeach()

add_library(chat_nlohmann_json INTERFACE)
target_link_libraries(chat_nlohmann_json INTERFACE chat_host_headers)
add_library(nlohmann_json::nlohmann_json ALIAS chat_nlohmann_json)

add_library(chat_cli11 INTERFACE)
target_link_libraries(chat_cli11 INTERFACE chat_host_headers)
add_library(CLI11::CLI11 ALIAS chat_cli11)

add_library(chat_catch2 INTERFACE)
target_link_libraries(chat_catch2 INTERFACE chat_host_headers)
add_library(Catch2::Catch2 ALIAS chat_catch2)
# Catch.cmake (catch_discover_tests) from Debian's catch2 package; see its override below.
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)

# Catch2 2.13 lists a test binary's cases by running it right after the link; here that would
# need wine during the build. One ctest per test binary instead, run through
# CMAKE_CROSSCOMPILING_EMULATOR (wine64) by ctest; tests/windows_wine.sh runs them all. A
# program that crashes under Wine 8 exits 0, so a pass is Catch2's own "All tests passed" line.
macro(chat_discover_tests_whole target)
  cmake_parse_arguments(chat_dt "" "TEST_PREFIX" "PROPERTIES" ${ARGN})
  add_test(NAME "${chat_dt_TEST_PREFIX}${target}" COMMAND ${target})
  set_tests_properties("${chat_dt_TEST_PREFIX}${target}" PROPERTIES LABELS windows
                       PASS_REGULAR_EXPRESSION "All tests passed")
endmacro()
