// chat-server --cluster: the rooms of every node of a deployment, sequenced by NATS JetStream.
//
// One stream, CHAT, over the subjects chat.msg.<room> (the room's messages: the room's one
// order, HISTORY_LIMIT + feed_slack kept per subject) and chat.room.<room> (a room was
// created), where <room> is the room name's bytes in lowercase hex (a valid subject token
// whatever the UTF-8). Every node reads the whole stream through one ordered consumer, from its
// start, and applies it to its rooms (room::deliver, on their strands; each room's history
// keeps the last HISTORY_LIMIT). A join or history read first syncs: it asks the stream for its
// last sequence number and waits until the feed has applied it, so what any node had sequenced
// before is in the replay and everything later comes live (SPEC.md HIST-5, HIST-6, ORD-1).
//
// Counts: each node keeps one entry, node.<id>, in the KV bucket chat_nodes: its rooms with
// clients, rewritten on every change and at least every node_heartbeat. Every node watches the
// bucket and forgets a node silent for node_expiry (a node that dies) or whose entry was
// deleted (a node that stopped).
//
// nats.c runs the feed callback and the KV watcher on its own threads; they only post to room
// strands and update maps under a lock.
#include "backplane.hpp"

#include "logger.hpp"
#include "room.hpp"
#include "room_registry.hpp"
#include "server_config.hpp"

#include <nats/nats.h>

#include <algorithm>          // max
#include <atomic>             // atomic
#include <chrono>             // steady_clock, system_clock
#include <condition_variable> // condition_variable
#include <cstdint>            // int64_t, uint64_t
#include <future>             // promise
#include <map>                // map
#include <mutex>              // mutex
#include <random>             // random_device
#include <shared_mutex>       // shared_mutex
#include <string>             // string
#include <thread>             // thread
#include <unordered_map>      // unordered_map
#include <utility>            // move
#include <vector>             // vector

namespace chat_server {

namespace {

constexpr const char* stream_name = "CHAT";
// The stream keeps HISTORY_LIMIT + feed_slack messages per room: a node's feed may lag this
// many messages behind a room's newest before the stream drops one it has not read yet (a
// limit of exactly HISTORY_LIMIT lost messages of a 200-message burst). Each node's history
// keeps exactly HISTORY_LIMIT of them.
constexpr std::size_t feed_slack = 8192;
constexpr const char* bucket_name = "chat_nodes";
constexpr const char* message_prefix = "chat.msg.";
constexpr const char* room_prefix = "chat.room.";

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// False for a token that is not lowercase hex of an even length.
bool from_hex(std::string_view hex, std::string& out) {
    if (hex.empty() || hex.size() % 2 != 0)
        return false;
    out.clear();
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}

std::string status_text(natsStatus s) {
    const char* last = nats_GetLastError(nullptr);
    return std::string(natsStatus_GetText(s)) +
           (last && *last ? std::string(" (") + last + ")" : "");
}

class nats_backplane final : public room_backplane {
public:
    nats_backplane(const server_config& config, room_registry& rooms, logger& log)
        : config_(config), rooms_(rooms), log_(log) {
        std::random_device rd;
        node_key_ = "node." + to_hex(std::to_string((std::uint64_t{rd()} << 32) | rd()));
    }

    ~nats_backplane() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto* t : {&sync_thread_, &counts_thread_, &watch_thread_})
            if (t->joinable())
                t->join();
        // With the engine gone, nothing below could complete: skip the waits (a stop stays
        // within SHUTDOWN_MS); the other nodes forget this one after node_expiry.
        const bool connected = nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
        // No feed callback runs after the drain (queued messages are handed over first).
        if (feed_ && natsSubscription_Drain(feed_) == NATS_OK)
            natsSubscription_WaitForDrainCompletion(feed_, connected ? 2000 : 200);
        if (kv_) {
            if (connected)
                kvStore_Delete(kv_, node_key_.c_str()); // the other nodes stop counting ours now
            kvStore_Destroy(kv_);
        }
        if (js_ && connected) {
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MaxWait = 1000;
            js_PublishAsyncComplete(js_, &po);
        }
        natsSubscription_Destroy(feed_);
        jsCtx_Destroy(js_);
        if (nc_) {
            natsConnection_Close(nc_);
            natsConnection_Destroy(nc_);
        }
        natsOptions_Destroy(options_);
    }

    // Returns "" or one line saying what failed.
    std::string start(const std::string& url) {
        if (config_.history_limit == 0)
            return "--cluster needs --history-limit 1 or more (a stream's per-subject limit of 0 "
                   "means unlimited)";
        natsStatus s = natsOptions_Create(&options_);
        if (s == NATS_OK)
            s = natsOptions_SetURL(options_, url.c_str());
        if (s == NATS_OK)
            s = natsOptions_SetName(options_, "chat-server");
        if (s == NATS_OK)
            s = natsOptions_SetMaxReconnect(options_, -1); // the engine may restart
        if (s == NATS_OK)
            s = natsOptions_SetReconnectWait(options_, 250);
        if (s == NATS_OK)
            s = natsOptions_SetTimeout(options_, 3000);
        if (s == NATS_OK)
            s = natsConnection_Connect(&nc_, options_);
        if (s != NATS_OK)
            return "--cluster: cannot connect to " + url + ": " + status_text(s);
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.PublishAsync.ErrHandler = &nats_backplane::on_publish_error;
        jo.PublishAsync.ErrHandlerClosure = this;
        jo.Wait = 3000;
        if ((s = natsConnection_JetStream(&js_, nc_, &jo)) != NATS_OK)
            return "--cluster: no JetStream context: " + status_text(s);

        // The stream: created by the first node, the same for every other.
        const char* subjects[] = {"chat.>"};
        jsStreamConfig sc;
        jsStreamConfig_Init(&sc);
        sc.Name = stream_name;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.MaxMsgsPerSubject = static_cast<std::int64_t>(config_.history_limit + feed_slack);
        sc.Storage = js_FileStorage;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        jsStreamInfo* si = nullptr;
        s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
        if (s != NATS_OK && jerr == JSStreamNameExistErr)
            s = js_UpdateStream(&si, js_, &sc, nullptr, &jerr);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK)
            return "--cluster: cannot set up the stream " + std::string(stream_name) +
                   " (is JetStream on: nats-server -js?): " + status_text(s);

        kvConfig kc;
        kvConfig_Init(&kc);
        kc.Bucket = bucket_name;
        kc.History = 1;
        kc.TTL = std::chrono::nanoseconds(node_expiry).count(); // nats.c 3.4: nanoseconds
        kc.StorageType = js_MemoryStorage;
        s = js_CreateKeyValue(&kv_, js_, &kc);
        if (s != NATS_OK) {
            std::string why = status_text(s);
            s = js_KeyValue(&kv_, js_, bucket_name); // made by another node with other settings
            if (s != NATS_OK)
                return "--cluster: cannot set up the bucket " + std::string(bucket_name) + ": " +
                       why;
        }

        // The counts of the other nodes, as they are now, before the first request.
        kvWatcher* watcher = nullptr;
        if ((s = kvStore_WatchAll(&watcher, kv_, nullptr)) != NATS_OK)
            return "--cluster: cannot watch " + std::string(bucket_name) + ": " + status_text(s);
        const auto watch_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (;;) {
            kvEntry* e = nullptr;
            s = kvWatcher_Next(&e, watcher, 100);
            if (s == NATS_OK && !e)
                break; // the initial values are all in
            if (s == NATS_OK)
                on_entry(e);
            if (std::chrono::steady_clock::now() > watch_deadline) {
                kvWatcher_Destroy(watcher);
                return "--cluster: the bucket " + std::string(bucket_name) +
                       " did not answer within 5 s";
            }
        }
        watch_thread_ = std::thread([this, watcher] { watch_loop(watcher); });

        // The feed: every room's history, then live, in the stream's order.
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Ordered = true;
        so.Config.DeliverPolicy = js_DeliverAll;
        s = js_Subscribe(&feed_, js_, "chat.>", &nats_backplane::on_feed, this, nullptr, &so,
                         &jerr);
        if (s != NATS_OK)
            return "--cluster: cannot read the stream " + std::string(stream_name) + ": " +
                   status_text(s);
        sync_thread_ = std::thread([this] { sync_loop(); });
        counts_thread_ = std::thread([this] { counts_loop(); });

        // Caught up before the first connection: every room and its history are here.
        std::promise<void> caught_up;
        auto done = caught_up.get_future();
        sync([&caught_up] { caught_up.set_value(); });
        if (done.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
            return "--cluster: could not catch up with the stream " + std::string(stream_name) +
                   " within 30 s";
        return {};
    }

    void publish(const room& r, std::shared_ptr<const std::string> msg) override {
        const std::string subject = message_prefix + to_hex(r.name());
        natsStatus s = js_PublishAsync(js_, subject.c_str(), msg->data(),
                                       static_cast<int>(msg->size()), nullptr);
        if (s != NATS_OK)
            log_.write(log_level::error,
                       "cluster: cannot publish to room " + r.name() + ": " + status_text(s));
    }

    void sync(std::function<void()> then) override {
        {
            std::lock_guard lock(mutex_);
            sync_requests_.push_back(std::move(then));
        }
        wake_.notify_all();
    }

    void room_created(const std::string& name) override {
        // Stored before the join's 101 leaves (the caller blocks for one round trip, once per
        // room): a request to any node after the 101 finds the room (SPEC.md ROOM-2).
        const std::string subject = room_prefix + to_hex(name);
        jsPubAck* ack = nullptr;
        natsStatus s = js_Publish(&ack, js_, subject.c_str(), "", 0, nullptr, nullptr);
        jsPubAck_Destroy(ack);
        if (s != NATS_OK)
            log_.write(log_level::error,
                       "cluster: cannot announce room " + name + ": " + status_text(s));
    }

    void count_changed() override {
        counts_dirty_.store(true, std::memory_order_release);
        {
            std::lock_guard lock(mutex_); // so the counts thread cannot miss the wake-up
        }
        wake_.notify_all();
    }

    std::int64_t remote_clients(std::string_view name) const override {
        std::shared_lock lock(remote_mutex_);
        auto it = remote_totals_.find(name);
        return it == remote_totals_.end() ? 0 : it->second;
    }

private:
    // --- the feed (nats.c's subscription thread) ---------------------------------------------

    static void on_feed(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
        static_cast<nats_backplane*>(closure)->feed(msg);
        natsMsg_Destroy(msg);
    }

    void feed(natsMsg* msg) {
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) != NATS_OK)
            return; // not a stream message (a heartbeat is not handed to the callback)
        const std::uint64_t seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        const std::string_view subject = natsMsg_GetSubject(msg);
        std::string name;
        if (subject.starts_with(message_prefix) &&
            from_hex(subject.substr(std::string_view(message_prefix).size()), name)) {
            auto text = std::make_shared<const std::string>(
                natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
            rooms_.ensure(name)->deliver(std::move(text));
        } else if (subject.starts_with(room_prefix) &&
                   from_hex(subject.substr(std::string_view(room_prefix).size()), name)) {
            rooms_.ensure(name);
        }
        std::vector<std::function<void()>> ready;
        {
            std::lock_guard lock(mutex_);
            applied_ = seq;
            take_ready(ready);
        }
        for (auto& f : ready)
            f();
    }

    // With mutex_ held: moves the syncs whose target the feed has reached into `out`.
    void take_ready(std::vector<std::function<void()>>& out) {
        auto it = waiting_.begin();
        while (it != waiting_.end() && it->first <= applied_) {
            for (auto& f : it->second)
                out.push_back(std::move(f));
            it = waiting_.erase(it);
        }
    }

    // --- syncs: one stream-info request serves every sync that came while it ran -------------

    void sync_loop() {
        for (;;) {
            std::vector<std::function<void()>> batch;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || !sync_requests_.empty(); });
                if (stopping_)
                    return;
                batch.swap(sync_requests_);
            }
            std::uint64_t last = 0;
            for (int attempt = 0;; ++attempt) {
                jsStreamInfo* si = nullptr;
                jsErrCode jerr = static_cast<jsErrCode>(0);
                natsStatus s = js_GetStreamInfo(&si, js_, stream_name, nullptr, &jerr);
                if (s == NATS_OK) {
                    last = si->State.LastSeq;
                    jsStreamInfo_Destroy(si);
                    break;
                }
                if (attempt == 0)
                    log_.write(log_level::warn,
                               "cluster: cannot read the stream's position: " + status_text(s));
                std::unique_lock lock(mutex_);
                if (wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; }))
                    return;
            }
            std::vector<std::function<void()>> ready;
            {
                std::lock_guard lock(mutex_);
                auto& slot = waiting_[last];
                for (auto& f : batch)
                    slot.push_back(std::move(f));
                take_ready(ready);
            }
            for (auto& f : ready)
                f();
        }
    }

    // --- this node's counts ------------------------------------------------------------------

    void counts_loop() {
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, node_heartbeat, [&] {
                    return stopping_ || counts_dirty_.load(std::memory_order_acquire);
                });
                if (stopping_)
                    return;
            }
            counts_dirty_.store(false, std::memory_order_release);
            std::string value;
            for (const auto& e : rooms_.list_local())
                if (e.clients > 0)
                    value += to_hex(e.name) + ' ' + std::to_string(e.clients) + '\n';
            if (natsStatus s = kvStore_Put(nullptr, kv_, node_key_.c_str(), value.data(),
                                           static_cast<int>(value.size()));
                s != NATS_OK)
                log_.write(log_level::warn, "cluster: cannot publish counts: " + status_text(s));
        }
    }

    // --- the other nodes' counts -------------------------------------------------------------

    struct node_counts {
        std::chrono::steady_clock::time_point seen;
        std::map<std::string, std::int64_t, std::less<>> clients; // by room name
    };

    void watch_loop(kvWatcher* watcher) {
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (stopping_)
                    break;
            }
            kvEntry* e = nullptr;
            if (kvWatcher_Next(&e, watcher, 100) == NATS_OK && e)
                on_entry(e);
            expire();
        }
        kvWatcher_Stop(watcher);
        kvWatcher_Destroy(watcher);
    }

    // Takes `e` (and destroys it).
    void on_entry(kvEntry* e) {
        const std::string key = kvEntry_Key(e);
        if (key == node_key_ || !key.starts_with("node.")) {
            kvEntry_Destroy(e);
            return;
        }
        const kvOperation op = kvEntry_Operation(e);
        node_counts n;
        // When it was written, as far as this clock can tell.
        const auto age = std::chrono::system_clock::now().time_since_epoch() -
                         std::chrono::nanoseconds(kvEntry_Created(e));
        n.seen = std::chrono::steady_clock::now() -
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::max(age, decltype(age)::zero()));
        if (op == kvOp_Put) {
            std::string_view v(static_cast<const char*>(kvEntry_Value(e)),
                               static_cast<std::size_t>(kvEntry_ValueLen(e)));
            while (!v.empty()) {
                const auto eol = v.find('\n');
                const std::string_view line = v.substr(0, eol);
                v = eol == std::string_view::npos ? std::string_view{} : v.substr(eol + 1);
                const auto space = line.find(' ');
                std::string name;
                if (space == std::string_view::npos || !from_hex(line.substr(0, space), name))
                    continue;
                n.clients[name] = std::stoll(std::string(line.substr(space + 1)));
            }
        }
        kvEntry_Destroy(e);
        {
            std::unique_lock lock(remote_mutex_);
            if (op == kvOp_Put)
                nodes_[key] = std::move(n);
            else
                nodes_.erase(key);
            recount();
        }
        rooms_.note_listing_changed();
    }

    void expire() {
        const auto now = std::chrono::steady_clock::now();
        bool changed = false;
        {
            std::unique_lock lock(remote_mutex_);
            for (auto it = nodes_.begin(); it != nodes_.end();) {
                if (now - it->second.seen > node_expiry) {
                    log_.write(log_level::warn, "cluster: " + it->first + " silent for " +
                                                    std::to_string(node_expiry.count()) +
                                                    " ms; its clients are no longer counted");
                    it = nodes_.erase(it);
                    changed = true;
                } else {
                    ++it;
                }
            }
            if (changed)
                recount();
        }
        if (changed)
            rooms_.note_listing_changed();
    }

    // With remote_mutex_ held.
    void recount() {
        remote_totals_.clear();
        for (const auto& [key, n] : nodes_)
            for (const auto& [name, c] : n.clients)
                remote_totals_[name] += c;
    }

    static void on_publish_error(jsCtx*, jsPubAckErr* pae, void* closure) {
        auto* self = static_cast<nats_backplane*>(closure);
        self->log_.write(log_level::error,
                         std::string("cluster: a message was not stored: ") +
                             (pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err)));
    }

    const server_config& config_;
    room_registry& rooms_;
    logger& log_;
    std::string node_key_;

    natsOptions* options_ = nullptr;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    kvStore* kv_ = nullptr;
    natsSubscription* feed_ = nullptr;

    std::mutex mutex_; // stopping_, applied_, sync_requests_, waiting_
    std::condition_variable wake_;
    bool stopping_ = false;
    std::uint64_t applied_ = 0; // the last stream sequence the feed handed to the rooms
    std::vector<std::function<void()>> sync_requests_;
    std::map<std::uint64_t, std::vector<std::function<void()>>> waiting_; // by target sequence
    std::atomic<bool> counts_dirty_{true};

    mutable std::shared_mutex remote_mutex_;
    std::map<std::string, node_counts> nodes_; // by KV key
    std::map<std::string, std::int64_t, std::less<>> remote_totals_;

    std::thread sync_thread_, counts_thread_, watch_thread_;
};

} // namespace

std::unique_ptr<room_backplane> make_cluster_backplane(const std::string& url,
                                                       const server_config& config,
                                                       room_registry& rooms, logger& log,
                                                       std::string& error) {
    auto b = std::make_unique<nats_backplane>(config, rooms, log);
    rooms.set_backplane(b.get()); // rooms the catch-up creates sequence through it
    error = b->start(url);
    if (!error.empty()) {
        rooms.set_backplane(nullptr);
        return nullptr;
    }
    return b;
}

} // namespace chat_server
