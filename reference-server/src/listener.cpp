// The accept loop.
#include "listener.hpp"

#include "http_session.hpp"
#include "server_state.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <cctype>  // tolower
#include <chrono>  // milliseconds
#include <utility> // move

namespace chat_server {

using tcp = net::ip::tcp;

listener::listener(net::io_context& ioc, std::shared_ptr<server_state> state)
    : state_(std::move(state)), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()) {
}

std::string listener::open(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor_.bind(endpoint, ec);
    if (!ec)
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (!ec)
        return {};
    std::string why = ec.message();
    if (!why.empty())
        why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    std::string where = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                   : endpoint.address().to_string();
    std::string text =
        "cannot listen on " + where + ":" + std::to_string(endpoint.port()) + ": " + why;
    if (ec == net::error::address_in_use)
        text += " (stop whatever uses it, or pick another --port; 0 picks a free one)";
    return text;
}

tcp::endpoint listener::local_endpoint() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec);
}

void listener::run() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ec;
        self->acceptor_.close(ec);
        self->retry_.cancel();
    });
}

void listener::do_accept() {
    // Each connection runs on a strand of the server's pool (server_state::connection_strand).
    acceptor_.async_accept(
        state_->connection_strand(),
        [self = shared_from_this()](boost::system::error_code ec, connection_socket socket) {
            if (!self->acceptor_.is_open())
                return;
            if (ec) {
                // Out of descriptors, for instance: say so once, and try again shortly rather
                // than spin; the connection waits in the backlog meanwhile.
                if (self->failing_++ == 0)
                    self->state_->log.write(log_level::error, "accept failed: " + ec.message() +
                                                                  "; retrying every 100 ms");
                self->retry_.expires_after(std::chrono::milliseconds(100));
                self->retry_.async_wait([self](boost::system::error_code e) {
                    if (!e)
                        self->do_accept();
                });
                return;
            }
            if (self->failing_ != 0) {
                self->state_->log.write(log_level::warn, "accepting again after " +
                                                             std::to_string(self->failing_) +
                                                             " failed attempts");
                self->failing_ = 0;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            run_connection(std::move(socket), self->state_);
            self->do_accept();
        });
}

} // namespace chat_server
