// chat-conform against servers that misbehave at the transport level, over real loopback
// sockets: every run must end in bounded time, exit 2 and still write its full report.
#include "hostile_servers.hpp"
#include "verdict.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>     // atomic
#include <chrono>     // steady_clock
#include <cstdlib>    // system
#include <filesystem> // temp_directory_path
#include <fstream>    // ifstream
#include <thread>     // thread

#ifndef _WIN32
#include <sys/wait.h> // WEXITSTATUS
#endif

namespace net = boost::asio;
using tcp = net::ip::tcp;
using chat::test::hostile_server;
namespace on_accept = chat::test::on_accept;

namespace {

struct target_run {
    int exit_code = -1;
    double seconds = 0;
    nlohmann::json report;
    std::string output;
};

target_run conform_target(const std::string& url, const std::string& name,
                          const std::string& extra = "") {
    auto dir = std::filesystem::temp_directory_path() / ("chat-conform-hostile-" + name);
    std::filesystem::remove_all(dir);
    auto log = dir.string() + ".log";
    std::string cmd = "timeout 60 " + std::string(CHAT_CONFORM_BINARY) + " run " + url +
                      " --timeout-scale 0.3 --report-dir " + dir.string() + " " + extra + " > " +
                      log + " 2>&1";
    auto start = std::chrono::steady_clock::now();
    int status = std::system(cmd.c_str());
    target_run r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
#ifndef _WIN32
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
#else
    r.exit_code = status;
#endif
    std::ifstream out(log);
    r.output.assign(std::istreambuf_iterator<char>(out), {});
    for (const char* f :
         {"chat-conform.json", "chat-conform.junit.xml", "chat-conform.html", "chat-conform.md"})
        CHECK(std::filesystem::exists(dir / f));
    std::ifstream json(dir / "chat-conform.json");
    if (json)
        r.report = nlohmann::json::parse(json, nullptr, false);
    return r;
}

void expect_incomplete(const target_run& r, double max_seconds) {
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.seconds < max_seconds);
    REQUIRE(r.report.is_object());
    CHECK(r.report["verdict"]["exit_code"] == 2);
    CHECK(r.report["verdict"]["target_problem"].is_string());
    int errors = 0, passes = 0;
    for (const auto& c : r.report["checks"]) {
        errors += c["outcome"] == "ERROR";
        passes += c["outcome"] == "PASS";
    }
    CHECK(errors > 30);
    CHECK(passes == 0);
}

void read_request(tcp::socket& s) {
    net::streambuf buf;
    boost::system::error_code ec;
    net::read_until(s, buf, "\r\n\r\n", ec);
}

} // namespace

TEST_CASE("Hostile target: nothing listening", "[hostile]") {
    std::string url;
    {
        hostile_server gone([](tcp::socket&, int) {});
        url = gone.url();
    }
    auto r = conform_target(url, "refused");
    expect_incomplete(r, 10);
    CHECK(r.report["verdict"]["target_unreachable"] == true);
}

TEST_CASE("Hostile target: black hole (accepts TCP, never answers)", "[hostile]") {
    hostile_server hole([](tcp::socket&, int) {});
    auto r = conform_target(hole.url(), "black-hole");
    expect_incomplete(r, 10);
    CHECK(r.report["verdict"]["target_unreachable"] == true);
}

TEST_CASE("Hostile target: answers garbage", "[hostile]") {
    hostile_server garbage(on_accept::garbage);
    auto r = conform_target(garbage.url(), "garbage");
    expect_incomplete(r, 10);
}

TEST_CASE("Hostile target: accepts then closes at once", "[hostile]") {
    hostile_server closer(on_accept::close_at_once);
    auto r = conform_target(closer.url(), "closer");
    expect_incomplete(r, 10);
}

TEST_CASE("Hostile target: healthy at first, then dies mid-run", "[hostile]") {
    std::atomic<hostile_server*> self{
        nullptr}; // set once the server runs (its own thread reads it)
    hostile_server crashing([&self](tcp::socket& s, int index) {
        read_request(s);
        boost::system::error_code ec;
        std::string body = R"({"data":{"status":"ok"}})";
        net::write(
            s,
            net::buffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body),
            ec);
        s.close(ec);
        if (auto* server = self.load(); index >= 0 && server)
            server->close_listener(); // "crashes" after answering the probe
    });
    self.store(&crashing);
    auto r = conform_target(crashing.url(), "crashing");
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.seconds < 15);
    REQUIRE(r.report.is_object());
    CHECK(r.report["verdict"]["target_unreachable"] == false);
    CHECK(r.report["verdict"]["target_problem"].is_string());
    int passes = 0;
    for (const auto& c : r.report["checks"])
        passes += c["outcome"] == "PASS";
    CHECK(passes == 0);
}

TEST_CASE("Hostile target: answers /health only, hangs on everything else", "[hostile]") {
    // The checks themselves hang: the overall deadline (--max-run-time) ends the run.
    hostile_server tarpit([](tcp::socket& s, int) {
        net::streambuf buf;
        boost::system::error_code ec;
        net::read_until(s, buf, "\r\n\r\n", ec);
        std::string head(net::buffers_begin(buf.data()), net::buffers_end(buf.data()));
        if (head.rfind("GET /health ", 0) != 0)
            return; // held open, never answered
        std::string body = R"({"data":{"status":"ok"}})";
        net::write(
            s,
            net::buffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body),
            ec);
        s.close(ec);
    });
    auto r = conform_target(tarpit.url(), "tarpit", "--max-run-time 3 --jobs 8");
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.seconds < 8);
    REQUIRE(r.report.is_object());
    CHECK(r.report["verdict"]["target_problem"].get<std::string>().find("overall deadline") !=
          std::string::npos);
}

TEST_CASE("Command line: bad values name the flag and the value", "[cli]") {
    auto run = [](const std::string& args) {
        std::string cmd = std::string(CHAT_CONFORM_BINARY) + " " + args + " > /dev/null 2>&1";
        int status = std::system(cmd.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    CHECK(run("run http://127.0.0.1:1 --jobs 0") == 2);
    CHECK(run("run http://127.0.0.1:1 --timeout-scale -1") == 2);
    CHECK(run("run http://127.0.0.1:1 --only nothing-like-this") == 2);
    CHECK(run("run ftp://x --no-report") == 2);
    CHECK(run("run http://127.0.0.1:1 --format pdf") == 2);
    CHECK(run("list") == 0);
    CHECK(run("--help") == 0);
}
