// Readings of the server process for --server-pid, through chat/platform.hpp.
#include "server_watch.hpp"

#include "chat/platform.hpp"

#include <chrono> // milliseconds

namespace chat::load {

std::optional<process_sample> read_process(int pid, std::string& why) {
    const auto cpu = platform::cpu_seconds(pid);
    if (!cpu) {
        why = cpu.error;
        return std::nullopt;
    }
    const auto rss = platform::resident_memory_bytes(pid);
    if (!rss) {
        why = rss.error + " (a zombie?)";
        return std::nullopt;
    }
    process_sample s;
    s.cpu_seconds = *cpu.value;
    s.rss_bytes = *rss.value;
    return s;
}

process_watch::process_watch(int pid, const run_clock& clock) : pid_(pid), clock_(clock) {
    thread_ = std::thread([this] {
        while (!stop_) {
            sample_now();
            for (int i = 0; i < 50 && !stop_; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

process_watch::~process_watch() {
    stop();
}

void process_watch::stop() {
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
}

std::optional<process_sample> process_watch::sample_now() {
    std::string why;
    auto s = read_process(pid_, why);
    std::lock_guard lock(m_);
    if (!s) {
        if (error_.empty())
            error_ = why;
        return s;
    }
    s->at_us = clock_.now_us();
    samples_.push_back(*s);
    return s;
}

std::vector<process_sample> process_watch::samples() const {
    std::lock_guard lock(m_);
    return samples_;
}

std::string process_watch::error() const {
    std::lock_guard lock(m_);
    return error_;
}

} // namespace chat::load
