// The command-line language every program of the project shares (CLI11): durations written
// as `500ms`/`2s`/`1m`, the report options (`-o,--report-dir`, `--format`, `--report-name`,
// `--no-report`), `-q,--quiet`, and one error path with one exit code for a bad command line.
#pragma once

#include "chat/reports/render.hpp"

#include <CLI/CLI.hpp>

#include <chrono>      // microseconds, milliseconds
#include <filesystem>  // path
#include <functional>  // function
#include <optional>    // optional
#include <stdexcept>   // invalid_argument
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace chat::cli {

// Exit code of every program for a bad command line (and chat-conform's "incomplete verdict").
inline constexpr int exit_usage = 2;

// A value the parser accepted but the program refuses; the message names the flag and the
// value ("--run-id must be ... (got 'a b')"). run_main prints it as a usage error.
struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Parses a duration: a decimal number followed by a unit, `us`, `ms`, `s`, `m`/`min` or `h`
// (`30s`, `500ms`, `1.5m`); a bare number means seconds. Negative, non-finite and unknown units
// throw std::invalid_argument("'TEXT' is not a duration (use e.g. 30s, 500ms, 2m)").
// Rounds to the nearest microsecond.
std::chrono::microseconds parse_duration(std::string_view text);

// The shortest exact spelling of `d` for help texts and reports: 0, 250us, 500ms, 2s, 5m, 1h.
std::string format_duration(std::chrono::microseconds d);

// A finite decimal number filling all of `text` ("2.5", "-1", "1e3"); nullopt otherwise.
std::optional<double> parse_number(std::string_view text);

// A CLI11 validator: the value must parse as a duration between `min` and `max` inclusive.
// The error names the flag and the value ("--settle: '1x' is not a duration ...").
CLI::Validator duration_between(std::chrono::microseconds min, std::chrono::microseconds max);

// CLI11 validators for numbers and words whose errors read like the rule, after the flag CLI11
// puts first: "--rate: must be > 0 (got '-5')", "--jobs: must be between 1 and 64 (got '100')",
// "--arrival: must be one of constant, poisson (got 'bursty')". Numbers are decimal text;
// anything else is "must be a number (got 'x')".
CLI::Validator greater_than(double low);
CLI::Validator at_least(double low);
// [low, high]; with `high_open` [low, high) ("must be in [0, 1) (got 1.5)").
CLI::Validator between(double low, double high, bool high_open = false);
CLI::Validator one_of(std::vector<std::string> words);

// Adds option `names` (e.g. "--settle") holding a duration in `target` (milliseconds), within
// [min, max]; the help shows the default as a duration (`=1s`).
CLI::Option* add_duration(CLI::App& app, const std::string& names,
                          std::chrono::milliseconds& target, const std::string& help,
                          std::chrono::milliseconds min, std::chrono::milliseconds max);

// Where and how a program writes its reports. Defaults: `./<tool>-report/<tool>.*`, every
// format (json, junit, html, md).
struct report_options {
    std::filesystem::path dir;
    std::string name;
    std::vector<chat::reports::format> formats = chat::reports::all_formats();
    bool none = false; // --no-report

    // The formats to write: empty with --no-report.
    std::vector<chat::reports::format> chosen() const;
};

// Adds -o,--report-dir DIR, --format LIST (comma-separated or repeated; json, junit, html, md),
// --report-name STEM and --no-report to `app`, with `tool` giving the defaults
// (`<tool>-report`, `<tool>`) unless `options` already holds others.
void add_report_options(CLI::App& app, report_options& options, const std::string& tool);

// Adds -q,--quiet: print only problems and the verdict (no live progress, no per-item lines).
CLI::Option* add_quiet_flag(CLI::App& app, bool& quiet);

// Parses argv with `app`, then runs `body` and returns its exit code; the one error path of
// every program: --help, --help-all and --version print and return 0; a parse or validation
// error prints one line "TOOL: error: MESSAGE (see `TOOL SUBCOMMAND --help`)" on stderr and
// returns exit_usage; usage_error or std::invalid_argument thrown by `body` prints "TOOL: error:
// MESSAGE" and returns exit_usage; any other std::exception prints "TOOL: error: MESSAGE" and
// returns `failure_exit`.
int run_main(CLI::App& app, int argc, char** argv, std::string_view tool,
             const std::function<int()>& body, int failure_exit = exit_usage);

} // namespace chat::cli
