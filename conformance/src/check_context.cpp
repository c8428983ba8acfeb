// The context of one running check: names, deadlines, judged I/O and verdicts.
#include "check_context.hpp"

#include "message_shape.hpp"

#include "chat/codec.hpp"
#include "chat/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>      // ceil
#include <deque>      // deque
#include <functional> // hash
#include <sstream>    // ostringstream

namespace chat::conformance {

namespace {

bool refused(const boost::system::error_code& ec) {
    return ec == net::error::connection_refused || ec == net::error::host_not_found ||
           ec == net::error::host_not_found_try_again || ec == net::error::network_unreachable ||
           ec == net::error::host_unreachable;
}

std::string direction_of(const std::string& label, wire_event::kind k) {
    switch (k) {
    case wire_event::kind::http_request:
    case wire_event::kind::frame_sent:
        return label + " ->";
    case wire_event::kind::http_response:
    case wire_event::kind::frame_received:
        return label + " <-";
    case wire_event::kind::control:
        return label + " ~";
    case wire_event::kind::note:
        break;
    }
    return label + " ..";
}

std::string ms_text(milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

} // namespace

// Transcript lines outlive the context when a connection's last handler runs late, so the
// sinks share this store rather than pointing at the context.
struct transcript_store {
    static constexpr std::size_t head_max = 250;
    static constexpr std::size_t tail_max = 150;
    std::chrono::system_clock::time_point started;
    std::vector<reports::transcript_line> head;
    std::deque<reports::transcript_line> tail;
    std::size_t dropped = 0;

    void add(std::chrono::system_clock::time_point at, std::string direction, std::string text) {
        reports::transcript_line line;
        line.t_ms = std::chrono::duration<double, std::milli>(at - started).count();
        line.direction = std::move(direction);
        line.text = std::move(text);
        if (head.size() < head_max)
            head.push_back(std::move(line));
        else {
            tail.push_back(std::move(line));
            if (tail.size() > tail_max) {
                tail.pop_front();
                ++dropped;
            }
        }
    }
};

check_context::check_context(net::any_io_executor ex, const run_settings& settings, const check& c,
                             int repetition)
    : ex_(std::move(ex)), settings_(settings), check_(c), repetition_(repetition),
      started_(std::chrono::system_clock::now()), store_(std::make_shared<transcript_store>()) {
    store_->started = started_;
    // Which endpoint "A@1" or "http@2" is (SPEC.md "Deployments").
    if (settings_.targets.size() > 1) {
        std::string map = "endpoints:";
        for (std::size_t k = 0; k < settings_.targets.size(); ++k)
            map += " @" + std::to_string(k) + "=" + settings_.targets[k].to_string();
        store_->add(started_, "..", std::move(map));
    }
}

std::string check_context::room(std::string_view tag) const {
    std::string r =
        "cc-" + settings_.run_id + "-" + std::string(check_.id) + "-" + std::to_string(repetition_);
    if (!tag.empty())
        r += "-" + std::string(tag);
    return r;
}

std::string check_context::user(std::string_view tag) const {
    return "cc-" + std::string(tag);
}

std::string check_context::path(std::string_view p) const {
    return settings_.target.base_path + std::string(p);
}

milliseconds check_context::scaled(milliseconds base) const {
    double v = std::ceil(static_cast<double>(base.count()) * settings_.timeout_scale);
    return milliseconds(std::max<long long>(1, static_cast<long long>(v)));
}

milliseconds check_context::io_timeout() const {
    return scaled(milliseconds(3000));
}

milliseconds check_context::settle_timeout() const {
    const int settle = settings_.targets.size() > 1 ? settings_.constants.node_settle_ms
                                                    : settings_.constants.settle_ms;
    return scaled(milliseconds(settle + 500));
}

namespace {

const base_url& pick_endpoint(const run_settings& s, std::size_t i, std::string& label) {
    if (s.targets.size() <= 1)
        return s.target;
    const std::size_t k = i % s.targets.size();
    label += "@" + std::to_string(k);
    return s.targets[k];
}

} // namespace

const base_url& check_context::next_client_endpoint(std::string& label) {
    return pick_endpoint(settings_, clients_made_++, label);
}

const base_url& check_context::next_request_endpoint(std::string& label) {
    return pick_endpoint(settings_, requests_made_++, label);
}

net::awaitable<void> check_context::sleep(milliseconds d) {
    step();
    net::steady_timer t(ex_, d);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
    step();
}

void check_context::step() {
    if (cancelled_)
        throw check_cancelled{};
}

transcript_sink check_context::sink(std::string label) {
    auto store = store_;
    return [store, label](const wire_event& e) {
        store->add(e.at, direction_of(label, e.type), e.text);
    };
}

void check_context::transcribe(std::string direction, std::string text) {
    store_->add(std::chrono::system_clock::now(), std::move(direction), std::move(text));
}

std::vector<reports::transcript_line> check_context::take_transcript() {
    auto& s = *store_;
    std::vector<reports::transcript_line> out = std::move(s.head);
    if (s.dropped > 0) {
        reports::transcript_line gap;
        gap.t_ms = s.tail.empty() ? 0 : s.tail.front().t_ms;
        gap.direction = "..";
        gap.text = std::to_string(s.dropped) + " lines omitted";
        out.push_back(std::move(gap));
    }
    for (auto& l : s.tail)
        out.push_back(std::move(l));
    s.head.clear();
    s.tail.clear();
    return out;
}

std::shared_ptr<ws_client> check_context::make_client(const base_url& endpoint,
                                                      const std::string& wire_label) {
    step();
    auto c = std::make_shared<ws_client>(ex_, endpoint, sink(wire_label));
    clients_.push_back(c);
    return c;
}

std::string check_context::blame(std::string_view clause) const {
    if (!clause.empty())
        return std::string(clause);
    return check_.clauses.empty() ? std::string() : std::string(check_.clauses.front());
}

net::awaitable<peer> check_context::join(std::string room, std::string user, std::string label,
                                         ws_options opts) {
    std::string wire_label = label;
    const base_url& endpoint = next_client_endpoint(wire_label);
    auto ws = make_client(endpoint, wire_label);
    opts.request = settings_.request;
    // connect_target with an lvalue, not ws_client::connect: with GCC 12 the latter's
    // std::move of its by-value ws_options into connect_target frees an invalid pointer.
    auto r = co_await ws->connect_target(ws_target(endpoint, room, user), io_timeout(), opts);
    step();
    if (!r.ok()) {
        if (refused(r.ec))
            harness("cannot connect to " + endpoint.host_header() + " to join room \"" + room +
                    "\": " + r.error);
        fail("CONN-1",
             "the upgrade of " + label + " to room \"" + room + "\" answered with 101 within " +
                 ms_text(io_timeout()),
             "the upgrade failed: " + r.error);
    }
    if (r.status != 101)
        fail("CONN-1",
             "101 Switching Protocols for /ws?room=" + percent_encode(room) +
                 "&user=" + percent_encode(user),
             "the server answered " + std::to_string(r.status) + " " + excerpt(r.body));
    co_return peer{std::move(label), std::move(room), std::move(user), std::move(ws)};
}

net::awaitable<http_result> check_context::try_upgrade(std::string target, std::string label,
                                                       std::shared_ptr<ws_client>* upgraded) {
    std::string wire_label = label;
    const base_url& endpoint = next_client_endpoint(wire_label);
    auto ws = make_client(endpoint, wire_label);
    ws_options opts;
    opts.request = settings_.request;
    auto r = co_await ws->connect_target(target, io_timeout(), opts);
    step();
    if (!r.ok() && refused(r.ec))
        harness("cannot connect to " + endpoint.host_header() + ": " + r.error);
    if (r.status == 101) {
        if (upgraded)
            *upgraded = ws;
        else
            ws->abort();
    }
    co_return r;
}

net::awaitable<void> check_context::send(const peer& p, std::string_view content,
                                         std::string_view clause) {
    co_await send_text(p, encode_client_frame(content), clause);
}

net::awaitable<void> check_context::send_text(const peer& p, std::string_view text,
                                              std::string_view clause) {
    step();
    sent_frame(text);
    auto ec = co_await p.ws->send_text(text, io_timeout());
    step();
    if (ec)
        fail(blame(clause), p.label + " can send a frame on its open connection",
             "sending failed: " + ec.message() +
                 (p.ws->is_open() ? "" : " (the server closed the connection)"));
}

net::awaitable<void> check_context::send_burst(const peer& p,
                                               const std::vector<std::string>& contents,
                                               std::string_view clause) {
    step();
    std::vector<std::string> frames;
    frames.reserve(contents.size());
    for (const auto& c : contents) {
        frames.push_back(encode_client_frame(c));
        sent_frame(frames.back());
    }
    auto ec = co_await p.ws->send_burst(frames, io_timeout());
    step();
    if (ec)
        fail(blame(clause),
             p.label + " can send a burst of " + std::to_string(frames.size()) +
                 " frames on its open connection",
             "sending failed: " + ec.message() +
                 (p.ws->is_open() ? "" : " (the server closed the connection)"));
}

net::awaitable<ws_event> check_context::next_event(const peer& p,
                                                   std::optional<milliseconds> timeout) {
    step();
    auto ev = co_await p.ws->read(timeout.value_or(io_timeout()));
    step();
    co_return ev;
}

std::string describe_event(const ws_event& ev, milliseconds waited) {
    switch (ev.type) {
    case ws_event::kind::text:
        return "a text message: " + excerpt(ev.data);
    case ws_event::kind::binary:
        return "a binary message of " + std::to_string(ev.data.size()) + " bytes";
    case ws_event::kind::closed:
        return "the server closed the connection (close code " + std::to_string(ev.close_code) +
               (ev.close_reason.empty() ? ""
                                        : ", reason \"" + excerpt(ev.close_reason, 80) + "\"") +
               ")";
    case ws_event::kind::timeout:
        return "nothing arrived within " + ms_text(waited);
    case ws_event::kind::error:
        if (!ev.protocol_violation.empty())
            return "a frame that breaks RFC 6455 (" + ev.protocol_violation + ")";
        return "the TCP connection ended without a close frame (" + ev.ec.message() + ")";
    }
    return "?";
}

net::awaitable<chat_message> check_context::receive(const peer& p, std::string_view clause,
                                                    std::string_view waiting_for,
                                                    std::optional<milliseconds> timeout) {
    auto waited = timeout.value_or(io_timeout());
    auto ev = co_await next_event(p, waited);
    if (ev.type == ws_event::kind::binary)
        fail("MSG-2",
             p.label + " to receive " + std::string(waiting_for) + " as a JSON text message",
             p.label + " received " + describe_event(ev, waited));
    if (ev.type != ws_event::kind::text)
        fail(blame(clause), p.label + " to receive " + std::string(waiting_for),
             describe_event(ev, waited));
    co_return observe(ev.data, p.label + " to receive " + std::string(waiting_for));
}

void check_context::sent_frame(std::string_view text) {
    sent_frames_.insert(std::hash<std::string_view>{}(text));
}

observation check_context::try_observe(std::string_view text) const {
    auto o = observe_message(text);
    if (!o.message)
        return o;
    auto& m = *o.message;
    if (sent_frames_.count(std::hash<std::string_view>{}(m.content))) {
        auto inner = decode_client_frame(m.content);
        if (inner.ok() && inner.content != m.content) {
            o.deviations.push_back(
                {"MSG-2", "content is the whole frame text " + excerpt(m.content, 80) +
                              ", not its \"content\" \"" + excerpt(inner.content, 60) +
                              "\" (double-wrapped, as the original server did)"});
            m.content = std::move(inner.content);
        }
    }
    return o;
}

chat_message check_context::observe(std::string_view text, std::string_view what) {
    auto o = try_observe(text);
    if (!o.message)
        fail(o.unrecognised.clause,
             std::string(what) + " as {\"user\",\"room\",\"content\",\"timestamp\"}",
             o.unrecognised.problem);
    auto& m = *o.message;
    for (const auto& d : o.deviations)
        deviate(d, what);
    return std::move(m);
}

void check_context::deviate(const deviation& d, std::string_view what) {
    if (check_.judges(d.clause))
        fail(d.clause, std::string(what) + " as SPEC.md " + d.clause + " defines it", d.problem);
    if (noted_.insert(d.clause).second)
        note("tolerated a deviation judged by " + d.clause + "'s own checks: " + d.problem);
}

net::awaitable<chat_message> check_context::send_and_echo(const peer& p, std::string_view content) {
    co_await send(p, content, "MSG-1");
    auto want = "its own message \"" + excerpt(content, 60) + "\" back (the sender is included)";
    auto m = co_await receive(p, "MSG-1", want);
    if (m.room != p.room)
        fail("MSG-7", p.label + " (a client of room \"" + p.room + "\") to receive " + want,
             p.label + " received a message of room \"" + excerpt(m.room, 80) +
                 "\": " + excerpt(m.content, 60));
    if (m.content != content || m.user != p.user)
        fail("MSG-1", p.label + " to receive " + want,
             p.label + " received a message from \"" + excerpt(m.user, 40) + "\": \"" +
                 excerpt(m.content, 60) + "\"");
    co_return m;
}

net::awaitable<void> check_context::leave(const peer& p) {
    step();
    co_await p.ws->close(1000, io_timeout());
    step();
}

net::awaitable<http_result> check_context::request(std::string method, std::string target,
                                                   std::string_view clause) {
    step();
    std::string wire_label = "http";
    const base_url& endpoint = next_request_endpoint(wire_label);
    auto r = co_await http_request(ex_, endpoint, method, target, io_timeout(), settings_.request,
                                   sink(wire_label));
    step();
    if (!r.ok()) {
        if (refused(r.ec))
            harness("cannot connect to " + endpoint.host_header() + " for " + method + " " +
                    target + ": " + r.error);
        fail(blame(clause),
             "an HTTP answer to " + method + " " + target + " within " + ms_text(io_timeout()),
             r.error);
    }
    co_return r;
}

net::awaitable<http_result> check_context::try_request(std::string method, std::string target) {
    step();
    std::string wire_label = "http";
    const base_url& endpoint = next_request_endpoint(wire_label);
    auto r = co_await http_request(ex_, endpoint, method, target, io_timeout(), settings_.request,
                                   sink(wire_label));
    step();
    co_return r;
}

net::awaitable<http_result> check_context::get(std::string target, std::string_view clause) {
    co_return co_await request("GET", std::move(target), clause);
}

net::awaitable<std::vector<room_entry>> check_context::rooms() {
    auto target = rooms_target(settings_.target);
    auto r = co_await get(target, "ROOM-3");
    if (r.status != 200)
        fail("ROOM-3", "GET " + target + " to answer 200 with the room list",
             "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    if (!is_json_content_type(r.content_type))
        fail("HTTP-4", "GET " + target + " to carry Content-Type: application/json",
             "Content-Type is \"" + r.content_type + "\"");
    std::string why;
    auto list = inspect_room_list(r.body, why);
    if (!list)
        fail("ROOM-3",
             "GET " + target +
                 " to answer {\"data\":{\"rooms\":[{\"name\": string, \"clients\": integer}, "
                 "...]}} listing every room once",
             why);
    co_return std::move(*list);
}

net::awaitable<std::vector<chat_message>> check_context::history(std::string room,
                                                                 std::string_view missing_clause) {
    auto target = history_target(settings_.target, room);
    auto r = co_await get(target, "HIST-3");
    if (r.status == 404)
        fail(blame(missing_clause),
             "GET " + target + " to answer 200 with the history of room \"" + room +
                 "\", which exists",
             "it answered 404 " + excerpt(r.body));
    if (r.status != 200)
        fail("HIST-3", "GET " + target + " to answer 200",
             "it answered " + std::to_string(r.status) + " " + excerpt(r.body));
    if (!is_json_content_type(r.content_type))
        fail("HTTP-4", "GET " + target + " to carry Content-Type: application/json",
             "Content-Type is \"" + r.content_type + "\"");
    std::string why;
    auto body = observe_history(r.body, why);
    if (!body)
        fail("HIST-3",
             "GET " + target + " to answer {\"data\":{\"room\": R, \"messages\": [message, ...]}}",
             why);
    if (body->room != room)
        fail("HIST-3", "data.room to be the decoded room name \"" + room + "\"",
             "data.room is \"" + excerpt(body->room, 80) + "\"");
    std::vector<chat_message> out;
    for (std::size_t i = 0; i < body->messages.size(); ++i) {
        auto& o = body->messages[i];
        const auto what = "messages[" + std::to_string(i) + "] of GET " + target;
        if (!o.message)
            fail(o.unrecognised.clause, what + " to be a message", o.unrecognised.problem);
        // The same reading as a live message: a double-wrapped content is recognised.
        out.push_back(observe(encode_message(*o.message), what));
        for (const auto& d : o.deviations)
            deviate(d, what);
    }
    co_return out;
}

net::awaitable<std::optional<std::int64_t>> check_context::room_clients(std::string room) {
    auto list = co_await rooms();
    for (const auto& e : list)
        if (e.name == room)
            co_return e.clients;
    co_return std::nullopt;
}

net::awaitable<milliseconds> check_context::expect_clients(std::string room, std::int64_t clients,
                                                           std::string_view clause,
                                                           std::string_view after_what) {
    auto start = std::chrono::steady_clock::now();
    auto limit = settle_timeout();
    for (;;) {
        auto seen = co_await room_clients(room);
        auto elapsed =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
        if (seen && *seen == clients)
            co_return elapsed;
        if (elapsed > limit) {
            std::string expected = "GET /api/rooms to list room \"" + room + "\" with clients " +
                                   std::to_string(clients) + " within SETTLE_MS (" +
                                   std::to_string(constants().settle_ms) + " ms) " +
                                   std::string(after_what);
            if (!seen && clients == 0)
                fail("ROOM-5", expected, "the room is no longer listed at all");
            fail(blame(clause), expected,
                 seen ? "it still shows clients " + std::to_string(*seen) + " after " +
                            ms_text(elapsed)
                      : "the room is not listed (after " + ms_text(elapsed) + ")");
        }
        co_await sleep(milliseconds(25));
    }
}

void check_context::fail(std::string_view clause, std::string expected, std::string actual) {
    finding f;
    f.clause = std::string(clause);
    const auto* c = find_clause(clause);
    f.strength = c ? c->strength : level::must;
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    if (!check_.judges(clause))
        throw blocked(std::move(f));
    findings_.push_back(f);
    throw violation(std::move(f));
}

void check_context::warn(std::string_view clause, std::string expected, std::string actual) {
    if (!check_.judges(clause)) {
        note("observed, judged by " + std::string(clause) + "'s own checks: " + actual);
        return;
    }
    finding f;
    f.clause = std::string(clause);
    f.strength = level::should;
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    findings_.push_back(std::move(f));
}

void check_context::skip(std::string reason) {
    throw not_applicable(std::move(reason));
}

void check_context::harness(std::string reason) {
    throw harness_error(std::move(reason));
}

void check_context::note(std::string text) {
    if (!notes_.empty())
        notes_ += "; ";
    notes_ += text;
}

void check_context::cancel() noexcept {
    cancelled_ = true;
    for (auto& c : clients_)
        c->abort();
}

net::awaitable<void> wakeup::wait(milliseconds at_most) {
    timer_.expires_after(at_most);
    boost::system::error_code ec;
    co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
}

// all_of's shared state. At namespace scope, not local to the coroutine: a coroutine frame
// holding a type without linkage trips GCC's -Wsubobject-linkage in a unity build.
struct all_of_state {
    std::size_t left;
    std::exception_ptr first;
    net::steady_timer done;
};

net::awaitable<void> all_of(check_context& ctx, std::vector<net::awaitable<void>> tasks) {
    auto ex = co_await net::this_coro::executor;
    auto st =
        std::make_shared<all_of_state>(all_of_state{tasks.size(), nullptr, net::steady_timer(ex)});
    for (auto& t : tasks)
        net::co_spawn(ex, std::move(t), [st, &ctx](std::exception_ptr e) {
            if (e && !st->first) {
                st->first = e;
                ctx.cancel();
            }
            if (--st->left == 0)
                st->done.cancel();
        });
    while (st->left > 0) {
        st->done.expires_at(net::steady_timer::time_point::max());
        boost::system::error_code ec;
        co_await st->done.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    if (st->first)
        std::rethrow_exception(st->first);
}

} // namespace chat::conformance
