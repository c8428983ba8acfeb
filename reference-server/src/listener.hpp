// Accepts TCP connections and hands each to an HTTP session on a strand of the server's pool.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory> // shared_ptr, enable_shared_from_this
#include <string> // string

namespace chat_server {

namespace net = boost::asio;
struct server_state;

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(net::io_context& ioc, std::shared_ptr<server_state> state);

    // Binds and listens; on failure says what and where ("cannot listen on ...").
    std::string open(const net::ip::tcp::endpoint& endpoint);
    net::ip::tcp::endpoint local_endpoint() const;

    void run();  // starts accepting
    void stop(); // stops accepting (thread-safe)

private:
    void do_accept();

    std::shared_ptr<server_state> state_;
    net::ip::tcp::acceptor acceptor_;
    net::steady_timer retry_;
    unsigned long failing_ = 0; // accept failures in a row (strand only)
};

} // namespace chat_server
