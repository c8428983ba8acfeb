// Line-at-a-time logging to stderr.
#include "logger.hpp"

#include <cstdio> // fwrite, fflush, stderr
#include <string> // string

namespace chat_server {

void logger::write(log_level l, std::string_view line) {
    if (!enabled(l))
        return;
    std::string text = "chat-server: ";
    text += to_string(l);
    text += ": ";
    text += line;
    text += '\n';
    std::lock_guard lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

} // namespace chat_server
