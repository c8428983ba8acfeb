// The WebSocket session for plain TCP: the one instantiation of websocket_session_impl.hpp the
// server uses, and the pool of write batches every instantiation shares.
#include "websocket_session.hpp"

#include "websocket_session_impl.hpp"

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

template class websocket_session<tcp::socket>;

void run_websocket_session(tcp::socket socket, http::request<http::string_body> request,
                           std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state) {
    std::make_shared<websocket_session<tcp::socket>>(std::move(socket), std::move(r),
                                                     std::move(user), std::move(state))
        ->run(request[http::field::sec_websocket_key]);
}

} // namespace chat_server
