// chat-idle-memory: resident memory of a running chat-server with N idle WebSocket clients.
// Reads the server's VmRSS with no clients, connects N clients (spread over --rooms rooms),
// waits until GET /api/rooms counts them all, reads VmRSS again and prints both and the
// difference per connection; with --hold SECONDS it keeps the clients connected that long
// afterwards, so a heap profiler or debugger can look at the idle server. Use
// tools/measure_idle_memory.sh to run it against a fresh Release server.
#include "chat/client.hpp"
#include "chat/codec.hpp"
#include "chat/platform.hpp"
#include "chat/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>    // find_if
#include <charconv>     // from_chars
#include <chrono>       // seconds
#include <cstdio>       // printf, fprintf
#include <iterator>     // begin, end
#include <memory>       // unique_ptr
#include <string>       // string
#include <system_error> // errc
#include <thread>       // sleep_for
#include <utility>      // pair
#include <vector>       // vector

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

struct options {
    std::string url = "http://127.0.0.1:8082";
    int pid = 0;
    int clients = 5000;
    int rooms = 1;
    int parallel = 50;
    int hold_s = 0; // seconds the clients stay connected after the measurement
};

// Passed explicitly: g++ 12 mishandles class-type default arguments of coroutines.
const chat::request_options options_{};
const chat::transcript_sink sink_{};
const chat::ws_options ws_options_{};

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::uint64_t rss(int pid) {
    auto r = chat::platform::resident_memory_bytes(pid);
    if (!r) {
        std::fprintf(stderr, "chat-idle-memory: cannot read the memory of pid %d: %s\n", pid,
                     r.error.c_str());
        std::exit(1);
    }
    return *r.value;
}

std::int64_t total_clients(net::io_context& ioc, const chat::base_url& url) {
    std::int64_t total = -1;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            auto r = co_await chat::http_request(co_await net::this_coro::executor, url, "GET",
                                                 "/api/rooms", 10s, options_, sink_);
            if (auto rooms = chat::decode_room_list(r.body)) {
                total = 0;
                for (const auto& e : *rooms)
                    total += e.clients;
            }
        },
        net::detached);
    ioc.restart();
    ioc.run();
    return total;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    const std::pair<const char*, int*> integers[] = {
        {"--pid", &o.pid}, {"--clients", &o.clients}, {"--rooms", &o.rooms}, {"--hold", &o.hold_s}};
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 == argc) {
            std::fprintf(stderr, "chat-idle-memory: %s needs a value\n", flag.c_str());
            return 2;
        }
        const std::string value = argv[i + 1];
        const auto integer = std::find_if(std::begin(integers), std::end(integers),
                                          [&](const auto& f) { return flag == f.first; });
        if (flag == "--url") {
            o.url = value;
        } else if (integer != std::end(integers)) {
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), *integer->second);
            if (ec != std::errc() || end != value.data() + value.size()) {
                std::fprintf(stderr, "chat-idle-memory: %s must be an integer (got '%s')\n",
                             flag.c_str(), value.c_str());
                return 2;
            }
        } else {
            std::fprintf(stderr, "usage: chat-idle-memory --pid PID [--url URL] [--clients N] "
                                 "[--rooms R] [--hold SECONDS]\n");
            return 2;
        }
    }
    std::string why;
    auto url = chat::parse_base_url(o.url, &why);
    if (!url || o.pid <= 0 || o.clients < 0 || o.rooms < 1) {
        std::fprintf(stderr, "chat-idle-memory: need --pid PID and a valid --url (%s)\n",
                     why.c_str());
        return 2;
    }
    chat::platform::raise_open_file_limit();

    net::io_context ioc;
    const auto before = rss(o.pid);
    std::vector<std::unique_ptr<chat::ws_client>> clients(static_cast<std::size_t>(o.clients));
    int failed = 0;
    for (int w = 0; w < o.parallel; ++w) {
        net::co_spawn(
            ioc,
            [&, w]() -> net::awaitable<void> {
                for (int i = w; i < o.clients; i += o.parallel) {
                    auto c =
                        std::make_unique<chat::ws_client>(co_await net::this_coro::executor, *url);
                    // Appended, not `"u" + to_string(i)`: g++ 12 -O2 warns falsely there.
                    std::string room = "idle-";
                    room += std::to_string(i % o.rooms);
                    std::string user = "u";
                    user += std::to_string(i);
                    auto r = co_await c->connect(room, user, 10s, ws_options_);
                    if (r.status != 101) {
                        if (failed++ == 0)
                            std::fprintf(stderr, "connect failed: %d %s\n", r.status,
                                         r.error.c_str());
                        continue;
                    }
                    clients[static_cast<std::size_t>(i)] = std::move(c);
                }
            },
            net::detached);
    }
    ioc.run();
    // Wait until the server counts them (SETTLE_MS), then let it settle.
    for (int i = 0; i < 50 && total_clients(ioc, *url) != o.clients - failed; ++i)
        std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(1s);
    const auto after = rss(o.pid);
    const auto connected = o.clients - failed;
    std::printf("server pid %d: VmRSS %.1f MiB with 0 clients, %.1f MiB with %d idle clients "
                "(%d failed)\n",
                o.pid, mib(before), mib(after), connected, failed);
    if (connected > 0)
        std::printf("per idle connection: %.2f KB\n",
                    static_cast<double>(after - before) / 1024.0 / connected);
    if (o.hold_s > 0) {
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(o.hold_s));
    }
    return failed == 0 ? 0 : 1;
}
