// fault_hooks for a stack of catalogue entries: each hook applies every selected fault that
// acts at that step, in one fixed order, so any stack composes.
#include "catalogue.hpp"
#include "fault_hooks.hpp"
#include "room_registry.hpp"
#include "routes.hpp"
#include "server_state.hpp"
#include "utf8_blind_stream.hpp"
#include "websocket_session_impl.hpp"

#include "chat/url.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

#include <bitset>        // bitset
#include <chrono>        // milliseconds, steady_clock
#include <cstdlib>       // abort
#include <deque>         // deque
#include <limits>        // numeric_limits
#include <map>           // map
#include <mutex>         // mutex, lock_guard
#include <unordered_map> // unordered_map
#include <unordered_set> // unordered_multiset

namespace chat_server {

// The no-1007 mutant's sessions: the same session over a stream blind to UTF-8.
template class websocket_session<mutants::utf8_blind_stream>;

namespace mutants {

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

// A held broadcast.
struct held {
    std::chrono::steady_clock::time_point due;
    message_ptr msg;
    const member* sender;
};

// What the holding faults keep per room; touched on that room's strand only.
struct room_state {
    std::deque<held> delayed; // broadcast-delay-20ms
    std::deque<held> stalled; // slow-blocks-others
    std::unique_ptr<net::steady_timer> delay_timer;
    std::unique_ptr<net::steady_timer> stall_timer;
};

// Per member counters of offered live messages.
struct member_counts {
    std::uint64_t offered = 0;
};

class mutant_hooks final : public fault_hooks, public std::enable_shared_from_this<mutant_hooks> {
public:
    mutant_hooks(const selection& s, const server_config& config) : config_(config) {
        for (auto f : s.faults)
            on_.set(static_cast<std::size_t>(f));
    }

    void attach(room_registry& rooms) override { rooms_ = &rooms; }

    // --- rooms ------------------------------------------------------------------------------

    bool create_general_room() const override { return !has(fault::no_general); }

    std::size_t history_capacity(std::size_t limit) const override {
        if (has(fault::history_99))
            return limit > 0 ? limit - 1 : 0;
        if (has(fault::history_101))
            return limit + 1;
        return limit;
    }

    bool take_replay(room& r, const std::shared_ptr<member>& m,
                     std::vector<message_ptr>& history) override {
        {
            // A new member's deliveries count from its join: a freed member's address reused
            // by a later one must not inherit its count (drop-every-100th and
            // duplicate-delivery are per connection, not per address).
            std::lock_guard lock(mutex_);
            counts_.erase(m.get());
        }
        if (!has(fault::live_before_replay))
            return false;
        // The member sees live messages for 200 ms before its replay.
        auto t = std::make_shared<net::steady_timer>(r.get_executor(), 200ms);
        t->async_wait([t, m, replay = std::move(history)](boost::system::error_code) {
            for (const auto& h : replay)
                m->replay(h);
        });
        return true;
    }

    bool hold_broadcast(room& r, const message_ptr& msg, const member* sender) override {
        if (has(fault::broadcast_delay_20ms)) {
            auto& s = state_of(r);
            s.delayed.push_back({std::chrono::steady_clock::now() + 20ms, msg, sender});
            if (s.delayed.size() == 1)
                release_delayed(r, s);
            return true;
        }
        if (has(fault::slow_blocks_others)) {
            stall(r, {{}, msg, sender});
            return true;
        }
        return false;
    }

    bool store_in_history(bool full) override {
        return !(has(fault::history_keeps_oldest) && full);
    }

    unsigned copies_for(const member& recipient, const member* sender) override {
        if (has(fault::no_echo) && &recipient == sender)
            return 0;
        if (!has(fault::drop_every_100th) && !has(fault::duplicate_delivery))
            return 1;
        std::uint64_t n = 0;
        {
            std::lock_guard lock(mutex_);
            n = ++counts_[&recipient].offered;
        }
        if (has(fault::drop_every_100th) && n % 100 == 0)
            return 0;
        if (has(fault::duplicate_delivery) && n % 50 == 0)
            return 2;
        return 1;
    }

    void fanned_out(room& r, const message_ptr& msg) override {
        if (!has(fault::cross_room_leak) || !rooms_)
            return;
        auto other = other_than(r);
        if (!other)
            return;
        // Queued for the other room's members without being stored there.
        net::post(other->get_executor(), [other, msg] {
            for (const auto& m : other->members())
                m->offer(msg);
        });
    }

    void dropped_slow_member(room&) override {
        if (has(fault::crash_after_drop))
            std::abort();
    }

    bool leave_lowers_count() const override { return !has(fault::stale_room_count); }

    // --- a cluster ----------------------------------------------------------------------------

    bool publish_to_cluster(room&, const message_ptr& msg) override {
        if (has(fault::cluster_local_history)) {
            std::lock_guard lock(mutex_);
            published_here_.insert(*msg);
        }
        return !has(fault::cluster_local_broadcast);
    }

    bool store_delivered(room&, const message_ptr& msg) override {
        if (!has(fault::cluster_local_history))
            return true;
        std::lock_guard lock(mutex_);
        auto it = published_here_.find(*msg);
        if (it == published_here_.end())
            return false;
        published_here_.erase(it);
        return true;
    }

    bool count_other_nodes() const override { return !has(fault::cluster_local_counts); }

    // --- sessions ---------------------------------------------------------------------------

    bool run_websocket_session(connection_socket& socket, const http_request& req,
                               std::string& early, std::shared_ptr<room>& r, std::string& user,
                               const std::shared_ptr<server_state>& state) override {
        if (!has(fault::no_1007))
            return false;
        utf8_blind_stream stream(std::move(socket), has(fault::binary_broadcast));
        std::make_shared<websocket_session<utf8_blind_stream>>(std::move(stream), std::move(r),
                                                               std::move(user), state)
            ->run(req[http::field::sec_websocket_key], std::move(early));
        return true;
    }

    std::uint64_t message_limit(std::uint64_t limit) const override {
        // Some bound still keeps memory finite.
        return has(fault::no_1009) ? 16 * limit : limit;
    }

    std::size_t send_queue_bound(std::size_t bound) const override {
        return has(fault::slow_never_dropped) ? std::numeric_limits<std::size_t>::max() : bound;
    }

    void add_upgrade_headers(std::string& head) const override {
        if (has(fault::variant_upgrade_headers))
            head += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                    "X-Chat-Variant: upgrade-headers\r\n";
    }

    frame_verdict read_client_frame(std::string_view data, bool text,
                                    chat::chat_message& m) const override {
        if (!has(fault::double_wrap) && !has(fault::timestamp_seconds) &&
            !has(fault::bad_frame_broadcast) && !has(fault::binary_broadcast) &&
            !has(fault::user_from_frame) && !has(fault::no_1007))
            return frame_verdict::as_specified;
        // With no-1007 every message arrives labelled binary (utf8_blind_stream); the
        // client's own binary ones only with binary-broadcast.
        const bool sent_binary = !text && !has(fault::no_1007);
        if (sent_binary && !has(fault::binary_broadcast))
            return frame_verdict::ignore; // MSG-6
        auto frame = chat::decode_client_frame(data);
        if (frame.ok()) {
            m.content = has(fault::double_wrap) ? std::string(data) : std::move(frame.content);
        } else if (has(fault::bad_frame_broadcast) ||
                   (sent_binary && has(fault::binary_broadcast))) {
            if (!is_valid_utf8(data))
                return frame_verdict::ignore; // a JSON string cannot carry it
            m.content = std::string(data);
        } else {
            return frame_verdict::ignore; // MSG-5
        }
        if (has(fault::timestamp_seconds))
            m.timestamp /= 1000;
        if (has(fault::user_from_frame)) {
            auto j = nlohmann::json::parse(data, nullptr, false);
            if (j.is_object() && j.contains("user") && j["user"].is_string())
                m.user = j["user"].get<std::string>();
        }
        return frame_verdict::broadcast;
    }

    std::string encode_message(const chat::chat_message& m) const override {
        if (!has(fault::variant_member_order))
            return chat::encode_message(m);
        std::string s = R"({"timestamp":)" + std::to_string(m.timestamp) + R"(,"content":)";
        chat::append_json_string(s, m.content);
        s += R"(,"room":)";
        chat::append_json_string(s, m.room);
        s += R"(,"user":)";
        chat::append_json_string(s, m.user);
        s += '}';
        return s;
    }

    std::size_t frame_message(const std::string& payload, std::span<frame_header> headers,
                              std::span<net::const_buffer> buffers) const override {
        const bool ping = has(fault::variant_ping_between_fragments);
        if (!ping && !has(fault::variant_fragmented))
            return fault_hooks::frame_message(payload, headers, buffers);
        // RFC 6455 5.4: text (FIN 0), continuation (FIN 0), continuation (FIN 1), with a ping
        // between each two when asked (5.5: control frames may be injected).
        static const std::string ping_payload = "variant";
        const std::size_t needed = ping ? 5 : 3;
        if (headers.size() < needed)
            return 0;
        const std::size_t cut[4] = {0, payload.size() / 3, 2 * payload.size() / 3, payload.size()};
        std::size_t used = 0;
        auto put = [&](ws::opcode op, bool fin, net::const_buffer data) {
            auto* h = headers[used].data();
            ws::frame_header fh;
            fh.fin = fin;
            fh.op = op;
            fh.length = data.size();
            const std::size_t size = ws::encode_header(h, fh);
            buffers[2 * used] = net::const_buffer(h, size);
            buffers[2 * used + 1] = data;
            ++used;
        };
        for (int i = 0; i < 3; ++i) {
            if (i > 0 && ping)
                put(ws::opcode::ping, true, net::buffer(ping_payload));
            put(i == 0 ? ws::opcode::text : ws::opcode::continuation, i == 2,
                net::buffer(payload.data() + cut[i], cut[i + 1] - cut[i]));
        }
        return used;
    }

    bool close_after_close_frame() const override {
        return has(fault::variant_close_after_close_frame);
    }

    // --- HTTP -------------------------------------------------------------------------------

    void routed(std::string_view target, route& r) const override {
        if (!has(fault::duplicate_params_accepted) || r.what != route::endpoint::ws ||
            r.query_error.empty())
            return;
        // The first of repeated values wins, as in gin's c.Query; every other rule stays.
        auto parsed = chat::parse_request_target(target);
        if (!parsed)
            return;
        auto room = parsed->values("room");
        auto user = parsed->values("user");
        auto usable = [&](const std::vector<std::string>& v) {
            return !v.empty() && !v[0].empty() && v[0].size() <= config_.max_name_bytes &&
                   is_valid_utf8(v[0]);
        };
        if (!usable(room) || !usable(user))
            return;
        r.join_room = room[0];
        r.join_user = user[0];
        r.query_error.clear();
    }

    void respond(std::string_view target, http_response& res) const override {
        const auto status = res.result_int();
        if (has(fault::unknown_room_200) && status == 404 &&
            res.body() == chat::encode_error("room not found")) {
            auto path = target;
            if (!config_.base_path.empty())
                path = strip_base_path(target, config_.base_path).value_or(target);
            auto r = classify(path, config_.max_name_bytes);
            res.result(http::status::ok);
            std::string body = R"({"data":{"room":)";
            // Only HIST-4 is this mutant's: the echoed name stays valid UTF-8 (HTTP-6)
            chat::append_json_string(body, chat::valid_utf8(r.room));
            body += R"(,"messages":[]}})";
            res.body() = std::move(body);
        }
        if (has(fault::wrong_method_404) && status == 405) {
            res.result(http::status::not_found);
            res.erase(http::field::allow);
            res.body() = chat::encode_error("not found");
        }
        const bool ok_json =
            res.result_int() == 200 && res.body().rfind(R"({"data":{"room)", 0) == 0;
        if (has(fault::history_newest_first) && ok_json &&
            res.body().rfind(R"({"data":{"room":)", 0) == 0) {
            auto j = nlohmann::ordered_json::parse(res.body(), nullptr, false);
            if (j.is_object()) {
                auto& messages = j["data"]["messages"];
                std::reverse(messages.begin(), messages.end());
                res.body() = j.dump();
            }
        }
        if (has(fault::wrong_rest_envelope) && ok_json) {
            // {"data":X} -> X
            const std::string& b = res.body();
            res.body() = b.substr(8, b.size() - 9);
        }
        const bool error = res.result_int() >= 400;
        if (error &&
            (has(fault::plain_errors) || (has(fault::plain_400) && res.result_int() == 400))) {
            std::string why;
            if (auto e = chat::decode_error(res.body(), &why)) {
                res.body() = *e;
                res.set(http::field::content_type, "text/plain; charset=utf-8");
            }
        }
        if (has(fault::variant_json_charset) &&
            res[http::field::content_type] == "application/json")
            res.set(http::field::content_type, "application/json; charset=utf-8");
    }

private:
    bool has(fault f) const noexcept { return on_.test(static_cast<std::size_t>(f)); }

    room_state& state_of(const room& r) {
        std::lock_guard lock(mutex_);
        return rooms_state_[&r]; // rooms live as long as the server: the key stays valid
    }

    std::shared_ptr<room> other_than(const room& r) const {
        auto general = rooms_->find("general");
        if (general && general.get() != &r)
            return general;
        for (const auto& e : rooms_->list()) {
            auto other = rooms_->find(e.name);
            if (other && other.get() != &r && other->clients() > 0)
                return other;
        }
        return nullptr;
    }

    // broadcast-delay-20ms: one timer for the oldest held message keeps the order.
    void release_delayed(room& r, room_state& s) {
        const auto now = std::chrono::steady_clock::now();
        while (!s.delayed.empty() && s.delayed.front().due <= now) {
            auto d = std::move(s.delayed.front());
            s.delayed.pop_front();
            if (has(fault::slow_blocks_others))
                stall(r, std::move(d));
            else
                r.fan_out(d.msg, d.sender);
        }
        if (s.delayed.empty())
            return;
        if (!s.delay_timer)
            s.delay_timer = std::make_unique<net::steady_timer>(r.get_executor());
        s.delay_timer->expires_at(s.delayed.front().due);
        s.delay_timer->async_wait([self = shared_from_this(), rp = r.shared_from_this(),
                                   &s](boost::system::error_code ec) {
            if (!ec)
                self->release_delayed(*rp, s);
        });
    }

    // slow-blocks-others: while a member's queue is full, nothing is fanned out.
    void stall(room& r, held h) {
        auto& s = state_of(r);
        s.stalled.push_back(std::move(h));
        if (s.stalled.size() == 1)
            resume_stalled(r, s);
    }

    void resume_stalled(room& r, room_state& s) {
        while (!s.stalled.empty()) {
            for (const auto& m : r.members()) {
                if (!m->queue_full())
                    continue;
                if (!s.stall_timer)
                    s.stall_timer = std::make_unique<net::steady_timer>(r.get_executor());
                s.stall_timer->expires_after(5ms);
                s.stall_timer->async_wait([self = shared_from_this(), rp = r.shared_from_this(),
                                           &s](boost::system::error_code ec) {
                    if (!ec)
                        self->resume_stalled(*rp, s);
                });
                return;
            }
            auto head = std::move(s.stalled.front());
            s.stalled.pop_front();
            r.fan_out(head.msg, head.sender);
        }
    }

    const server_config config_;
    std::bitset<fault_count> on_;
    room_registry* rooms_ = nullptr;
    std::mutex mutex_;
    std::map<const room*, room_state> rooms_state_;
    std::unordered_map<const member*, member_counts> counts_;
    std::unordered_multiset<std::string> published_here_; // cluster-local-history
};

} // namespace

std::shared_ptr<fault_hooks> make_hooks(const selection& s, const server_config& config) {
    if (s.faults.empty())
        return nullptr;
    return std::make_shared<mutant_hooks>(s, config);
}

} // namespace mutants
} // namespace chat_server
