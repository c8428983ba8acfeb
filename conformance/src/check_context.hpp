// What a running check works with: its own room names, scaled deadlines, WebSocket peers and
// HTTP requests that record a transcript, and the verbs that end it (fail, skip).
#pragma once

#include "check.hpp"
#include "message_shape.hpp"
#include "settings.hpp"

#include "chat/client.hpp"
#include "chat/message.hpp"
#include "chat/reports/document.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>        // milliseconds, system_clock
#include <cstddef>       // size_t
#include <memory>        // shared_ptr
#include <optional>      // optional
#include <string>        // string
#include <string_view>   // string_view
#include <unordered_set> // unordered_set
#include <vector>        // vector

namespace chat::conformance {

namespace net = boost::asio;
using std::chrono::milliseconds;

struct transcript_store; // the wire lines of one check (check_context.cpp)

// One WebSocket client of a room, as a check sees it.
struct peer {
    std::string label; // "A", "reader", ... as the transcript shows it
    std::string room;  // decoded room name
    std::string user;  // decoded user name
    std::shared_ptr<ws_client> ws;
};

class check_context {
public:
    check_context(net::any_io_executor ex, const run_settings& settings, const check& c,
                  int repetition);
    check_context(const check_context&) = delete;
    check_context& operator=(const check_context&) = delete;

    net::any_io_executor executor() const { return ex_; }
    const run_settings& settings() const { return settings_; }
    const spec_constants& constants() const { return settings_.constants; }
    const check& current() const { return check_; }

    // Names unique to this run, check and repetition: "cc-<run>-<check>-<rep>[-<tag>]".
    std::string room(std::string_view tag = "") const;
    std::string user(std::string_view tag) const;
    // A path on the target: the base path of the URL the runner was given, then `p`.
    std::string path(std::string_view p) const;

    // Deadlines. Every wait of a check is one of these, scaled by --timeout-scale.
    milliseconds scaled(milliseconds base) const;
    milliseconds io_timeout() const;     // one read, write or HTTP exchange
    milliseconds settle_timeout() const; // SETTLE_MS (NODE_SETTLE_MS across endpoints) + slack
    net::awaitable<void> sleep(milliseconds d);

    // WebSocket. `join` expects 101 (else FAIL CONN-1); connection refused is an ERROR.
    net::awaitable<peer> join(std::string room, std::string user, std::string label,
                              ws_options opts);
    // Not a default argument: GCC 12 corrupts defaulted class-type coroutine parameters.
    net::awaitable<peer> join(std::string room, std::string user, std::string label) {
        return join(std::move(room), std::move(user), std::move(label), ws_options{});
    }
    // Upgrade on a raw target ("/ws?room=a&room=b&user=u"); the result as the server gave it.
    // A 101 leaves the client in `*upgraded` (if given) or closes it.
    net::awaitable<http_result> try_upgrade(std::string target, std::string label,
                                            std::shared_ptr<ws_client>* upgraded = nullptr);
    net::awaitable<void> send(const peer& p, std::string_view content,
                              std::string_view clause = "");
    net::awaitable<void> send_text(const peer& p, std::string_view text,
                                   std::string_view clause = "");
    // Sends each content as one client frame, every frame in a single write (a burst).
    net::awaitable<void> send_burst(const peer& p, const std::vector<std::string>& contents,
                                    std::string_view clause);
    // The next event, as it came (message, close, timeout or error).
    net::awaitable<ws_event> next_event(const peer& p, std::optional<milliseconds> timeout = {});
    // The tolerant observation layer. `text` as a chat message, however its shape deviates
    // from MSG-2/MSG-3, as long as it can be told apart: a `content` that is the whole text of
    // a frame this check sent is read as that frame's content (the original server's double
    // wrap). Each deviation FAILs its clause when this check judges that clause and is noted
    // otherwise; an unrecognisable text fails MSG-2 (so BLOCKs a check that does not judge it).
    chat_message observe(std::string_view text, std::string_view what);
    // The same reading without judging: the message (double wrap undone) and its deviations.
    observation try_observe(std::string_view text) const;
    // Records the text of a frame this check sent by other means than send_text (fragments).
    void sent_frame(std::string_view text);
    // The next chat message; anything else (close, silence, an invalid message) fails
    // `clause` with "expected <waiting_for>".
    net::awaitable<chat_message> receive(const peer& p, std::string_view clause,
                                         std::string_view waiting_for,
                                         std::optional<milliseconds> timeout = {});
    // Sends `content` and waits for the sender's own copy (MSG-1: the sender is included).
    net::awaitable<chat_message> send_and_echo(const peer& p, std::string_view content);
    // Closes with a handshake; a missing close answer is not judged here.
    net::awaitable<void> leave(const peer& p);

    // HTTP. Connection refused is an ERROR; any other transport failure fails `clause`.
    net::awaitable<http_result> request(std::string method, std::string target,
                                        std::string_view clause);
    net::awaitable<http_result> get(std::string target, std::string_view clause);
    // The exchange as it went, judged by nobody (for checks that judge failures themselves).
    net::awaitable<http_result> try_request(std::string method, std::string target);
    // GET /api/rooms, judged against ROOM-3 (status, content type, envelope, unique names).
    net::awaitable<std::vector<room_entry>> rooms();
    // GET /api/rooms/<room>/messages, judged against HIST-3; 404 fails `missing_clause`.
    net::awaitable<std::vector<chat_message>> history(std::string room,
                                                      std::string_view missing_clause);
    // Clients of `room` in GET /api/rooms; nullopt when the room is not listed.
    net::awaitable<std::optional<std::int64_t>> room_clients(std::string room);
    // Polls GET /api/rooms until `room` shows `clients` (ROOM-4: within SETTLE_MS), else fails
    // `clause`. Returns how long it took.
    net::awaitable<milliseconds> expect_clients(std::string room, std::int64_t clients,
                                                std::string_view clause,
                                                std::string_view after_what);

    // Verdicts. `fail` ends the check (FAIL for a MUST clause, WARN for a SHOULD clause); a
    // clause this check does not judge ends it BLOCKED instead: the clause's own checks judge
    // it. `warn` records a SHOULD finding and lets the check go on.
    [[noreturn]] void fail(std::string_view clause, std::string expected, std::string actual);
    void warn(std::string_view clause, std::string expected, std::string actual);
    [[noreturn]] void skip(std::string reason);
    [[noreturn]] void harness(std::string reason);
    // Figures worth reporting even on PASS ("dropped after 312 messages, 20.4 MB, 0.41 s").
    void note(std::string text);

    // For the runner.
    void cancel() noexcept; // aborts every connection; the check stops at its next step
    bool cancelled() const noexcept { return cancelled_; }
    const std::vector<finding>& findings() const { return findings_; }
    const std::string& notes() const { return notes_; }
    std::vector<reports::transcript_line> take_transcript();
    transcript_sink sink(std::string label);
    void transcribe(std::string direction, std::string text);

private:
    void step(); // throws check_cancelled once cancelled
    // The endpoint of the next client (i mod N) or the next REST request (rotating), with the
    // transcript label that names it ("A@1", "http@2") when the run has several endpoints.
    const base_url& next_client_endpoint(std::string& label);
    const base_url& next_request_endpoint(std::string& label);
    void deviate(const deviation& d, std::string_view what);
    std::shared_ptr<ws_client> make_client(const base_url& endpoint, const std::string& wire_label);
    std::string blame(std::string_view clause) const;

    net::any_io_executor ex_;
    const run_settings& settings_;
    const check& check_;
    int repetition_;
    std::chrono::system_clock::time_point started_;
    std::vector<std::shared_ptr<ws_client>> clients_;
    std::vector<finding> findings_;
    std::string notes_;
    std::shared_ptr<transcript_store> store_;
    bool cancelled_ = false;
    std::size_t clients_made_ = 0;
    std::size_t requests_made_ = 1; // the first request goes to another endpoint than client 0
    std::unordered_set<std::size_t> sent_frames_; // hashes of frame texts this check sent
    std::unordered_set<std::string> noted_;       // deviations already noted
};

// What a read returned, in a report's words ("a text message: ...", "nothing arrived within
// 3000 ms", "the server closed the connection (close code 1007)").
std::string describe_event(const ws_event& ev, milliseconds waited);

// Lets one coroutine of a check wait until another reports progress (one thread: a waiter
// re-tests its condition after every wake-up, so no notification is lost).
class wakeup {
public:
    explicit wakeup(net::any_io_executor ex) : timer_(std::move(ex)) {}
    // Returns on notify() or after `at_most`.
    net::awaitable<void> wait(milliseconds at_most);
    void notify() { timer_.cancel(); }

private:
    net::steady_timer timer_;
};

// Runs the coroutines side by side and waits for all of them. The first failure cancels the
// check (so the others stop at once) and is rethrown.
net::awaitable<void> all_of(check_context& ctx, std::vector<net::awaitable<void>> tasks);

} // namespace chat::conformance
