// One simulated chat client on a raw TCP socket with a minimal RFC 6455 client: an upgrade
// request, masked text frames, server frames parsed in place from the loop's shared read
// buffer, ping -> pong, the close handshake. An idle client holds no buffer of its own (Beast's
// websocket::stream keeps several KB per connection), which is what lets one process hold
// tens of thousands of them.
// Over https:// and wss:// the same client runs on an Asio SSL stream over its socket; that
// state (OpenSSL's session and Asio's record buffers) exists only for TLS connections, so the
// plain path pays one null pointer for it.
#pragma once

#include "event_loop.hpp"
#include "wire.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>     // uint32_t, uint64_t, int64_t
#include <memory>      // unique_ptr
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // pair
#include <vector>      // vector

namespace chat::load {

// The client TLS context of a run: verification on (the system's CAs, or `ca_file`) unless
// `insecure`. Returns null and says why in `error` when the CA file cannot be used.
std::shared_ptr<net::ssl::context> make_tls_context(const std::string& ca_file, bool insecure,
                                                    std::string& error);

// Per receiver and sender: the highest sequence seen and which of the 64 before it arrived.
struct seq_tracker {
    std::uint64_t highest = 0;
    std::uint64_t seen = 0; // bit d: highest - d arrived
    enum class verdict { fresh, late, duplicate, too_old };
    verdict add(std::uint64_t seq) noexcept;
};

class load_client {
public:
    load_client(event_loop& loop, std::uint32_t index, const client_plan& plan);
    ~load_client();
    load_client(const load_client&) = delete;
    load_client& operator=(const load_client&) = delete;

    void connect();       // starts a session (TCP connect + upgrade)
    void start_sending(); // senders: follow the schedule from ctx().send_start_us
    void stop_reading();  // slow readers
    void churn(std::int64_t planned_leave_us); // leave now and rejoin, if this session planned it
    // The --stage client ramp: leave now (no rejoin), if this session planned it; join again.
    void leave(std::int64_t planned_leave_us);
    void rejoin();
    // After sending: a slow reader reads again, to learn whether the server dropped it (a FIN
    // queued behind unread data cannot be seen without reading). Done after 300 ms of quiet.
    void drain_slow();
    void close(); // the end of the run: close handshake, bounded by sweep()
    void sweep(std::int64_t now_us);
    // Once the churn schedule is known (at the start of sending): this session's planned leave.
    void plan_leave(); // deadlines (connect, close) and slow-reader drop checks

    bool open() const noexcept { return state_ == state::open; }
    bool slow() const noexcept { return plan_.slow; }
    std::int64_t planned_leave_us() const noexcept { return planned_leave_us_; }

private:
    enum class state : std::uint8_t { idle, connecting, upgrading, open, closing, closed };
    struct sender;
    struct tls_session;

    void on_connected(std::uint32_t gen, const boost::system::error_code& ec);
    void on_tls_handshake(std::uint32_t gen, const boost::system::error_code& ec);
    void send_upgrade();
    void write_wbuf(); // async_write of wbuf_ on the socket or the TLS stream
    void tls_read();
    void on_tls_read(std::uint32_t gen, const boost::system::error_code& ec, std::size_t n);
    void wait_readable();
    void on_readable(std::uint32_t gen, const boost::system::error_code& ec);
    bool consume(const char* data, std::size_t n); // false when the connection ended
    bool parse_upgrade();
    bool parse_frames(std::string_view data, std::size_t& used);
    void on_message(std::string_view text);
    void count_live(const payload& p, std::int64_t now, bool reordered);
    void flush();
    void on_written(std::uint32_t gen, const boost::system::error_code& ec);
    void on_send_timer(const boost::system::error_code& ec);
    void arm_send_timer();
    void begin_close(int code);
    void peer_gone(bool error, error_kind kind);
    void end_slow_drain();
    void finish(); // socket closed, session over; rejoins when churning
    void fail_connect(error_kind kind);

    event_loop& loop_;
    const client_plan& plan_;
    net::ip::tcp::socket socket_;
    std::uint32_t index_;
    std::uint32_t gen_ = 0; // bumps on every close, so stale completions are ignored
    state state_ = state::idle;
    bool writing_ = false;
    bool reading_stopped_ = false;
    bool close_sent_ = false;
    bool rejoin_ = false;
    bool ramp_rejoin_ = false; // the ramp wants this client back once its close is done
    bool frag_binary_ = false;
    bool fragmented_ = false;
    bool slow_draining_ = false;
    std::int64_t join_start_us_ = 0;
    std::int64_t joined_us_ = 0;
    std::int64_t planned_leave_us_ = never;
    std::int64_t deadline_us_ = never; // for connecting and closing
    std::uint32_t session_ = 0;        // index of the current session record in the loop
    std::string in_;   // unparsed bytes (a partial frame or the upgrade response); usually empty
    std::string frag_; // a fragmented message being reassembled; during the upgrade, the accept key
    std::string out_;  // control frames waiting to be written
    std::string wbuf_; // bytes being written
    std::unique_ptr<seq_tracker[]> trackers_;
    std::unique_ptr<sender> sender_;
    // The TLS connection, if any. Shared with its pending operations, which may complete after
    // the client closed and reconnected.
    std::shared_ptr<tls_session> tls_;
};

} // namespace chat::load
