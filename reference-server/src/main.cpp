// chat-server: the reference implementation of SPEC.md (command_line.cpp does the work).
#include "command_line.hpp"

int main(int argc, char** argv) {
    return chat_server::run_chat_server(argc, argv, nullptr);
}
