// The server's TLS context, from --tls-cert and --tls-key.
#pragma once

#include <memory> // shared_ptr
#include <string> // string

namespace boost::asio::ssl {
class context;
}

namespace chat_server {

// Loads the PEM certificate chain `cert` and private key `key` into a new server context.
// Returns "" and sets `out`, or a one-line error naming the flag, the file and OpenSSL's reason.
std::string make_tls_context(const std::string& cert, const std::string& key,
                             std::shared_ptr<boost::asio::ssl::context>& out);

} // namespace chat_server
