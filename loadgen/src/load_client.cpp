// The client's life: connect, upgrade, read frames from the loop's shared buffer, send on
// schedule, leave and rejoin, close. Every completion checks the generation it was started in.
#include "load_client.hpp"

#include "chat/codec.hpp"
#include "chat/tls_support.hpp"
#include "chat/url.hpp"
#include "stages.hpp"
#include "wire.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#ifndef CHAT_NO_TLS
#include <boost/asio/ssl.hpp>
#endif
#include <boost/asio/write.hpp>

#include <algorithm> // search
#include <array>     // array
#include <cmath>     // fmod, log

#ifndef CHAT_NO_TLS
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h> // TCP_INFO
#include <sys/socket.h>
#endif

namespace chat::load {

#ifndef CHAT_NO_TLS
std::shared_ptr<net::ssl::context> make_tls_context(const std::string& ca_file, bool insecure,
                                                    std::string& error) {
    auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    boost::system::error_code ec;
    if (!ca_file.empty())
        ctx->load_verify_file(ca_file, ec);
    else
        ctx->set_default_verify_paths(ec);
    if (ec) {
        error = ca_file.empty() ? "cannot load the system's CA certificates: " + ec.message()
                                : "--ca-file '" + ca_file + "': cannot use it: " + ec.message();
        return nullptr;
    }
    ctx->set_verify_mode(insecure ? net::ssl::verify_none : net::ssl::verify_peer);
    // Idle connections give their record buffers back to the allocator.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

// One TLS connection over the client's socket, with the buffer its reads decrypt into (the
// loop's shared buffer cannot be used: TLS reads are asynchronous and overlap).
struct load_client::tls_session {
    tls_session(net::ip::tcp::socket& socket, net::ssl::context& ctx) : stream(socket, ctx) {}
    net::ssl::stream<net::ip::tcp::socket&> stream;
    bool reading = false;
    std::array<char, 4096> buf;
};
#else
// A build without TLS refuses https:// and wss:// when it parses the URL; this says so again.
std::shared_ptr<net::ssl::context> make_tls_context(const std::string&, bool, std::string& error) {
    error = chat::tls_unsupported_message();
    return nullptr;
}

struct load_client::tls_session {}; // never made in a build without TLS
#endif

seq_tracker::verdict seq_tracker::add(std::uint64_t seq) noexcept {
    if (highest == 0 || seq > highest) {
        const auto shift = highest == 0 ? 64 : seq - highest;
        seen = shift >= 64 ? 1 : (seen << shift) | 1;
        highest = seq;
        return verdict::fresh;
    }
    const auto d = highest - seq;
    if (d >= 64)
        return verdict::too_old;
    const auto bit = std::uint64_t{1} << d;
    if (seen & bit)
        return verdict::duplicate;
    seen |= bit;
    return verdict::late;
}

// A sender's schedule: intended send times fixed in advance (open loop), whatever the server does.
struct load_client::sender {
    explicit sender(net::io_context& io, std::uint64_t seed) : timer(io), r(seed) {}
    net::steady_timer timer;
    rng r;
    std::uint64_t seq = 0;
    std::int64_t next_us = 0;
    double gap_us = 0;
    std::vector<std::pair<std::uint64_t, std::int64_t>> pending; // (seq, intended_us)
    std::string content;
    bool missed_reported = false;
};

load_client::load_client(event_loop& loop, std::uint32_t index, const client_plan& plan)
    : loop_(loop), plan_(plan), socket_(loop.io()), index_(index) {
    const auto& room = loop_.ctx().layout->rooms[plan_.room];
    if (room.senders > 0)
        trackers_ = std::make_unique<seq_tracker[]>(static_cast<std::size_t>(room.senders));
    if (plan_.sender)
        sender_ = std::make_unique<sender>(loop_.io(),
                                           loop_.ctx().options->seed * 1000003 +
                                               static_cast<std::uint64_t>(plan_.global_index));
}

load_client::~load_client() = default;

void load_client::connect() {
    auto& ctx = loop_.ctx();
    boost::system::error_code ec;
    ++gen_;
    state_ = state::connecting;
    close_sent_ = writing_ = reading_stopped_ = false;
    in_.clear();
    out_.clear();
    wbuf_.clear();
    frag_.clear();
    join_start_us_ = loop_.now_us();
    deadline_us_ = join_start_us_ + ctx.options->connect_timeout_ms * 1000;
    const auto& server = ctx.endpoint_of(plan_.global_index).address;
    // Open, optionally shrink the receive buffer (slow readers fill it sooner) and bind.
    socket_.open(server.protocol(), ec);
    if (ec)
        return fail_connect(error_kind::connect_failed);
    loop_.open_or_closing_.fetch_add(1, std::memory_order_relaxed);
    if (plan_.slow)
        socket_.set_option(net::socket_base::receive_buffer_size(4096), ec);
    if (!ctx.sources.empty()) {
        const auto& src =
            ctx.sources[static_cast<std::size_t>(plan_.global_index) % ctx.sources.size()];
#if defined(__linux__) && defined(IP_BIND_ADDRESS_NO_PORT)
        // Let connect() pick the port per destination, not bind() per source address.
        int one = 1;
        ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                     sizeof one);
#endif
        socket_.bind(net::ip::tcp::endpoint(src, 0), ec);
        if (ec)
            return fail_connect(error_kind::connect_failed);
    }
    socket_.set_option(net::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    socket_.async_connect(
        server, [this, g = gen_](const boost::system::error_code& e) { on_connected(g, e); });
}

void load_client::on_connected(std::uint32_t gen, const boost::system::error_code& ec) {
    if (gen != gen_)
        return;
    if (ec)
        return fail_connect(ec == net::error::connection_refused ? error_kind::connect_refused
                                                                 : error_kind::connect_failed);
    auto& ctx = loop_.ctx();
    const auto& base = ctx.endpoint_of(plan_.global_index).base;
    if (!base.tls())
        return send_upgrade();
#ifndef CHAT_NO_TLS
    tls_ = std::make_shared<tls_session>(socket_, *ctx.tls);
    // SNI for host names; the name or address the certificate must carry.
    SSL* native = tls_->stream.native_handle();
    boost::system::error_code lec;
    const auto literal = net::ip::make_address(base.host, lec);
    if (lec) {
        SSL_set_tlsext_host_name(native, base.host.c_str());
        if (!ctx.request.insecure)
            SSL_set1_host(native, base.host.c_str());
    } else if (!ctx.request.insecure) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), literal.to_string().c_str());
    }
    tls_->stream.async_handshake(
        net::ssl::stream_base::client,
        [this, g = gen_, t = tls_](const boost::system::error_code& e) { on_tls_handshake(g, e); });
#endif
}

void load_client::on_tls_handshake(std::uint32_t gen, const boost::system::error_code& ec) {
    if (gen != gen_)
        return;
    if (ec)
        return fail_connect(error_kind::tls_failed);
    send_upgrade();
}

void load_client::write_wbuf() {
    writing_ = true;
#ifndef CHAT_NO_TLS
    if (tls_)
        net::async_write(tls_->stream, net::buffer(wbuf_),
                         [this, g = gen_, t = tls_](const boost::system::error_code& e,
                                                    std::size_t) { on_written(g, e); });
    else
#endif
        net::async_write(socket_, net::buffer(wbuf_),
                         [this, g = gen_](const boost::system::error_code& e, std::size_t) {
                             on_written(g, e);
                         });
}

void load_client::tls_read() {
#ifndef CHAT_NO_TLS
    if (tls_->reading)
        return;
    tls_->reading = true;
    tls_->stream.async_read_some(
        net::buffer(tls_->buf),
        [this, g = gen_, t = tls_](const boost::system::error_code& e, std::size_t n) {
            t->reading = false;
            on_tls_read(g, e, n);
        });
#endif
}

void load_client::on_tls_read(std::uint32_t gen, const boost::system::error_code& ec,
                              std::size_t n) {
#ifndef CHAT_NO_TLS
    if (gen != gen_)
        return;
    if (ec) {
        const bool eof = ec == net::error::eof || ec == net::error::connection_reset ||
                         ec == net::ssl::error::stream_truncated;
        return peer_gone(!eof, eof ? error_kind::closed_by_server : error_kind::read_failed);
    }
    if (slow_draining_)
        deadline_us_ = loop_.now_us() + 300'000;
    // Decrypted bytes cannot go back: a slow reader that stopped still takes this last chunk.
    auto t = tls_;
    if (!consume(t->buf.data(), n))
        return;
    if (!reading_stopped_ && gen == gen_ && state_ != state::closed)
        tls_read();
#else
    (void)gen, (void)ec, (void)n;
#endif
}

void load_client::send_upgrade() {
    // Send the upgrade request; keep the expected accept value until the response.
    const auto a = loop_.random().next();
    const auto b = loop_.random().next();
    const auto key = websocket_key(a, b);
    frag_ = ws::accept_key(key);
    auto& ctx = loop_.ctx();
    const auto& room = ctx.layout->rooms[plan_.room];
    const auto& endpoint = ctx.endpoint_of(plan_.global_index);
    wbuf_ = upgrade_request(chat::ws_target(endpoint.base, room.name, plan_.user),
                            endpoint.host_header, key, ctx.upgrade_headers);
    state_ = state::upgrading;
    write_wbuf();
    if (tls_)
        tls_read();
    else
        wait_readable();
}

void load_client::wait_readable() {
    socket_.async_wait(net::socket_base::wait_read,
                       [this, g = gen_](const boost::system::error_code& e) { on_readable(g, e); });
}

void load_client::on_readable(std::uint32_t gen, const boost::system::error_code& ec) {
    if (gen != gen_ || reading_stopped_)
        return;
    if (ec)
        return peer_gone(true, error_kind::read_failed);
    if (slow_draining_)
        deadline_us_ = loop_.now_us() + 300'000;
    // Drain what the kernel holds into the loop's buffer; keep only an unfinished frame.
    char* buf = loop_.read_buffer();
    std::size_t total = 0;
    for (;;) {
        boost::system::error_code rec;
        const auto n = socket_.read_some(net::buffer(buf, event_loop::read_buffer_size), rec);
        if (rec == net::error::would_block || rec == net::error::try_again)
            break;
        if (rec) {
            const bool eof = rec == net::error::eof || rec == net::error::connection_reset;
            return peer_gone(!eof, eof ? error_kind::closed_by_server : error_kind::read_failed);
        }
        if (!consume(buf, n))
            return;
        total += n;
        if (n < event_loop::read_buffer_size)
            break;
        if (total >= 1024 * 1024) { // let the other clients of this loop have a turn
            net::post(loop_.io(), [this, g = gen_] { on_readable(g, {}); });
            return;
        }
    }
    if (!reading_stopped_ && gen == gen_ && state_ != state::closed)
        wait_readable();
}

bool load_client::consume(const char* data, std::size_t n) {
    const auto gen = gen_;
    if (state_ == state::upgrading || !in_.empty()) {
        in_.append(data, n);
        if (state_ == state::upgrading) {
            if (!parse_upgrade())
                return false;
            // The head may come in pieces: frames follow only a complete 101.
            if (state_ == state::upgrading || in_.empty())
                return true;
        }
        std::size_t used = 0;
        const std::string pending = std::move(in_);
        in_.clear();
        const bool alive = parse_frames(pending, used);
        if (alive && gen == gen_ && used < pending.size())
            in_.assign(pending, used, std::string::npos);
        return alive && gen == gen_;
    }
    std::size_t used = 0;
    const bool alive = parse_frames(std::string_view(data, n), used);
    if (alive && gen == gen_ && used < n)
        in_.assign(data + used, n - used);
    return alive && gen == gen_;
}

bool load_client::parse_upgrade() {
    std::size_t head_len = 0;
    switch (check_upgrade(in_, frag_, head_len)) {
    case upgrade_status::need_more:
        return true;
    case upgrade_status::rejected:
        fail_connect(error_kind::upgrade_rejected);
        return false;
    case upgrade_status::invalid:
        fail_connect(error_kind::upgrade_invalid);
        return false;
    case upgrade_status::switched:
        break;
    }
    // Joined: from now on every message of the room must reach this client.
    in_.erase(0, head_len);
    std::string().swap(frag_);
    fragmented_ = false;
    state_ = state::open;
    deadline_us_ = never;
    joined_us_ = loop_.now_us();
    loop_.record_connect(joined_us_ - join_start_us_);
    loop_.count(&counters::connects);
    loop_.endpoint_connected(loop_.ctx().endpoint_index(plan_.global_index));
    loop_.client_opened();
    if (rejoin_) {
        loop_.count(&counters::churn_rejoins);
        rejoin_ = false;
    } else {
        loop_.connect_attempt_done();
    }
    planned_leave_us_ = loop_.planned_leave_after(index_, joined_us_);
    if (!plan_.slow)
        session_ = loop_.add_session({plan_.room, joined_us_, planned_leave_us_});
    if (trackers_)
        std::fill_n(trackers_.get(), loop_.ctx().layout->rooms[plan_.room].senders, seq_tracker{});
    if (in_.empty())
        std::string().swap(in_);
    // Slow readers that join after sending started stop at once.
    if (plan_.slow && loop_.now_us() >= loop_.ctx().send_start_us)
        reading_stopped_ = true;
    flush();
    return true;
}

bool load_client::parse_frames(std::string_view data, std::size_t& used) {
    const auto gen = gen_;
    while (used < data.size()) {
        frame f;
        std::size_t n = 0;
        auto st = parse_frame(data.substr(used), f, n, max_server_message);
        if (st == parse_status::need_more)
            return true;
        std::string_view message;
        if (st == parse_status::complete && f.op <= opcode::binary)
            st = assemble(f, frag_, fragmented_, frag_binary_, message, max_server_message);
        if (st == parse_status::protocol_error) {
            // A malformed frame, or a message over max_server_message: a hostile server.
            loop_.error(error_kind::protocol_violation);
            begin_close(1002);
            return false;
        }
        used += n;
        switch (f.op) {
        case opcode::text:
        case opcode::binary:
        case opcode::continuation:
            if (st == parse_status::complete) {
                if (frag_binary_)
                    loop_.error(error_kind::bad_message);
                else
                    on_message(message);
                if (!frag_.empty())
                    std::string().swap(frag_);
            }
            break;
        case opcode::ping:
            // A server that pings faster than it reads gets no more than a few pongs queued.
            if (out_.size() < 1024)
                ws::append_frame(out_, opcode::pong, true, f.payload, loop_.mask());
            flush();
            break;
        case opcode::pong:
            break;
        case opcode::close:
            if (close_sent_) {
                finish();
            } else {
                // The server closed on us (whatever its code): answer, then count the drop.
                peer_gone(false, error_kind::closed_by_server);
            }
            return false;
        }
        if (gen != gen_ || state_ == state::closed)
            return false;
    }
    return true;
}

void load_client::on_message(std::string_view text) {
    auto& ctx = loop_.ctx();
    const auto now = loop_.now_us();
    loop_.message_seen();
    std::string_view content;
    payload p;
    if (!find_content(text, content) || !decode_payload(content, p)) {
        // Not ours: a well-formed chat message from someone else, or garbage.
        if (chat::decode_message(text))
            loop_.count(&counters::foreign);
        else
            loop_.error(error_kind::bad_message);
        return;
    }
    if (p.run != ctx.run_tag) {
        loop_.count(&counters::foreign);
        return;
    }
    const auto& room = ctx.layout->rooms[plan_.room];
    const auto first = static_cast<std::uint64_t>(room.first_client);
    if (p.sender < first || p.sender >= first + static_cast<std::uint64_t>(room.senders)) {
        loop_.error(error_kind::misrouted);
        return;
    }
    const auto verdict = trackers_[p.sender - first].add(p.seq);
    if (plan_.slow) {
        loop_.count(&counters::slow_deliveries);
        return;
    }
    if (verdict == seq_tracker::verdict::duplicate) {
        loop_.count(&counters::duplicates);
        return;
    }
    const bool reordered = verdict != seq_tracker::verdict::fresh;
    // Classify by when the message was sent relative to this membership (README: delivery rule).
    if (p.sent_us < join_start_us_)
        loop_.count(&counters::history);
    else if (p.sent_us <= joined_us_)
        loop_.count(&counters::join_window);
    else if (p.intended_us < ctx.measure_start_us)
        loop_.count(&counters::warmup_deliveries);
    else if (planned_leave_us_ != never &&
             p.sent_us > planned_leave_us_ - ctx.options->lifetime_ms * 1000)
        loop_.count(&counters::outside_window);
    else
        count_live(p, now, reordered);
}

// A live message this membership expects: delivered within --lifetime of its intended send
// time, else late (neither delivered nor lost); its latency is recorded either way.
void load_client::count_live(const payload& p, std::int64_t now, bool reordered) {
    auto& ctx = loop_.ctx();
    const bool in_time = now - p.intended_us <= ctx.options->lifetime_ms * 1000;
    loop_.count(in_time ? &counters::delivered : &counters::late);
    if (reordered)
        loop_.count(&counters::out_of_order);
    loop_.record_delivery(now - p.intended_us, now - p.sent_us,
                          ctx.endpoint_index(plan_.global_index),
                          ctx.endpoint_index(static_cast<long>(p.sender)), in_time);
}

void load_client::start_sending() {
    if (!sender_)
        return;
    auto& ctx = loop_.ctx();
    sender_->gap_us = 1e6 / ctx.options->rate;
    // Spread the senders' first messages over one gap so they do not all fire together.
    const double phase = std::fmod(static_cast<double>(plan_.global_index) * 0.6180339887, 1.0);
    sender_->next_us = ctx.send_start_us + static_cast<std::int64_t>(phase * sender_->gap_us);
    arm_send_timer();
}

void load_client::arm_send_timer() {
    auto& ctx = loop_.ctx();
    if (sender_->next_us >= ctx.send_end_us)
        return;
    sender_->timer.expires_at(ctx.clock.to_steady(sender_->next_us));
    sender_->timer.async_wait([this](const boost::system::error_code& ec) { on_send_timer(ec); });
}

void load_client::on_send_timer(const boost::system::error_code& ec) {
    if (ec)
        return;
    auto& ctx = loop_.ctx();
    auto& s = *sender_;
    const auto now = loop_.now_us();
    // Everything due by now goes out, late ones included: the schedule never waits.
    while (s.next_us <= now && s.next_us < ctx.send_end_us) {
        const bool measured = s.next_us >= ctx.measure_start_us;
        if (measured)
            loop_.record_schedule_lag(now - s.next_us);
        if (state_ == state::open) {
            s.pending.emplace_back(++s.seq, s.next_us);
        } else if (measured) {
            loop_.error(error_kind::sender_disconnected);
        }
        // --stage: the rate at this point of the measured window (warm-up at --rate).
        const double mean_gap =
            ctx.options->stages.empty() || s.next_us < ctx.measure_start_us
                ? s.gap_us
                : 1e6 / stage_at(ctx.options->stages, ctx.options->rate, ctx.options->clients,
                                 std::chrono::microseconds(s.next_us - ctx.measure_start_us))
                            .rate;
        const double gap =
            ctx.options->poisson ? -std::log(1.0 - s.r.uniform()) * mean_gap : mean_gap;
        s.next_us += std::max<std::int64_t>(1, static_cast<std::int64_t>(gap));
    }
    flush();
    arm_send_timer();
}

void load_client::flush() {
    if (writing_ || (state_ != state::open && state_ != state::closing))
        return;
    wbuf_.clear();
    wbuf_.swap(out_);
    if (sender_ && !sender_->pending.empty() && state_ == state::open) {
        auto& ctx = loop_.ctx();
        const auto now = loop_.now_us();
        for (const auto& [seq, intended] : sender_->pending) {
            payload p;
            p.run = ctx.run_tag;
            p.sender = static_cast<std::uint64_t>(plan_.global_index);
            p.seq = seq;
            p.intended_us = intended;
            p.sent_us = now;
            encode_payload(sender_->content, p,
                           static_cast<std::size_t>(ctx.options->message_size));
            append_content_frame(wbuf_, sender_->content, loop_.mask());
            if (intended >= ctx.measure_start_us) {
                loop_.count(&counters::sent);
                loop_.add_sent({plan_.room, now});
            } else {
                loop_.count(&counters::sent_warmup);
            }
        }
        sender_->pending.clear();
    }
    if (wbuf_.empty())
        return;
    write_wbuf();
}

void load_client::on_written(std::uint32_t gen, const boost::system::error_code& ec) {
    if (gen != gen_)
        return;
    writing_ = false;
    if (ec) {
        if (state_ == state::connecting || state_ == state::upgrading)
            return fail_connect(error_kind::connect_failed);
        return peer_gone(true, error_kind::write_failed);
    }
    if (state_ == state::upgrading || !sender_)
        std::string().swap(wbuf_); // idle clients keep no write buffer
    flush();
}

void load_client::stop_reading() {
    if (plan_.slow)
        reading_stopped_ = true;
}

void load_client::churn(std::int64_t planned_leave_us) {
    if (state_ != state::open || planned_leave_us != planned_leave_us_) {
        loop_.count(&counters::churn_skipped);
        return;
    }
    loop_.count(&counters::churn_leaves);
    rejoin_ = true;
    begin_close(1000);
}

void load_client::leave(std::int64_t planned_leave_us) {
    ramp_rejoin_ = false;
    // Not connected (dropped, or still joining): nothing to leave. A session whose planned leave
    // came earlier (a churn event skipped while it was busy) expects nothing after that one, so
    // it may leave now as well.
    if (state_ != state::open || planned_leave_us_ > planned_leave_us)
        return;
    rejoin_ = false;
    begin_close(1000);
}

void load_client::rejoin() {
    if (state_ == state::closing)
        ramp_rejoin_ = true; // connect again once the close handshake is over
    else if (state_ == state::closed || state_ == state::idle)
        connect();
}

void load_client::plan_leave() {
    if (state_ != state::open || plan_.slow)
        return;
    planned_leave_us_ = loop_.planned_leave_after(index_, joined_us_);
    loop_.set_planned_leave(session_, planned_leave_us_);
}

void load_client::drain_slow() {
    if (!plan_.slow || state_ != state::open || !reading_stopped_)
        return;
    sweep(loop_.now_us()); // a reset connection shows in the TCP state already
    if (state_ != state::open)
        return;
    reading_stopped_ = false;
    slow_draining_ = true;
    loop_.slow_drain_started();
    deadline_us_ = loop_.now_us() + 300'000;
    if (tls_)
        tls_read();
    else
        net::post(loop_.io(), [this, g = gen_] { on_readable(g, {}); });
}

void load_client::end_slow_drain() {
    if (!slow_draining_)
        return;
    slow_draining_ = false;
    loop_.slow_drain_done();
}

void load_client::close() {
    rejoin_ = false;
    if (sender_)
        sender_->timer.cancel();
    if (state_ == state::open) {
        sweep(loop_.now_us()); // a slow reader's drop may not have been noticed yet
        if (state_ != state::open)
            return;
        if (reading_stopped_) { // a slow reader cannot hear the handshake: just go
            finish();
            return;
        }
        begin_close(1000);
    } else if (state_ == state::connecting || state_ == state::upgrading) {
        fail_connect(error_kind::connect_timeout);
    }
}

void load_client::begin_close(int code) {
    if (state_ != state::open) {
        finish();
        return;
    }
    state_ = state::closing;
    close_sent_ = true;
    deadline_us_ = loop_.now_us() + 2'000'000;
    ws::append_frame(out_, opcode::close, true, ws::close_payload(static_cast<std::uint16_t>(code)),
                     loop_.mask());
    flush();
}

void load_client::peer_gone(bool error, error_kind kind) {
    auto& ctx = loop_.ctx();
    if (state_ == state::closing || ctx.ending.load(std::memory_order_relaxed)) {
        finish();
        return;
    }
    if (state_ == state::connecting || state_ == state::upgrading)
        return fail_connect(error ? kind : error_kind::upgrade_invalid);
    // The server disconnected a client: a designed drop if it was a slow reader.
    if (plan_.slow) {
        loop_.count(&counters::dropped_slow);
    } else {
        loop_.count(&counters::dropped);
        loop_.error(kind);
    }
    rejoin_ = false;
    finish();
}

void load_client::finish() {
    end_slow_drain();
    if (state_ == state::closed || state_ == state::idle)
        return;
    const bool was_joined = state_ == state::open || state_ == state::closing;
    ++gen_;
    boost::system::error_code ec;
    socket_.close(ec);
    tls_.reset();
    loop_.open_or_closing_.fetch_sub(1, std::memory_order_relaxed);
    state_ = state::closed;
    writing_ = false;
    deadline_us_ = never;
    std::string().swap(in_);
    std::string().swap(out_);
    std::string().swap(frag_);
    if (!sender_)
        std::string().swap(wbuf_);
    if (was_joined)
        loop_.client_closed();
    const bool again = rejoin_ || ramp_rejoin_;
    ramp_rejoin_ = false;
    if (again && !loop_.ctx().ending.load(std::memory_order_relaxed))
        connect();
}

void load_client::fail_connect(error_kind kind) {
    loop_.error(kind);
    loop_.count(&counters::connect_failures);
    loop_.endpoint_connect_failed(loop_.ctx().endpoint_index(plan_.global_index));
    const bool rejoin = rejoin_;
    rejoin_ = false;
    if (state_ != state::idle && state_ != state::closed) {
        ++gen_;
        boost::system::error_code ec;
        if (socket_.is_open()) {
            socket_.close(ec);
            loop_.open_or_closing_.fetch_sub(1, std::memory_order_relaxed);
        }
        tls_.reset();
    }
    state_ = state::closed;
    writing_ = false;
    deadline_us_ = never;
    std::string().swap(in_);
    std::string().swap(frag_);
    std::string().swap(wbuf_);
    if (!rejoin)
        loop_.connect_attempt_done();
}

void load_client::sweep(std::int64_t now_us) {
    if (slow_draining_ && now_us > deadline_us_) {
        deadline_us_ = never; // still connected after reading everything: not dropped
        end_slow_drain();
        return;
    }
    if (now_us > deadline_us_) {
        if (state_ == state::connecting || state_ == state::upgrading)
            return fail_connect(error_kind::connect_timeout);
        if (state_ == state::closing)
            return finish(); // the server never answered our close: give up waiting
    }
#ifdef __linux__
    // A slow reader does not read, so it learns of its drop from the TCP state instead.
    if (plan_.slow && reading_stopped_ && state_ == state::open) {
        tcp_info info{};
        socklen_t len = sizeof info;
        if (::getsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
            (info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE))
            peer_gone(false, error_kind::closed_by_server);
    }
#endif
}

} // namespace chat::load
