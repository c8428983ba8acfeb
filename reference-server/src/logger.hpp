// One line per event on stderr (connection open/close/drop, failures), filtered by level.
#pragma once

#include "server_config.hpp"

#include <mutex>       // mutex
#include <string_view> // string_view

namespace chat_server {

class logger {
public:
    explicit logger(log_level level) : level_(level) {}

    bool enabled(log_level l) const noexcept { return l <= level_; }
    // Writes "chat-server: LEVEL: line" if `l` is enabled; whole lines, never interleaved.
    void write(log_level l, std::string_view line);

private:
    log_level level_;
    std::mutex mutex_;
};

} // namespace chat_server
