// Whether this build speaks TLS (https://, wss://), and the one line a build without it says.
#pragma once

#include <string> // string

namespace chat {

// False in a build configured with -DCHAT_TLS=OFF (the Windows cross build: Debian has no
// OpenSSL for that target; CMake then defines CHAT_NO_TLS on every target), where
// parse_base_url refuses https:// and wss://, and chat-server refuses --tls-cert.
#ifdef CHAT_NO_TLS
inline constexpr bool tls_supported = false;
#else
inline constexpr bool tls_supported = true;
#endif

// The refusal, naming the build, on one line:
// "https:// and wss:// are not available in this Windows build, which has no TLS; use http://
// or ws://".
std::string tls_unsupported_message();

} // namespace chat
