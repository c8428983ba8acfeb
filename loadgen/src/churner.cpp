// One churner: a coroutine looping over cycles on a fresh socket each time.
#include "churner.hpp"

#include "chat/url.hpp"
#include "event_loop.hpp"
#include "wire.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono> // milliseconds
#include <memory> // shared_ptr, weak_ptr
#include <string> // string
#include <vector> // vector

namespace chat::load {
namespace {

using tcp = net::ip::tcp;

// Takes one cycle of the process's budget (always granted when --churn-cycles is 0).
bool take_cycle(run_context& ctx) {
    if (!ctx.churn_limited)
        return true;
    return ctx.churn_cycles_left.fetch_sub(1, std::memory_order_relaxed) > 0;
}

net::awaitable<void> churn(event_loop& loop, long index) {
    auto& ctx = loop.ctx();
    const auto& s = *ctx.options;
    auto ex = co_await net::this_coro::executor;
    rng r(s.seed * 7919 + static_cast<std::uint64_t>(index) * 104729 + 0xC1);
    net::steady_timer deadline(ex);
    const std::string user = "churn" + std::to_string(index);
    std::string in, out;
    // Its own read buffer: an asynchronous read fills its buffer before the completion runs,
    // so the loop's shared buffer (which load_client reads into synchronously) cannot be used.
    std::vector<char> buf(16 * 1024);
    while (!ctx.ending.load(std::memory_order_relaxed) && loop.now_us() < ctx.send_end_us &&
           take_cycle(ctx)) {
        const auto room = ctx.layout->room_prefix + "-c" +
                          std::to_string(r.below(static_cast<std::uint64_t>(s.churn_rooms)));
        const bool send = r.uniform() < s.churn_send;
        const auto start = loop.now_us();
        auto sock = std::make_shared<tcp::socket>(ex);
        // The whole cycle is bounded: past its deadline the socket is closed under it.
        deadline.expires_after(std::chrono::milliseconds(s.connect_timeout_ms + 2000));
        deadline.async_wait(
            [weak = std::weak_ptr<tcp::socket>(sock)](const boost::system::error_code& e) {
                if (e)
                    return;
                if (auto p = weak.lock()) {
                    boost::system::error_code ignored;
                    p->close(ignored);
                }
            });
        boost::system::error_code ec;
        bool ok = false;
        error_kind failure = error_kind::connect_failed;
        do {
            // Churner c uses endpoint c mod N, as client c would.
            const auto& endpoint = ctx.endpoint_of(index);
            const auto& server = endpoint.address;
            sock->open(server.protocol(), ec);
            if (ec)
                break;
            sock->set_option(tcp::no_delay(true), ec);
            co_await sock->async_connect(server, net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                failure = ec == net::error::connection_refused  ? error_kind::connect_refused
                          : ec == net::error::operation_aborted ? error_kind::connect_timeout
                                                                : error_kind::connect_failed;
                break;
            }
            // Upgrade.
            const auto a = loop.random().next();
            const auto b = loop.random().next();
            const auto key = websocket_key(a, b);
            const auto accept = ws::accept_key(key);
            out = upgrade_request(chat::ws_target(endpoint.base, room, user), endpoint.host_header,
                                  key, ctx.upgrade_headers);
            co_await net::async_write(*sock, net::buffer(out),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                failure = error_kind::write_failed;
                break;
            }
            in.clear();
            upgrade_status up = upgrade_status::need_more;
            std::size_t head_len = 0;
            while (up == upgrade_status::need_more) {
                const auto n = co_await sock->async_read_some(
                    net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
                if (ec)
                    break;
                in.append(buf.data(), n);
                up = check_upgrade(in, accept, head_len);
            }
            if (up != upgrade_status::switched) {
                failure = ec == net::error::operation_aborted ? error_kind::connect_timeout
                          : up == upgrade_status::rejected    ? error_kind::upgrade_rejected
                                                              : error_kind::upgrade_invalid;
                break;
            }
            loop.count(&counters::connects);
            loop.endpoint_connected(ctx.endpoint_index(index));
            loop.record_connect(loop.now_us() - start);
            in.erase(0, head_len);
            // Maybe one message, then leave: our close, then the server's (or its FIN).
            out.clear();
            if (send)
                append_content_frame(out, "churn " + user, loop.mask());
            ws::append_frame(out, opcode::close, true, ws::close_payload(ws::close_code::normal),
                             loop.mask());
            co_await net::async_write(*sock, net::buffer(out),
                                      net::redirect_error(net::use_awaitable, ec));
            if (ec) {
                failure = error_kind::write_failed;
                break;
            }
            bool closed = false;
            failure = error_kind::read_failed;
            while (!closed) {
                std::size_t used = 0;
                bool broken = false;
                while (used < in.size()) {
                    frame f;
                    std::size_t n = 0;
                    const auto st =
                        parse_frame(std::string_view(in).substr(used), f, n, max_server_message);
                    if (st == parse_status::need_more)
                        break;
                    if (st == parse_status::protocol_error) {
                        broken = true;
                        break;
                    }
                    used += n;
                    if (f.op == opcode::close) {
                        closed = true;
                        break;
                    }
                }
                if (broken) {
                    failure = error_kind::protocol_violation;
                    break;
                }
                in.erase(0, used);
                if (closed)
                    break;
                const auto n = co_await sock->async_read_some(
                    net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
                if (ec == net::error::eof) {
                    closed = true; // the server ended the connection without its close frame
                    break;
                }
                if (ec)
                    break;
                in.append(buf.data(), n);
            }
            ok = closed;
        } while (false);
        deadline.cancel();
        sock->close(ec);
        sock.reset();
        if (in.capacity() > 64 * 1024)
            std::string().swap(in);
        if (ok) {
            loop.count(&counters::churn_cycles);
        } else {
            loop.count(&counters::churn_cycle_failures);
            loop.error(failure);
        }
    }
    loop.churner_done();
}

} // namespace

void spawn_churner(event_loop& loop, long index) {
    net::co_spawn(loop.io(), churn(loop, index), net::detached);
}

} // namespace chat::load
