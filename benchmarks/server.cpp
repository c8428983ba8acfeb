// Server hot paths without sockets: the history ring, one broadcast fanned out to a room's
// members (room strand + bounded send queues, as websocket_session's offer does it), and the
// room registry's lookup and listing.
#include "history.hpp"
#include "room.hpp"
#include "room_registry.hpp"
#include "send_queue.hpp"
#include "server_config.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>

#include <memory> // make_shared, shared_ptr
#include <mutex>  // mutex, lock_guard
#include <string> // string, to_string
#include <vector> // vector

namespace {

using chat_server::message_ptr;

message_ptr sample_message() {
    return std::make_shared<const std::string>(
        R"({"user":"alice","room":"general","content":"Hello Bob, a typical chat line.","timestamp":1719912345678})");
}

// --- history ------------------------------------------------------------------------------

void history_append(benchmark::State& state) {
    chat_server::history<message_ptr> h(100);
    const auto m = sample_message();
    for (auto _ : state) {
        h.push(m);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(history_append);

void history_snapshot(benchmark::State& state) {
    chat_server::history<message_ptr> h(100);
    const auto m = sample_message();
    for (int i = 0; i < 150; ++i)
        h.push(m);
    for (auto _ : state)
        benchmark::DoNotOptimize(h.snapshot());
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(history_snapshot);

// --- fan-out ------------------------------------------------------------------------------

// What websocket_session does when the room offers it a message: its lock, the bounded queue,
// and the writer wake-up flag. The writer's drain runs outside the timed region.
class queue_member : public chat_server::member {
public:
    queue_member() : queue_(256) {}
    bool offer(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        if (!queue_.try_push(m))
            return false;
        writing_ = true;
        return true;
    }
    void replay(const message_ptr& m) override {
        std::lock_guard lock(mutex_);
        queue_.push(m);
    }
    bool queue_full() const override {
        std::lock_guard lock(mutex_);
        return queue_.full();
    }
    void drop(const std::string&) override {}
    void going_away() override {}
    void drain() {
        std::lock_guard lock(mutex_);
        while (!queue_.empty())
            queue_.pop();
        writing_ = false;
    }

private:
    mutable std::mutex mutex_;
    chat_server::send_queue<message_ptr> queue_;
    bool writing_ = false;
};

// One broadcast to a room of N members: post to the room's strand, store in the history,
// offer to every member. Items are deliveries (messages x members).
void room_fan_out(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    boost::asio::io_context ioc(1);
    chat_server::server_config config;
    config.log = chat_server::log_level::error;
    chat_server::room_registry rooms(ioc, config);
    auto r = rooms.get_or_create("bench");
    std::vector<std::shared_ptr<queue_member>> members;
    for (std::size_t i = 0; i < n; ++i) {
        members.push_back(std::make_shared<queue_member>());
        r->join(members.back());
    }
    ioc.poll();
    // poll() leaves the io_context stopped once it runs out of work: restart before each.
    const auto m = sample_message();
    std::size_t pending = 0;
    for (auto _ : state) {
        r->broadcast(m, nullptr);
        ioc.restart();
        ioc.poll();
        if (++pending == 200) { // well below SEND_QUEUE: nobody is dropped
            state.PauseTiming();
            for (auto& x : members)
                x->drain();
            pending = 0;
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
    rooms.clear_members();
}
BENCHMARK(room_fan_out)->Arg(10)->Arg(100)->Arg(1000);

// --- room registry ------------------------------------------------------------------------

void registry_find(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    chat_server::server_config config;
    chat_server::room_registry rooms(ioc, config);
    for (int i = 0; i < state.range(0); ++i)
        rooms.get_or_create("room-" + std::to_string(i));
    const std::string name = "room-" + std::to_string(state.range(0) / 2);
    for (auto _ : state)
        benchmark::DoNotOptimize(rooms.find(name));
}
BENCHMARK(registry_find)->Arg(10)->Arg(1000);

void registry_list(benchmark::State& state) {
    boost::asio::io_context ioc(1);
    chat_server::server_config config;
    chat_server::room_registry rooms(ioc, config);
    for (int i = 0; i < state.range(0); ++i)
        rooms.get_or_create("room-" + std::to_string(i));
    for (auto _ : state)
        benchmark::DoNotOptimize(rooms.list());
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(registry_list)->Arg(10)->Arg(1000);

} // namespace
