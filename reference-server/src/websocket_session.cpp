// The WebSocket sessions the server uses, over plain TCP and over TLS (the two instantiations of
// websocket_session_impl.hpp), and the pool of write batches both share.
#include "websocket_session.hpp"

#include "websocket_session_impl.hpp"

#ifndef CHAT_NO_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/beast/http/field.hpp>

#include <vector> // vector

namespace chat_server {

namespace http = boost::beast::http;
using tcp = net::ip::tcp;

std::unique_ptr<write_batch> write_batch::acquire() {
    auto& pool = write_batch_pool();
    if (pool.empty())
        return std::make_unique<write_batch>();
    auto b = std::move(pool.back());
    pool.pop_back();
    return b;
}

void write_batch::release(std::unique_ptr<write_batch> b) {
    auto& pool = write_batch_pool();
    if (b && pool.size() < 256)
        pool.push_back(std::move(b));
}

std::vector<std::unique_ptr<write_batch>>& write_batch::write_batch_pool() {
    thread_local std::vector<std::unique_ptr<write_batch>> pool;
    return pool;
}

template class websocket_session<connection_socket>;
#ifndef CHAT_NO_TLS
// wss://: the same session over TLS. ssl::stream writes one buffer of a gather list per TLS
// record, so a batch costs several records; after the close handshake the TLS connection ends
// with close_notify (stream_ops in websocket_session_impl.hpp).
template class websocket_session<net::ssl::stream<connection_socket>>;
#endif

void run_websocket_session(connection_socket socket, http::request<http::string_body> request,
                           std::string early, std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state) {
    std::make_shared<websocket_session<connection_socket>>(std::move(socket), std::move(r),
                                                           std::move(user), std::move(state))
        ->run(request[http::field::sec_websocket_key], std::move(early));
}

#ifndef CHAT_NO_TLS
void run_websocket_session(net::ssl::stream<connection_socket> stream,
                           http::request<http::string_body> request, std::string early,
                           std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state) {
    std::make_shared<websocket_session<net::ssl::stream<connection_socket>>>(
        std::move(stream), std::move(r), std::move(user), std::move(state))
        ->run(request[http::field::sec_websocket_key], std::move(early));
}
#endif

} // namespace chat_server
