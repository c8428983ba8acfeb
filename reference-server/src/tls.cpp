// TLS context setup with OpenSSL's own calls, so a failure names OpenSSL's reason.
#include "tls.hpp"

#include "chat/tls_support.hpp"

#ifndef CHAT_NO_TLS
#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>  // errno
#include <cstdio>  // fopen
#include <cstring> // strerror
#endif

namespace chat_server {

#ifndef CHAT_NO_TLS
namespace {

// OpenSSL's reasons, root cause first ("no start line; PEM lib"), then clears the queue.
std::string openssl_reason() {
    std::string text;
    while (unsigned long e = ::ERR_get_error()) {
        const char* reason = ::ERR_reason_error_string(e);
        std::string r = reason ? reason : "error " + std::to_string(e);
        if (text.find(r) == std::string::npos)
            text += (text.empty() ? "" : "; ") + r;
    }
    return text.empty() ? "unknown OpenSSL error" : text;
}

// "" when `path` can be opened for reading, else why not.
std::string unreadable(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return std::strerror(errno);
    std::fclose(f);
    return {};
}

} // namespace

std::string make_tls_context(const std::string& cert, const std::string& key,
                             std::shared_ptr<boost::asio::ssl::context>& out) {
    namespace ssl = boost::asio::ssl;
    if (cert.empty() || key.empty())
        return std::string(
                   "--tls-cert and --tls-key go together: give both or neither (got only ") +
               (cert.empty() ? "--tls-key" : "--tls-cert") + ")";
    if (auto why = unreadable(cert); !why.empty())
        return "--tls-cert '" + cert + "': cannot read it: " + why;
    if (auto why = unreadable(key); !why.empty())
        return "--tls-key '" + key + "': cannot read it: " + why;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    SSL_CTX* native = ctx->native_handle();
    ::ERR_clear_error();
    if (::SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1)
        return "--tls-cert '" + cert + "': not a usable PEM certificate: " + openssl_reason();
    if (::SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        auto why = openssl_reason();
        if (why.find("mismatch") != std::string::npos)
            return "--tls-key '" + key + "' does not belong to the certificate in --tls-cert '" +
                   cert + "': " + why;
        return "--tls-key '" + key + "': not a usable PEM private key: " + why;
    }
    if (::SSL_CTX_check_private_key(native) != 1)
        return "--tls-key '" + key + "' does not belong to the certificate in --tls-cert '" + cert +
               "': " + openssl_reason();
    out = std::move(ctx);
    return {};
}

#else

// A build without TLS (the Windows cross build) refuses --tls-cert/--tls-key in one line.
std::string make_tls_context(const std::string&, const std::string&,
                             std::shared_ptr<boost::asio::ssl::context>&) {
    return "--tls-cert/--tls-key: " + chat::tls_unsupported_message();
}

#endif

} // namespace chat_server
