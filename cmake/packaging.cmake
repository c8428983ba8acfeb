# Install rules and the Debian package (`cpack -G DEB` in a build directory).
#
# The package installs the three programs, the conformance gate script (as chat-conform-gate),
# SPEC.md, the READMEs and the load scenarios. Its dependencies are the Debian runtime packages
# that provide the shared libraries the programs link; ci/package-check.sh checks that every
# library `ldd` shows is provided by a declared package, so the list cannot drift silently.
include(GNUInstallDirs)
set(chat_docdir ${CMAKE_INSTALL_DATADIR}/doc/chat-compliance)

foreach(program chat-server chat-conform chat-load)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  endif()
endforeach()
install(PROGRAMS ci/conform-gate.sh DESTINATION ${CMAKE_INSTALL_BINDIR}
        RENAME chat-conform-gate COMPONENT runtime)
install(FILES SPEC.md README.md DESTINATION ${chat_docdir} COMPONENT runtime)
install(FILES conformance/README.md DESTINATION ${chat_docdir}
        RENAME README.conformance.md COMPONENT runtime)
install(FILES loadgen/README.md DESTINATION ${chat_docdir}
        RENAME README.loadgen.md COMPONENT runtime)
install(DIRECTORY loadgen/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/chat-compliance/scenarios
        COMPONENT runtime FILES_MATCHING PATTERN "*.ini")

set(CPACK_PACKAGE_NAME "chat-compliance")
set(CPACK_PACKAGE_VENDOR "chat-protocol compliance suite")
set(CPACK_PACKAGE_CONTACT "chat-compliance maintainers <maintainers@chat-compliance.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "WebSocket chat server conformance runner, load generator and reference server")
set(CPACK_PACKAGE_DESCRIPTION
    "chat-conform checks a chat server against every clause of SPEC.md over real sockets; \
chat-load simulates thousands of clients and measures fan-out latency, loss and capacity; \
chat-server is the reference implementation.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://chat-compliance.invalid/")
# Debian 12's runtime packages for what the programs link (see ci/package-check.sh).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libssl3 (>= 3.0.0), \
libboost-json1.81.0, libboost-url1.81.0")
# chat-server --cluster links the NATS C client (Debian 12: libnats3.4); ps is the gate's.
if(CHAT_HAVE_NATS)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libnats3.4")
endif()
string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", procps")
# The gate script asks /health with curl when it is there (bash's /dev/tcp otherwise).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "curl")
set(CPACK_STRIP_FILES ON)
include(CPack)

# The package builds, declares what it needs, and its programs run from the unpacked paths.
# Sanitizer builds are left out: their programs need the sanitizer runtimes, which no release
# package declares; so is the Windows cross build (a .deb of .exe files is no package).
find_program(CHAT_DPKG_DEB dpkg-deb)
if(CHAT_BUILD_TESTS AND CHAT_DPKG_DEB AND TARGET chat-server AND TARGET chat-conform
   AND TARGET chat-load AND NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize" AND NOT WIN32)
  add_test(NAME "package: the .deb declares its dependencies and its programs run"
           COMMAND ${PROJECT_SOURCE_DIR}/ci/package-check.sh ${PROJECT_BINARY_DIR})
  set_tests_properties("package: the .deb declares its dependencies and its programs run"
                       PROPERTIES TIMEOUT 600 RUN_SERIAL ON)
endif()
