// chat-server's command line, with one extension point through which a test build adds its own
// options (chat-server-mutant's --mutant); chat-server passes none.
#pragma once

#include "fault_hooks.hpp"
#include "server_config.hpp"

#include <memory> // shared_ptr
#include <string> // string

namespace CLI {
class App;
}

namespace chat_server {

class command_line_extension {
public:
    virtual ~command_line_extension() = default;
    // Adds the extension's options to `app`, before parsing.
    virtual void add_options(CLI::App& app) = 0;
    // After the server's own options are parsed into `config`: an exit code to stop with (0
    // after printing a listing), or -1 to go on. Throws std::runtime_error with a one-line
    // message naming the flag and the value it refuses (exit code 2).
    virtual int after_parse(const server_config& config) = 0;
    // The fault hooks to run the server with (null: the reference as SPEC.md describes it).
    virtual std::shared_ptr<fault_hooks> hooks(const server_config& config) = 0;
    // What the start-up line adds after the address, e.g. " (mutant no-echo)"; "" for nothing.
    virtual std::string describe() const = 0;
};

// Parses the command line, listens, prints "chat-server listening on http://HOST:PORT" and runs
// until SIGINT or SIGTERM. Returns the process exit code: 0, or 2 for a bad option value
// (reported on stderr naming the option and the value) or a port that cannot be bound.
int run_chat_server(int argc, char** argv, command_line_extension* extension);

} // namespace chat_server
