// What differs between operating systems, behind one small interface. Implemented for Linux and
// Windows; elsewhere a call reports clearly that it is not supported on this platform.
#pragma once

#include <cstdint>  // uint64_t
#include <optional> // optional
#include <string>   // string

namespace chat::platform {

// Either a value or the reason there is none ("not supported on this platform", an errno text).
template <class T> struct result {
    std::optional<T> value;
    std::string error;
    explicit operator bool() const noexcept { return value.has_value(); }
};

// Resident set size of this process, in bytes (Linux: VmRSS; Windows: the working set,
// GetProcessMemoryInfo).
result<std::uint64_t> resident_memory_bytes();

// Resident set size of another process, in bytes; errors name the process when it cannot be read.
result<std::uint64_t> resident_memory_bytes(int pid);

// How many descriptors (Linux: RLIMIT_NOFILE) or kernel handles (Windows: 2^24 per process,
// fixed, so soft == hard) this process may hold; sockets count against it.
struct open_file_limit {
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};
result<open_file_limit> get_open_file_limit();
// Raises the soft limit to `wanted` (or to the hard limit when `wanted` is 0 or above it).
// Windows has nothing to raise: the fixed handle limit is returned.
result<open_file_limit> raise_open_file_limit(std::uint64_t wanted = 0);

// Number of file descriptors (Windows: handles, GetProcessHandleCount) this process has open.
result<std::uint64_t> open_file_count();

struct port_range {
    unsigned first = 0;
    unsigned last = 0;
    unsigned size() const noexcept { return last >= first ? last - first + 1 : 0; }
};
// The ephemeral (local) port range the OS assigns outgoing connections from. Linux:
// ip_local_port_range. Windows: the dynamic port range, 49152-65535 (IANA's, Windows' default
// since Vista); a range changed with `netsh int ipv4 set dynamicport` is not visible through a
// public API, so this is the default.
result<port_range> ephemeral_port_range();

// CPU time (user + system) this process has used so far, in seconds.
result<double> cpu_seconds();
// CPU time (user + system) another process has used so far, in seconds (Linux: utime + stime
// of /proc/PID/stat, proc(5); Windows: GetProcessTimes); errors name the process.
result<double> cpu_seconds(int pid);

// This machine's host name (Linux: gethostname; Windows: the DNS host name).
result<std::string> host_name();

} // namespace chat::platform
