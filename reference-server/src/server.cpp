// Start-up, the thread pool and graceful shutdown.
#include "server.hpp"

#include "backplane.hpp"
#include "listener.hpp"
#include "server_state.hpp"
#include "tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm> // max
#include <chrono>    // milliseconds, steady_clock
#include <csignal>   // SIGINT, SIGTERM
#include <utility>   // move

namespace chat_server {

namespace {

unsigned thread_count(const server_config& c) {
    if (c.threads != 0)
        return c.threads;
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace

server::server(const server_config& config, std::shared_ptr<fault_hooks> faults)
    : ioc_(static_cast<int>(thread_count(config))),
      state_(std::make_shared<server_state>(ioc_, config, std::move(faults), thread_count(config))),
      listener_(std::make_shared<listener>(ioc_, state_)) {}

server::~server() {
    if (!threads_.empty())
        stop();
    backplane_.reset(); // its threads post to rooms: gone before the rooms let go
    // Rooms hold their members; let go of them while the io_context still exists.
    state_->rooms.clear_members();
}

std::string server::listen() {
    boost::system::error_code ec;
    auto address = net::ip::make_address(state_->config.address, ec);
    if (ec)
        return "--address must be an IPv4 or IPv6 address (got '" + state_->config.address + "')";
    if (!state_->config.tls_cert.empty() || !state_->config.tls_key.empty()) {
        auto tls_error =
            make_tls_context(state_->config.tls_cert, state_->config.tls_key, state_->tls);
        if (!tls_error.empty())
            return tls_error;
    }
    if (!state_->config.cluster.empty() && !backplane_) {
        std::string cluster_error;
        backplane_ = make_cluster_backplane(state_->config.cluster, state_->config, state_->rooms,
                                            state_->log, cluster_error);
        if (!backplane_)
            return cluster_error;
    }
    auto error = listener_->open({address, state_->config.port});
    if (error.empty())
        listener_->run();
    return error;
}

std::uint16_t server::port() const {
    return listener_->local_endpoint().port();
}

room_registry& server::rooms() {
    return state_->rooms;
}
const server_config& server::config() const {
    return state_->config;
}

void server::start() {
    const unsigned n = thread_count(state_->config);
    threads_.reserve(n);
    for (unsigned i = 0; i < n; ++i)
        threads_.emplace_back([this] { ioc_.run(); });
}

void server::handle_signals() {
    signals_.emplace(ioc_, SIGINT, SIGTERM);
    signals_->async_wait([this](boost::system::error_code ec, int signal) {
        if (ec)
            return;
        state_->log.write(log_level::info, std::string("received ") +
                                               (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                                               ": shutting down");
        shut_down();
    });
}

void server::shut_down() {
    std::call_once(shut_down_once_, [this] {
        net::post(ioc_, [this] {
            state_->stopping = true;
            listener_->stop();
            state_->rooms.shut_down();
            if (signals_) {
                boost::system::error_code ignored;
                signals_->cancel(ignored);
            }
            auto timer = std::make_shared<net::steady_timer>(ioc_);
            poll_shutdown(timer, std::chrono::steady_clock::now() +
                                     std::chrono::milliseconds(state_->config.shutdown_grace_ms));
        });
    });
}

void server::poll_shutdown(std::shared_ptr<net::steady_timer> timer,
                           std::chrono::steady_clock::time_point deadline) {
    // Every client has answered its 1001, or the grace period is over: stop. Stopping the
    // io_context ends idle HTTP connections and stragglers alike.
    const auto left = state_->websocket_sessions.load();
    if (left == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (left != 0)
            state_->log.write(log_level::warn, std::to_string(left) +
                                                   " clients did not finish closing in time; "
                                                   "cutting them off");
        ioc_.stop();
        return;
    }
    timer->expires_after(std::chrono::milliseconds(10));
    timer->async_wait(
        [this, timer, deadline](boost::system::error_code) { poll_shutdown(timer, deadline); });
}

void server::wait() {
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    threads_.clear();
}

} // namespace chat_server
