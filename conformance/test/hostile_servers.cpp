// chat-conform against servers that misbehave after a good start: they answer /health, accept
// the upgrade, and then send huge or endless frames, reset mid-message, truncate HTTP, or stop
// reading. Every run must end in bounded time with a verdict, a clear message and bounded memory.
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>

#include <catch2/catch.hpp>

#include <atomic>     // atomic
#include <chrono>     // steady_clock
#include <csignal>    // kill, SIGKILL
#include <cstdint>    // uint64_t
#include <filesystem> // temp_directory_path
#include <fstream>    // ifstream
#include <functional> // function
#include <string>     // string
#include <thread>     // thread
#include <vector>     // vector

#ifndef _WIN32
#include <fcntl.h>        // open
#include <sys/resource.h> // rusage
#include <sys/wait.h>     // wait4
#include <unistd.h>       // fork, execv

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A loopback server: /health answers 200, /ws upgrades and then `after_upgrade` runs; other
// requests are answered 404. One thread per connection, detached sockets closed at the end.
class misbehaving_server {
public:
    // Runs after the 101 until it returns or `stop` is set.
    using behaviour = std::function<void(tcp::socket&, const std::atomic<bool>& stop)>;
    // With `upgrade_reply` set, the upgrade is answered with exactly those bytes instead.
    explicit misbehaving_server(behaviour after_upgrade, std::string upgrade_reply = {})
        : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}),
          after_upgrade_(std::move(after_upgrade)), upgrade_reply_(std::move(upgrade_reply)) {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] {
            while (!stop_) {
                auto s = std::make_shared<tcp::socket>(ioc_);
                boost::system::error_code ec;
                acceptor_.accept(*s, ec);
                if (ec || stop_)
                    break;
                sockets_.push_back(s);
                workers_.emplace_back([this, s] { serve(*s); });
            }
        });
    }
    ~misbehaving_server() {
        stop_ = true;
        boost::system::error_code ec;
        tcp::socket poke(ioc_);
        poke.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
        thread_.join();
        // Shut down (not close) so the workers' blocked calls fail without a race.
        for (auto& s : sockets_)
            s->shutdown(tcp::socket::shutdown_both, ec);
        for (auto& w : workers_)
            w.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    void serve(tcp::socket& s) {
        boost::system::error_code ec;
        while (!stop_) {
            net::streambuf buf;
            net::read_until(s, buf, "\r\n\r\n", ec);
            if (ec)
                return;
            std::string head(net::buffers_begin(buf.data()), net::buffers_end(buf.data()));
            if (head.rfind("GET /health ", 0) == 0) {
                const std::string body = R"({"data":{"status":"ok"}})";
                net::write(s,
                           net::buffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       "Content-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body),
                           ec);
                continue;
            }
            auto at = head.find("Sec-WebSocket-Key: ");
            if (head.rfind("GET /ws?", 0) == 0 && at != std::string::npos) {
                if (!upgrade_reply_.empty()) {
                    net::write(s, net::buffer(upgrade_reply_), ec);
                    s.shutdown(tcp::socket::shutdown_both, ec);
                    return;
                }
                auto key = head.substr(at + 19, head.find("\r\n", at) - at - 19);
                boost::beast::websocket::detail::sec_ws_accept_type accept;
                boost::beast::websocket::detail::make_sec_ws_accept(accept, key);
                net::write(s,
                           net::buffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                       std::string(accept.data(), accept.size()) + "\r\n\r\n"),
                           ec);
                if (!ec)
                    after_upgrade_(s, stop_);
                return;
            }
            const std::string body = R"({"error":"not found"})";
            net::write(s,
                       net::buffer("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                   "Content-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body),
                       ec);
        }
    }

    net::io_context ioc_;
    tcp::acceptor acceptor_;
    behaviour after_upgrade_;
    std::string upgrade_reply_;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::vector<std::shared_ptr<tcp::socket>> sockets_;
    std::vector<std::thread> workers_;
};

struct run_result {
    int exit_code = -1;
    double seconds = 0;
    long max_rss_kb = 0;
    std::string output;
};

// Runs chat-conform on `url` with its output in a file; exit code, time and peak memory.
run_result run_conform(const std::string& url, const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("chat-conform-hostile-server-" + name);
    std::filesystem::remove_all(dir);
    const auto log = dir.string() + ".log";
    std::vector<std::string> args{
        CHAT_CONFORM_BINARY, "run",       url, "--timeout-scale", "0.3", "--max-run-time", "20",
        "--report-dir",      dir.string()};
    // Everything the child needs is made before fork: after it, only async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(out >= 0);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out);
    run_result r;
    int status = 0;
    rusage usage{};
    // Bounded: the run's own deadline is 20 s; past 60 s it is killed (and the test fails).
    while (::wait4(pid, &status, WNOHANG, &usage) == 0) {
        if (std::chrono::steady_clock::now() - start > std::chrono::seconds(60)) {
            ::kill(pid, SIGKILL);
            ::wait4(pid, &status, 0, &usage);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.max_rss_kb = usage.ru_maxrss;
    std::ifstream in(log);
    r.output.assign(std::istreambuf_iterator<char>(in), {});
    return r;
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

std::string frame_header(std::uint64_t length) {
    std::string h = "\x81\x7F";
    for (int shift = 56; shift >= 0; shift -= 8)
        h += static_cast<char>((length >> shift) & 0xFF);
    return h;
}

} // namespace

TEST_CASE("Hostile server: a frame announcing 2^62 bytes, then endless payload",
          "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket& s, const std::atomic<bool>& stop) {
        boost::system::error_code ec;
        net::write(s, net::buffer(frame_header(std::uint64_t{1} << 62)), ec);
        const std::string chunk(64 * 1024, 'x');
        while (!ec && !stop)
            net::write(s, net::buffer(chunk), ec);
    });
    expect_bounded(run_conform(srv.url(), "huge-frame"));
}

TEST_CASE("Hostile server: endless stream of 64 KiB text frames", "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket& s, const std::atomic<bool>& stop) {
        boost::system::error_code ec;
        const std::string frame = frame_header(64 * 1024) + std::string(64 * 1024, 'y');
        while (!ec && !stop)
            net::write(s, net::buffer(frame), ec);
    });
    expect_bounded(run_conform(srv.url(), "endless-frames"));
}

TEST_CASE("Hostile server: resets the connection in the middle of a frame",
          "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket& s, const std::atomic<bool>&) {
        boost::system::error_code ec;
        net::write(s, net::buffer(frame_header(1000) + std::string(300, 'z')), ec);
        s.set_option(net::socket_base::linger(true, 0), ec);
        s.close(ec);
    });
    expect_bounded(run_conform(srv.url(), "reset-mid-frame"));
}

TEST_CASE("Hostile server: truncated HTTP response to the upgrade", "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket&, const std::atomic<bool>&) {},
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConn");
    expect_bounded(run_conform(srv.url(), "truncated"));
}

TEST_CASE("Hostile server: upgrades, then never reads or writes again",
          "[hostile][hostile-server]") {
    misbehaving_server srv([](tcp::socket&, const std::atomic<bool>& stop) {
        while (!stop)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    });
    expect_bounded(run_conform(srv.url(), "stops-reading"));
}
#endif
