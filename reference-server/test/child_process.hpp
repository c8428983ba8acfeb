// Runs chat-server as a child process for the tests that need a real process (signals, exit
// codes, the command line). POSIX only; elsewhere those tests are skipped.
#pragma once

#if !defined(_WIN32)

#include <chrono>    // steady_clock, milliseconds
#include <csignal>   // kill, SIGKILL
#include <cstring>   // strerror
#include <optional>  // optional
#include <stdexcept> // runtime_error
#include <string>    // string
#include <vector>    // vector

#include <fcntl.h>    // fcntl
#include <poll.h>     // poll
#include <spawn.h>    // posix_spawn
#include <sys/wait.h> // waitpid
#include <unistd.h>   // pipe, read, close

extern char** environ;

namespace test {

class child_process {
public:
    // Starts `path` with `args`, capturing stdout and stderr.
    child_process(const std::string& path, const std::vector<std::string>& args) {
        int out[2];
        int err[2];
        if (::pipe(out) != 0 || ::pipe(err) != 0)
            throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        posix_spawn_file_actions_addclose(&actions, err[0]);
        std::vector<std::string> argv_text{path};
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_text)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
        if (rc != 0)
            throw std::runtime_error("cannot start " + path + ": " + std::strerror(rc));
    }

    ~child_process() {
        if (!exit_status_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        ::close(out_);
        ::close(err_);
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    int pid() const { return pid_; }
    void signal(int sig) { ::kill(pid_, sig); }

    // The next line of stdout, or nullopt at the deadline or end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        return read_line_from(out_, out_buffer_, timeout);
    }

    // Everything on stderr until the child closes it or the deadline.
    std::string read_stderr(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (read_some(err_, err_buffer_, deadline)) {
        }
        return err_buffer_;
    }

    // The exit code (or 128 + signal) once the child exits, nullopt at the deadline.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exit_status_) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline)
                return std::nullopt;
            ::usleep(5000);
        }
        return exit_status_;
    }

private:
    // Reads what is available before the deadline; false at end of output or the deadline.
    static bool read_some(int fd, std::string& buffer,
                          std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return false;
        char chunk[4096];
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    static std::optional<std::string> read_line_from(int fd, std::string& buffer,
                                                     std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            auto nl = buffer.find('\n');
            if (nl != std::string::npos) {
                std::string line = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                return line;
            }
            if (!read_some(fd, buffer, deadline))
                return std::nullopt;
        }
    }

    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
    std::string out_buffer_;
    std::string err_buffer_;
    std::optional<int> exit_status_;
};

} // namespace test

#endif
