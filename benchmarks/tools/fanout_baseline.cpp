// chat-fanout-baseline: the cheapest broadcast server that chat-load accepts, the "limit" of
// benchmarks/capacity.sh (issue 16). One epoll loop per core, each with its own SO_REUSEPORT
// acceptor; a client frame's `content` token is copied into one frame, built once, and written
// to every member's socket directly. No history, no policy, no bounds: not a chat server.
//
//   chat-fanout-baseline [--address A] [--port P] [--threads N]
//
// Speaks what chat-load and chat-idle-memory need: `GET /ws?room=R&user=U` upgrades (RFC 6455
// 4.2.2, framing by the shared codec, chat/ws_frame.hpp), messages shaped as SPEC.md MSG-2,
// `GET /health` and `GET /api/rooms` (counts only). Prints "... listening on http://A:P".
#include "chat/ws_frame.hpp"

#include <arpa/inet.h>   // inet_pton, htons
#include <netinet/in.h>  // sockaddr_in
#include <netinet/tcp.h> // TCP_NODELAY
#include <sys/epoll.h>   // epoll_*
#include <sys/socket.h>  // socket, bind, listen, accept4, send
#include <unistd.h>      // read, close

#include <algorithm>   // max
#include <cerrno>      // errno
#include <chrono>      // system_clock
#include <csignal>     // signal, SIGPIPE
#include <cstdio>      // printf, fprintf
#include <cstdlib>     // atoi
#include <cstring>     // strerror
#include <map>         // map
#include <memory>      // unique_ptr
#include <mutex>       // mutex, lock_guard
#include <string>      // string
#include <string_view> // string_view
#include <thread>      // thread
#include <vector>      // vector

namespace {

namespace ws = chat::ws;

struct room;

// One client connection, owned by the loop that accepted it. Once upgraded it belongs to a
// room, whose mutex guards `pending` and `out_armed` (any loop may write to the socket).
struct connection {
    explicit connection(int f) : fd(f), parser(65536) {}
    int fd;
    int owner_epoll = -1; // the epoll instance of the loop that owns it
    bool upgraded = false;
    bool out_armed = false;  // EPOLLOUT is requested (guarded by the room's mutex)
    room* in_room = nullptr; // set once, on the upgrade
    std::string head;        // the HTTP request head being read (released after)
    std::string prefix;      // {"user":"U","room":"R","content":" for this sender
    std::string pending;     // bytes the socket did not take yet (room's mutex)
    ws::frame_parser parser; // client frames (RFC 6455 5.2-5.6)
};

struct room {
    std::string name;
    std::mutex mutex;
    std::vector<connection*> members;
};

std::mutex rooms_mutex;
std::map<std::string, std::unique_ptr<room>, std::less<>> rooms;

room& room_named(std::string_view name) {
    std::lock_guard lock(rooms_mutex);
    auto it = rooms.find(name);
    if (it == rooms.end()) {
        auto r = std::make_unique<room>();
        r->name = std::string(name);
        it = rooms.emplace(r->name, std::move(r)).first;
    }
    return *it->second;
}

// JSON string contents (RFC 8259 section 7) of `s`, without the quotes.
void append_json_chars(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
}

// %XX and '+' of a query value (RFC 3986 section 2.1).
std::string percent_decode(std::string_view s) {
    std::string out;
    auto digit = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(digit(s[i + 1]) * 16 + digit(s[i + 2]));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

std::string query_value(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == key)
            return percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos)
            break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

// The value of header `name` (case-insensitive) in an HTTP head.
std::string_view header_value(std::string_view head, std::string_view name) {
    std::size_t at = head.find("\r\n");
    while (at != std::string_view::npos && at + 2 < head.size()) {
        const auto line_end = head.find("\r\n", at + 2);
        const auto line = head.substr(at + 2, line_end - at - 2);
        const auto colon = line.find(':');
        if (colon == name.size()) {
            bool same = true;
            for (std::size_t i = 0; i < colon && same; ++i)
                same = (line[i] | 0x20) == (name[i] | 0x20);
            if (same) {
                auto v = line.substr(colon + 1);
                while (!v.empty() && v.front() == ' ')
                    v.remove_prefix(1);
                while (!v.empty() && v.back() == ' ')
                    v.remove_suffix(1);
                return v;
            }
        }
        at = line_end;
    }
    return {};
}

class loop {
public:
    explicit loop(int listen_fd) : listen_(listen_fd), epoll_(epoll_create1(0)) {
        add(listen_, EPOLLIN, nullptr);
    }

    void run() {
        epoll_event events[256];
        for (;;) {
            const int n = epoll_wait(epoll_, events, 256, -1);
            for (int i = 0; i < n; ++i) {
                auto* c = static_cast<connection*>(events[i].data.ptr);
                if (!c) {
                    accept_all();
                    continue;
                }
                if (events[i].events & EPOLLOUT)
                    flush(*c);
                if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    if (!read_from(*c))
                        close_connection(c);
            }
            flush_dirty();
        }
    }

    int epoll_fd() const noexcept { return epoll_; }

private:
    void add(int fd, std::uint32_t events, connection* c) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = c;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }

    void accept_all() {
        for (;;) {
            const int fd = accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                return;
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto* c = new connection(fd);
            c->owner_epoll = epoll_;
            add(fd, EPOLLIN, c);
        }
    }

    // False when the connection is to be closed.
    bool read_from(connection& c) {
        for (;;) {
            const ssize_t n = ::read(c.fd, buffer_, sizeof buffer_);
            if (n == 0)
                return false;
            if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            if (!(c.upgraded ? on_frames(c, buffer_, static_cast<std::size_t>(n))
                             : on_http(c, buffer_, static_cast<std::size_t>(n))))
                return false;
            if (static_cast<std::size_t>(n) < sizeof buffer_)
                return true;
        }
    }

    bool on_http(connection& c, unsigned char* data, std::size_t n) {
        c.head.append(reinterpret_cast<const char*>(data), n);
        for (;;) {
            const auto end = c.head.find("\r\n\r\n");
            if (end == std::string::npos)
                return c.head.size() < 16384;
            const std::string_view head(c.head.data(), end + 2);
            const auto sp1 = head.find(' ');
            const auto sp2 = head.find(' ', sp1 + 1);
            if (sp1 == std::string_view::npos || sp2 == std::string_view::npos)
                return false;
            const auto target = head.substr(sp1 + 1, sp2 - sp1 - 1);
            const auto q = target.find('?');
            const auto path = target.substr(0, q);
            if (path == "/ws") {
                const auto query = q == std::string_view::npos ? "" : target.substr(q + 1);
                return upgrade(c, head, query_value(query, "room"), query_value(query, "user"),
                               end + 4);
            }
            std::string body;
            int status = 200;
            if (path == "/health")
                body = R"({"data":{"status":"ok"}})";
            else if (path == "/api/rooms")
                body = listing();
            else {
                status = 404;
                body = R"({"error":"not found"})";
            }
            std::string res = status == 200 ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n";
            res += "Content-Type: application/json\r\nContent-Length: ";
            res += std::to_string(body.size());
            res += "\r\n\r\n";
            res += body;
            if (::send(c.fd, res.data(), res.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(res.size()))
                return false;
            c.head.erase(0, end + 4);
        }
    }

    static std::string listing() {
        std::string body = R"({"data":{"rooms":[)";
        std::lock_guard lock(rooms_mutex);
        bool first = true;
        for (const auto& [name, r] : rooms) {
            std::size_t count = 0;
            {
                std::lock_guard room_lock(r->mutex);
                count = r->members.size();
            }
            body += first ? R"({"name":")" : R"(,{"name":")";
            first = false;
            append_json_chars(body, name);
            body += R"(","clients":)";
            body += std::to_string(count);
            body += '}';
        }
        body += "]}}";
        return body;
    }

    bool upgrade(connection& c, std::string_view head, const std::string& room_name,
                 const std::string& user, std::size_t head_bytes) {
        const auto key = header_value(head, "Sec-WebSocket-Key");
        if (room_name.empty() || user.empty() || !ws::valid_client_key(key)) {
            static constexpr std::string_view bad =
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            ::send(c.fd, bad.data(), bad.size(), MSG_NOSIGNAL);
            return false;
        }
        std::string res = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
        res += ws::accept_key(key);
        res += "\r\n\r\n";
        c.prefix = R"({"user":")";
        append_json_chars(c.prefix, user);
        c.prefix += R"(","room":")";
        append_json_chars(c.prefix, room_name);
        c.prefix += R"(","content":")";
        c.prefix.shrink_to_fit();
        std::string early = c.head.substr(head_bytes);
        std::string().swap(c.head);
        c.upgraded = true;
        room& r = room_named(room_name);
        {
            std::lock_guard lock(r.mutex);
            // The 101 goes first, under the lock, so no broadcast frame can precede it.
            if (::send(c.fd, res.data(), res.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(res.size()))
                return false;
            r.members.push_back(&c);
            c.in_room = &r;
        }
        return early.empty() ||
               on_frames(c, reinterpret_cast<unsigned char*>(early.data()), early.size());
    }

    bool on_frames(connection& c, unsigned char* data, std::size_t n) {
        std::size_t at = 0;
        while (at < n) {
            ws::frame_parser::event ev;
            at += c.parser.parse(data + at, n - at, ev);
            using kind = ws::frame_parser::event::kind;
            switch (ev.what) {
            case kind::none:
            case kind::pong:
                break;
            case kind::message:
                if (ev.text)
                    broadcast(c, ev.payload);
                break;
            case kind::ping:
                send_control(c, ws::opcode::pong, ev.payload);
                break;
            case kind::close:
            case kind::error:
                send_control(
                    c, ws::opcode::close,
                    ws::close_payload(ev.what == kind::close ? ws::close_code::normal : ev.code));
                return false;
            }
        }
        return true;
    }

    void send_control(connection& c, ws::opcode op, std::string_view payload) {
        frame_.clear();
        ws::append_frame(frame_, op, true, payload);
        std::lock_guard lock(c.in_room->mutex);
        c.pending.append(frame_);
        write_pending(c);
    }

    // The frame {"user","room","content","timestamp"} (SPEC.md MSG-2), built once, written to
    // every member of the sender's room.
    void broadcast(connection& sender, std::string_view text) {
        using namespace std::chrono;
        const auto now =
            duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
        // No JSON parse: the escaped token of "content" is copied as it is.
        const auto key = text.find("\"content\"");
        if (key == std::string_view::npos)
            return;
        const auto open = text.find('"', text.find(':', key + 9));
        if (open == std::string_view::npos)
            return;
        std::size_t close = open + 1;
        while (close < text.size() && text[close] != '"')
            close += text[close] == '\\' ? 2 : 1;
        if (close >= text.size())
            return;
        const auto content = text.substr(open + 1, close - open - 1);
        payload_.assign(sender.prefix);
        payload_.append(content);
        payload_ += R"(","timestamp":)";
        payload_ += std::to_string(now);
        payload_ += '}';
        unsigned char header[ws::max_header_bytes];
        const std::size_t h = ws::encode_header(header, ws::opcode::text, payload_.size());
        frame_.assign(reinterpret_cast<const char*>(header), h);
        frame_ += payload_;
        room& r = *sender.in_room;
        std::lock_guard lock(r.mutex);
        for (connection* m : r.members)
            m->pending.append(frame_);
        // Written once this loop has handled every ready socket: one send() per member for
        // all the frames this batch of events produced (what uWebSockets calls corking).
        for (room* d : dirty_)
            if (d == &r)
                return;
        dirty_.push_back(&r);
    }

    void flush_dirty() {
        for (room* r : dirty_) {
            std::lock_guard lock(r->mutex);
            for (connection* m : r->members)
                if (!m->out_armed && !m->pending.empty())
                    write_pending(*m);
        }
        dirty_.clear();
    }

    // With the member's room locked: one send(), the rest kept for EPOLLOUT.
    static void write_pending(connection& m) {
        const ssize_t sent =
            ::send(m.fd, m.pending.data(), m.pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            m.pending.clear(); // the owner's loop sees the error and closes
            return;
        }
        m.pending.erase(0, sent < 0 ? 0 : static_cast<std::size_t>(sent));
        arm(m, !m.pending.empty());
    }

    static void arm(connection& m, bool out) {
        if (m.out_armed == out)
            return;
        m.out_armed = out;
        epoll_event ev{};
        ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
        ev.data.ptr = &m;
        epoll_ctl(m.owner_epoll, EPOLL_CTL_MOD, m.fd, &ev);
    }

    static void flush(connection& c) {
        if (!c.in_room)
            return;
        std::lock_guard lock(c.in_room->mutex);
        write_pending(c);
    }

    void close_connection(connection* c) {
        if (room* r = c->in_room) {
            std::lock_guard lock(r->mutex);
            for (auto& m : r->members)
                if (m == c) {
                    m = r->members.back();
                    r->members.pop_back();
                    break;
                }
        }
        ::close(c->fd);
        delete c;
    }

    int listen_;
    int epoll_;
    unsigned char buffer_[65536];
    std::string payload_;      // the message being broadcast
    std::string frame_;        // its frame
    std::vector<room*> dirty_; // rooms with frames queued in this batch of events
};

int listen_on(const char* address, int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, address, &a.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4096) != 0) {
        std::fprintf(stderr, "chat-fanout-baseline: cannot listen on %s:%d: %s\n", address, port,
                     std::strerror(errno));
        std::exit(1);
    }
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    const char* address = "127.0.0.1";
    int port = 8082;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (flag == "--address")
            address = argv[i + 1];
        else if (flag == "--port")
            port = std::atoi(argv[i + 1]);
        else if (flag == "--threads")
            threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
        else if (flag != "--log-level") {
            std::fprintf(stderr, "chat-fanout-baseline: unknown flag '%s'\n", argv[i]);
            return 2;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    room_named("general");
    // The first acceptor picks the port (0: any); the others join it through SO_REUSEPORT.
    std::vector<int> listeners{listen_on(address, port)};
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    getsockname(listeners[0], reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(bound.sin_port);
    for (unsigned i = 1; i < threads; ++i)
        listeners.push_back(listen_on(address, port));
    std::vector<std::unique_ptr<loop>> loops;
    for (int fd : listeners)
        loops.push_back(std::make_unique<loop>(fd));
    std::printf("chat-fanout-baseline listening on http://%s:%d\n", address, port);
    std::fflush(stdout);
    std::vector<std::thread> running;
    for (auto& l : loops)
        running.emplace_back([&l] { l->run(); });
    for (auto& t : running)
        t.join();
}
