// Loopback test servers that misbehave, shared by the hostile-server tests of chat-conform
// (conformance/test) and chat-load (loadgen/test), and a child-process runner that measures
// how long a tool took and how much memory it peaked at. Header-only, POSIX, tests only.
#pragma once

#include "chat/ws_frame.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <atomic>     // atomic
#include <chrono>     // steady_clock
#include <cstdint>    // uint64_t
#include <fstream>    // ifstream
#include <functional> // function
#include <iterator>   // istreambuf_iterator
#include <memory>     // shared_ptr
#include <string>     // string
#include <thread>     // thread
#include <vector>     // vector

#ifndef _WIN32
#include <csignal>        // kill, SIGKILL
#include <fcntl.h>        // open
#include <sys/resource.h> // rusage
#include <sys/wait.h>     // wait4
#include <unistd.h>       // fork, execv
#endif

namespace chat::test {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A TCP server on a free loopback port whose behaviour per connection is `serve`, run on the
// accepting thread; a socket `serve` leaves open is held open (a black hole).
class hostile_server {
public:
    using behaviour = std::function<void(tcp::socket&, int index)>;
    explicit hostile_server(behaviour serve)
        : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this, serve] {
            for (int i = 0; !stop_; ++i) {
                tcp::socket s(ioc_);
                boost::system::error_code ec;
                acceptor_.accept(s, ec);
                if (ec || stop_)
                    break;
                serve(s, i);
                if (s.is_open())
                    kept_.push_back(std::move(s)); // black hole: hold it open
            }
        });
    }
    ~hostile_server() {
        stop_ = true;
        boost::system::error_code ec;
        // Wake the blocking accept with one last connection
        tcp::socket poke(ioc_);
        poke.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
        thread_.join();
    }
    hostile_server(const hostile_server&) = delete;
    hostile_server& operator=(const hostile_server&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void close_listener() {
        boost::system::error_code ec;
        acceptor_.close(ec);
    }

private:
    net::io_context ioc_;
    tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<tcp::socket> kept_;
    std::thread thread_;
};

// A loopback server that starts well: /health answers 200, /ws upgrades and then
// `after_upgrade` runs; other requests are answered 404. One thread per connection.
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
                auto done = std::make_shared<std::atomic<bool>>(false);
                connections_.push_back({s, done});
                workers_.emplace_back([this, s, done] {
                    serve(*s);
                    done->store(true);
                });
            }
        });
    }
    ~misbehaving_server() {
        stop_ = true;
        boost::system::error_code ec;
        tcp::socket poke(ioc_);
        poke.connect({net::ip::make_address("127.0.0.1"), port_}, ec);
        thread_.join();
        // A worker ends once its peer is gone (the tool under test has exited by now). Only a
        // worker still blocked after 3 s has its socket shut down (not closed), so a behaviour
        // that closes its own socket never races with this thread.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        for (auto& c : connections_)
            while (!c.done->load() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
        for (auto& c : connections_)
            if (!c.done->load())
                c.socket->shutdown(tcp::socket::shutdown_both, ec);
        for (auto& w : workers_)
            w.join();
    }
    misbehaving_server(const misbehaving_server&) = delete;
    misbehaving_server& operator=(const misbehaving_server&) = delete;
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
                net::write(s,
                           net::buffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                       chat::ws::accept_key(key) + "\r\n\r\n"),
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
    struct connection {
        std::shared_ptr<tcp::socket> socket;
        std::shared_ptr<std::atomic<bool>> done; // its worker has returned
    };
    std::vector<connection> connections_;
    std::vector<std::thread> workers_;
};

// A text frame header announcing `length` bytes (64-bit length form), unmasked.
inline std::string frame_header(std::uint64_t length) {
    chat::ws::frame_header h;
    h.length = length;
    h.form = chat::ws::length_form::bits64;
    std::string out;
    chat::ws::append_header(out, h);
    return out;
}

// What the misbehaving servers do after the upgrade, shared by both tools' tests.
namespace after_upgrade {

// A frame announcing 2^62 bytes, then payload until stopped.
inline void huge_frame(tcp::socket& s, const std::atomic<bool>& stop) {
    boost::system::error_code ec;
    net::write(s, net::buffer(frame_header(std::uint64_t{1} << 62)), ec);
    const std::string chunk(64 * 1024, 'x');
    while (!ec && !stop)
        net::write(s, net::buffer(chunk), ec);
}

// Whole 64 KiB text frames (of no valid message) until stopped.
inline void endless_frames(tcp::socket& s, const std::atomic<bool>& stop) {
    boost::system::error_code ec;
    const std::string frame = frame_header(64 * 1024) + std::string(64 * 1024, 'y');
    while (!ec && !stop)
        net::write(s, net::buffer(frame), ec);
}

// 300 bytes of a 1,000-byte frame, then a reset (RST: linger 0).
inline void reset_mid_frame(tcp::socket& s, const std::atomic<bool>&) {
    boost::system::error_code ec;
    net::write(s, net::buffer(frame_header(1000) + std::string(300, 'z')), ec);
    s.set_option(net::socket_base::linger(true, 0), ec);
    s.close(ec);
}

// Nothing more: neither reads nor writes until stopped.
inline void go_silent(tcp::socket&, const std::atomic<bool>& stop) {
    while (!stop)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

} // namespace after_upgrade

// What hostile_server does with a connection, shared by both tools' tests.
namespace on_accept {

// Reads the request, answers non-HTTP bytes, closes.
inline void garbage(tcp::socket& s, int) {
    net::streambuf buf;
    boost::system::error_code ec;
    net::read_until(s, buf, "\r\n\r\n", ec);
    static constexpr char reply[] = "SSH-2.0-OpenSSH_9.2\r\n\x00\xff garbage\r\n\r\n";
    net::write(s, net::buffer(reply, sizeof reply - 1), ec); // the NUL inside is sent
    s.close(ec);
}

// Closes the connection at once.
inline void close_at_once(tcp::socket& s, int) {
    boost::system::error_code ec;
    s.close(ec);
}

} // namespace on_accept

#ifndef _WIN32
struct child_result {
    int exit_code = -1; // 128 + signal when killed
    double seconds = 0;
    long max_rss_kb = 0; // peak resident memory (wait4's ru_maxrss)
    std::string output;  // stdout and stderr
};

// Runs `args` (args[0] is the binary) with stdout and stderr into `log`; SIGKILLs it past
// `deadline` (the exit code is then 128 + 9, which fails any caller expecting an exit).
inline child_result run_child(std::vector<std::string> args, const std::string& log,
                              std::chrono::seconds deadline) {
    // Everything the child needs is made before fork: after it, only async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    child_result r;
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0)
        return r;
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out);
    int status = 0;
    rusage usage{};
    while (::wait4(pid, &status, WNOHANG, &usage) == 0) {
        if (std::chrono::steady_clock::now() - start > deadline) {
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
#endif

} // namespace chat::test
