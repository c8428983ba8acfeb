// SHUT: graceful shutdown on SIGTERM/SIGINT (SPEC.md section 9). Judged only when the runner
// may stop the server (--server-pid), and then last of all, since it ends the server.
#include "checks.hpp"

#include "../check_context.hpp"

#include <chrono>  // steady_clock
#include <fstream> // ifstream

#ifndef _WIN32
#include <cerrno>  // errno
#include <csignal> // kill, SIGTERM, SIGINT
#include <cstring> // strerror
#include <sys/types.h>
#endif

namespace chat::conformance {

namespace {

#ifndef _WIN32
// True while `pid` runs (a zombie, exited but not yet reaped by its parent, has exited).
bool running(int pid) {
    if (::kill(pid, 0) != 0)
        return errno == EPERM;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text))
        return true; // no /proc: trust kill()
    auto paren = text.rfind(')');
    return !(paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z');
}
#endif

net::awaitable<void> graceful(check_context& ctx) {
#ifdef _WIN32
    ctx.skip("SHUT-1 needs POSIX signals; not judged on Windows");
    co_return;
#else
    auto pid = ctx.settings().server_pid;
    if (pid <= 0)
        ctx.skip(
            "SHUT-1 is judged only when chat-conform may stop the server: pass --server-pid PID "
            "(ci/conform-gate.sh does when it starts the server)");
    if (!running(pid))
        ctx.harness("--server-pid " + std::to_string(pid) + ": no such process is running");
    auto sig_name = ctx.settings().shutdown_signal;
    int sig = sig_name == "INT" ? SIGINT : SIGTERM;
    // Setup: clients in two rooms
    auto a = co_await ctx.join(ctx.room("a"), ctx.user("alice"), "A");
    auto b = co_await ctx.join(ctx.room("b"), ctx.user("bob"), "B");
    co_await ctx.send_and_echo(a, "before shutdown");
    // Act: signal the server
    auto limit = ctx.scaled(milliseconds(ctx.constants().shutdown_ms));
    auto start = std::chrono::steady_clock::now();
    if (::kill(pid, sig) != 0)
        ctx.harness("cannot send SIG" + sig_name + " to process " + std::to_string(pid) + ": " +
                    std::strerror(errno));
    ctx.transcribe("..", "SIG" + sig_name + " sent to process " + std::to_string(pid));
    // Expect: every client gets a close frame with 1001
    for (const peer* p : {&a, &b}) {
        auto ev = co_await ctx.next_event(*p, limit);
        if (ev.type == ws_event::kind::closed && ev.close_code == 1001)
            continue;
        ctx.fail("SHUT-1", p->label + " receives a close frame with code 1001 after SIG" + sig_name,
                 ev.type == ws_event::kind::closed
                     ? "it received close code " + std::to_string(ev.close_code)
                 : ev.type == ws_event::kind::timeout ? "nothing arrived within SHUTDOWN_MS (" +
                                                            std::to_string(limit.count()) + " ms)"
                 : ev.type == ws_event::kind::error
                     ? "the connection ended without a close frame (" + ev.ec.message() + ")"
                     : "it received a message instead");
    }
    auto closed_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
    // Expect: no new connections
    auto late = co_await ctx.try_request("GET", health_target(ctx.settings().target));
    if (late.status != 0)
        ctx.fail("SHUT-1", "the server stops accepting connections after SIG" + sig_name,
                 "a new connection was accepted and GET /health answered " +
                     std::to_string(late.status) + " after the close frames");
    // Expect: the process exits within SHUTDOWN_MS
    while (running(pid)) {
        auto elapsed = std::chrono::steady_clock::now() - start;
        if (elapsed > limit + milliseconds(200))
            ctx.fail("SHUT-1",
                     "the server exits within SHUTDOWN_MS (" + std::to_string(limit.count()) +
                         " ms)",
                     "process " + std::to_string(pid) + " is still running after " +
                         std::to_string(std::chrono::duration_cast<milliseconds>(elapsed).count()) +
                         " ms");
        co_await ctx.sleep(milliseconds(20));
    }
    auto exit_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
    ctx.note("close frames after " + std::to_string(closed_ms) + " ms, exited after " +
             std::to_string(exit_ms) + " ms");
#endif
}

} // namespace

std::vector<check> shut_checks() {
    return {
        {"shut.graceful",
         {"SHUT-1"},
         "SIGTERM: close 1001 to every client, no new connections, exit within SHUTDOWN_MS",
         graceful,
         12000,
         true},
    };
}

} // namespace chat::conformance
