// The server's own figures for `--server-pid PID` (a local server): its CPU time and resident
// memory, sampled once a second through chat/platform.hpp (Linux /proc, Windows
// GetProcessTimes and GetProcessMemoryInfo; elsewhere "not supported on this platform").
#pragma once

#include "clock.hpp"

#include <atomic>   // atomic
#include <cstdint>  // int64_t, uint64_t
#include <mutex>    // mutex
#include <optional> // optional
#include <string>   // string
#include <thread>   // thread
#include <vector>   // vector

namespace chat::load {

// One reading of a process: CPU seconds used so far (user + system) and resident bytes.
struct process_sample {
    std::int64_t at_us = 0; // when, on the caller's clock
    double cpu_seconds = 0;
    std::uint64_t rss_bytes = 0;
};

// Reads the CPU time (platform::cpu_seconds(pid)) and resident memory
// (platform::resident_memory_bytes(pid)) of `pid`. None with `why` set ("no such process 123
// ...", "not supported on this platform") when it cannot.
std::optional<process_sample> read_process(int pid, std::string& why);

// Samples a process once a second on its own thread until stop() or destruction.
class process_watch {
public:
    // `clock`: the clock of the samples' at_us; it must outlive the watch.
    process_watch(int pid, const run_clock& clock);
    ~process_watch();
    process_watch(const process_watch&) = delete;
    process_watch& operator=(const process_watch&) = delete;

    // A reading now (also kept with the samples); none after an error (see error()).
    std::optional<process_sample> sample_now();
    void stop();
    std::vector<process_sample> samples() const;
    std::string error() const;

private:
    int pid_;
    const run_clock& clock_;
    mutable std::mutex m_;
    std::vector<process_sample> samples_;
    std::string error_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace chat::load
