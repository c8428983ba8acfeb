// The platform interface, implemented for Linux and Windows; other systems get a clear
// "not supported on this platform".
#include "chat/platform.hpp"

#if defined(__linux__)
#include <cerrno>         // errno
#include <cstdlib>        // strtoull
#include <cstring>        // strerror
#include <filesystem>     // directory_iterator
#include <fstream>        // ifstream
#include <sstream>        // istringstream
#include <sys/resource.h> // getrlimit, setrlimit, getrusage
#include <unistd.h>       // gethostname, sysconf
#elif defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h> // GetCurrentProcess, OpenProcess, GetProcessTimes, GetComputerNameExA
// windows.h first: psapi.h needs its types.
#include <psapi.h>   // GetProcessMemoryInfo
#endif

namespace chat::platform {

#if defined(__linux__)

namespace {

result<std::uint64_t> rss_from_status(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return {std::nullopt, "cannot read " + path};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream fields(line.substr(6));
            std::uint64_t kb = 0;
            fields >> kb;
            return {kb * 1024, {}};
        }
    }
    return {std::nullopt, "no VmRSS line in " + path};
}

} // namespace

result<std::uint64_t> resident_memory_bytes() {
    return rss_from_status("/proc/self/status");
}

result<std::uint64_t> resident_memory_bytes(int pid) {
    return rss_from_status("/proc/" + std::to_string(pid) + "/status");
}

result<open_file_limit> get_open_file_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return {std::nullopt, std::strerror(errno)};
    return {open_file_limit{rl.rlim_cur, rl.rlim_max}, {}};
}

result<open_file_limit> raise_open_file_limit(std::uint64_t wanted) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return {std::nullopt, std::strerror(errno)};
    const rlim_t target = (wanted == 0 || wanted > rl.rlim_max) ? rl.rlim_max : wanted;
    if (target > rl.rlim_cur) {
        rl.rlim_cur = target;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return {std::nullopt, std::strerror(errno)};
    }
    return get_open_file_limit();
}

result<std::uint64_t> open_file_count() {
    std::error_code ec;
    std::uint64_t n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec))
        ++n;
    if (ec)
        return {std::nullopt, "cannot list /proc/self/fd: " + ec.message()};
    return {n > 0 ? n - 1 : 0, {}}; // the iterator's own descriptor
}

result<port_range> ephemeral_port_range() {
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    port_range r;
    if (!(in >> r.first >> r.last))
        return {std::nullopt, "cannot read ip_local_port_range"};
    return {r, {}};
}

result<double> cpu_seconds() {
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) != 0)
        return {std::nullopt, std::strerror(errno)};
    return {static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
            {}};
}

result<double> cpu_seconds(int pid) {
    const auto path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream in(path);
    std::string text;
    if (!std::getline(in, text))
        return {std::nullopt,
                "no such process " + std::to_string(pid) + " (cannot read " + path + ")"};
    // The fields after "pid (comm)", which may hold blanks: state is field 3, utime and stime
    // (clock ticks) fields 14 and 15.
    const auto close = text.rfind(')');
    std::istringstream rest(close == std::string::npos ? std::string{} : text.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int f = 3; f <= 15 && rest >> field; ++f) {
        if (f == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        if (f == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    if (!rest)
        return {std::nullopt, "cannot parse " + path};
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return {static_cast<double>(utime + stime) / (ticks > 0 ? ticks : 100), {}};
}

result<std::string> host_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        return {std::nullopt, std::strerror(errno)};
    return {std::string(host), {}};
}

#elif defined(_WIN32)

namespace {

// GetLastError() in words ("Access is denied."), without the trailing line break.
std::string last_error_text() {
    const DWORD code = ::GetLastError();
    char text[256] = {};
    DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                               code, 0, text, sizeof text, nullptr);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '.'))
        text[--n] = '\0';
    return n > 0 ? std::string(text) : "Windows error " + std::to_string(code);
}

result<std::uint64_t> working_set(HANDLE process) {
    PROCESS_MEMORY_COUNTERS counters{};
    counters.cb = sizeof counters;
    if (!::GetProcessMemoryInfo(process, &counters, sizeof counters))
        return {std::nullopt, "GetProcessMemoryInfo: " + last_error_text()};
    return {static_cast<std::uint64_t>(counters.WorkingSetSize), {}};
}

// "Kernel Objects" in the Windows documentation: at most 2^24 handles per process.
constexpr std::uint64_t handle_limit = std::uint64_t{1} << 24;

} // namespace

result<std::uint64_t> resident_memory_bytes() {
    return working_set(::GetCurrentProcess());
}

result<std::uint64_t> resident_memory_bytes(int pid) {
    HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, FALSE,
                                   static_cast<DWORD>(pid));
    if (!process)
        return {std::nullopt,
                "cannot open process " + std::to_string(pid) + ": " + last_error_text()};
    auto r = working_set(process);
    ::CloseHandle(process);
    return r;
}

result<open_file_limit> get_open_file_limit() {
    return {open_file_limit{handle_limit, handle_limit}, {}};
}

result<open_file_limit> raise_open_file_limit(std::uint64_t) {
    return get_open_file_limit();
}

result<std::uint64_t> open_file_count() {
    DWORD n = 0;
    if (!::GetProcessHandleCount(::GetCurrentProcess(), &n))
        return {std::nullopt, "GetProcessHandleCount: " + last_error_text()};
    // A running process always holds handles; 0 is an implementation that does not count them
    // (Wine 8 answers 0), not a count.
    if (n == 0)
        return {std::nullopt, "GetProcessHandleCount reports no handles: not counted here"};
    return {static_cast<std::uint64_t>(n), {}};
}

result<port_range> ephemeral_port_range() {
    return {port_range{49152, 65535}, {}};
}

namespace {

result<double> process_times(HANDLE process) {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(process, &created, &exited, &kernel, &user))
        return {std::nullopt, "GetProcessTimes: " + last_error_text()};
    auto ticks = [](const FILETIME& t) { // 100-nanosecond intervals
        return (static_cast<std::uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
    };
    return {static_cast<double>(ticks(kernel) + ticks(user)) / 1e7, {}};
}

} // namespace

result<double> cpu_seconds() {
    return process_times(::GetCurrentProcess());
}

result<double> cpu_seconds(int pid) {
    HANDLE process =
        ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
    if (!process)
        return {std::nullopt,
                "cannot open process " + std::to_string(pid) + ": " + last_error_text()};
    auto r = process_times(process);
    ::CloseHandle(process);
    return r;
}

result<std::string> host_name() {
    char host[256] = {};
    DWORD size = sizeof host;
    if (!::GetComputerNameExA(ComputerNameDnsHostname, host, &size))
        return {std::nullopt, "GetComputerNameEx: " + last_error_text()};
    return {std::string(host, size), {}};
}

#else

namespace {
constexpr const char* unsupported = "not supported on this platform";
}

result<std::uint64_t> resident_memory_bytes() {
    return {std::nullopt, unsupported};
}
result<std::uint64_t> resident_memory_bytes(int) {
    return {std::nullopt, unsupported};
}
result<open_file_limit> get_open_file_limit() {
    return {std::nullopt, unsupported};
}
result<open_file_limit> raise_open_file_limit(std::uint64_t) {
    return {std::nullopt, unsupported};
}
result<std::uint64_t> open_file_count() {
    return {std::nullopt, unsupported};
}
result<port_range> ephemeral_port_range() {
    return {std::nullopt, unsupported};
}
result<double> cpu_seconds() {
    return {std::nullopt, unsupported};
}
result<double> cpu_seconds(int) {
    return {std::nullopt, unsupported};
}
result<std::string> host_name() {
    return {std::nullopt, unsupported};
}

#endif

} // namespace chat::platform
