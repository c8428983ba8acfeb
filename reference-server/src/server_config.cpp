// Names of the configuration's enumerations, as the command line spells them.
#include "server_config.hpp"

namespace chat_server {

const char* to_string(log_level l) noexcept {
    switch (l) {
    case log_level::error:
        return "error";
    case log_level::warn:
        return "warn";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    }
    return "?";
}

std::optional<log_level> parse_log_level(std::string_view text) {
    for (auto l : {log_level::error, log_level::warn, log_level::info, log_level::debug})
        if (text == to_string(l))
            return l;
    return std::nullopt;
}

} // namespace chat_server
