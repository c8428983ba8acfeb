// chat-conform against servers that misbehave after a good start: they answer /health, accept
// the upgrade, and then send huge or endless frames, reset mid-message, truncate HTTP, or stop
// reading. Every run must end in bounded time with a verdict, a clear message and bounded memory.
#include "hostile_servers.hpp"

#include <catch2/catch.hpp>

#include <atomic>     // atomic
#include <chrono>     // seconds
#include <cstdint>    // uint64_t
#include <filesystem> // temp_directory_path
#include <string>     // string
#include <thread>     // sleep_for
#include <vector>     // vector

#ifndef _WIN32

namespace net = boost::asio;
using tcp = net::ip::tcp;
using chat::test::misbehaving_server;
namespace after_upgrade = chat::test::after_upgrade;

namespace {

using run_result = chat::test::child_result;

// Runs chat-conform on `url` with its output in a file; exit code, time and peak memory.
run_result run_conform(const std::string& url, const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("chat-conform-hostile-server-" + name);
    std::filesystem::remove_all(dir);
    // Bounded: the run's own deadline is 20 s; past 60 s it is killed (and the test fails).
    return chat::test::run_child({CHAT_CONFORM_BINARY, "run", url, "--timeout-scale", "0.3",
                                  "--max-run-time", "20", "--report-dir", dir.string()},
                                 dir.string() + ".log", std::chrono::seconds(60));
}

void expect_bounded(const run_result& r) {
    INFO(r.output);
    INFO("exit " << r.exit_code << " after " << r.seconds << " s, max RSS " << r.max_rss_kb
                 << " KiB");
    // 1: the server broke clauses; 2: the run could not complete. Never a crash.
    CHECK((r.exit_code == 1 || r.exit_code == 2));
    CHECK(r.seconds < 45);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(r.max_rss_kb < 600 * 1024); // ASan's shadow memory and quarantine come on top
#else
    CHECK(r.max_rss_kb < 200 * 1024);
#endif
    CHECK_FALSE(r.output.empty());
}

} // namespace

TEST_CASE("Hostile server: a frame announcing 2^62 bytes, then endless payload",
          "[hostile][hostile-server]") {
    misbehaving_server srv(after_upgrade::huge_frame);
    expect_bounded(run_conform(srv.url(), "huge-frame"));
}

TEST_CASE("Hostile server: endless stream of 64 KiB text frames", "[hostile][hostile-server]") {
    misbehaving_server srv(after_upgrade::endless_frames);
    expect_bounded(run_conform(srv.url(), "endless-frames"));
}

TEST_CASE("Hostile server: resets the connection in the middle of a frame",
          "[hostile][hostile-server]") {
    misbehaving_server srv(after_upgrade::reset_mid_frame);
    expect_bounded(run_conform(srv.url(), "reset-mid-frame"));
}

TEST_CASE("Hostile server: truncated HTTP response to the upgrade", "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket&, const std::atomic<bool>&) {},
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConn");
    expect_bounded(run_conform(srv.url(), "truncated"));
}

TEST_CASE("Hostile server: upgrades, then never reads or writes again",
          "[hostile][hostile-server]") {
    misbehaving_server srv(after_upgrade::go_silent);
    expect_bounded(run_conform(srv.url(), "stops-reading"));
}
#endif
