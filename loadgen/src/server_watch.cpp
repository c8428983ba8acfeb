// /proc readings of the server process for --server-pid.
#include "server_watch.hpp"

#include <chrono>  // milliseconds
#include <fstream> // ifstream
#include <sstream> // istringstream

#ifdef __linux__
#include <unistd.h> // sysconf
#endif

namespace chat::load {

std::optional<process_sample> read_process(int pid, std::string& why) {
#ifdef __linux__
    const auto dir = "/proc/" + std::to_string(pid);
    std::ifstream stat(dir + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        why = "no such process " + std::to_string(pid);
        return std::nullopt;
    }
    // Fields after "pid (comm)": state is field 3; utime and stime are fields 14 and 15 (proc(5)).
    const auto close = text.rfind(')');
    std::istringstream rest(close == std::string::npos ? std::string{} : text.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int f = 3; f <= 15 && rest >> field; ++f) {
        if (f == 14)
            utime = std::stoull(field);
        if (f == 15)
            stime = std::stoull(field);
    }
    if (!rest) {
        why = "cannot read " + dir + "/stat";
        return std::nullopt;
    }
    std::ifstream status(dir + "/status");
    std::string line;
    std::uint64_t rss_kb = 0;
    bool found = false;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) {
            rss_kb = std::stoull(line.substr(6));
            found = true;
            break;
        }
    if (!found) {
        why = "no VmRSS in " + dir + "/status (a zombie?)";
        return std::nullopt;
    }
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    process_sample s;
    s.cpu_seconds = static_cast<double>(utime + stime) / (ticks > 0 ? ticks : 100);
    s.rss_bytes = rss_kb * 1024;
    return s;
#else
    (void)pid;
    why = "not supported on this platform";
    return std::nullopt;
#endif
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
