// The platform interface, implemented for Linux; other systems get a clear "not supported".
#include "chat/platform.hpp"

#if defined(__linux__)
#include <cerrno>         // errno
#include <cstring>        // strerror
#include <filesystem>     // directory_iterator
#include <fstream>        // ifstream
#include <sstream>        // istringstream
#include <sys/resource.h> // getrlimit, setrlimit
#include <unistd.h>       // sysconf
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

#endif

} // namespace chat::platform
