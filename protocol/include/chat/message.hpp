// The message model every component speaks: what a server broadcasts and stores in history.
#pragma once

#include <cstdint> // int64_t
#include <string>  // string

namespace chat {

// One chat message as the server broadcasts it: {"user","room","content","timestamp"}.
struct chat_message {
    std::string user;
    std::string room;
    std::string content;
    std::int64_t timestamp = 0; // Unix milliseconds, stamped by the server at receipt

    friend bool operator==(const chat_message&, const chat_message&) = default;
};

// One entry of GET /api/rooms.
struct room_entry {
    std::string name;
    std::int64_t clients = 0;

    friend bool operator==(const room_entry&, const room_entry&) = default;
};

} // namespace chat
