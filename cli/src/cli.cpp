// The shared command-line language: durations, report options, quiet, the one error path.
#include "chat/cli.hpp"

#include <algorithm> // find
#include <cmath>     // isfinite, llround
#include <cstdio>    // snprintf
#include <iostream>  // cerr

namespace chat::cli {

std::chrono::microseconds parse_duration(std::string_view text) {
    const auto fail = [&] {
        return std::invalid_argument("'" + std::string(text) +
                                     "' is not a duration (use e.g. 30s, 500ms, 2m)");
    };
    const std::string s(text);
    std::size_t used = 0;
    double n = 0;
    try {
        n = std::stod(s, &used);
    } catch (const std::exception&) {
        throw fail();
    }
    // stod accepts "inf", "nan" and hexadecimal: allow only digits and one point.
    if (!std::isfinite(n) || n < 0 || s.find_first_not_of("0123456789.") < used)
        throw fail();
    const auto unit = s.substr(used);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1e6;
    else if (unit == "ms")
        scale = 1e3;
    else if (unit == "us")
        scale = 1;
    else if (unit == "m" || unit == "min")
        scale = 60e6;
    else if (unit == "h")
        scale = 3600e6;
    else
        throw fail();
    if (n * scale > 1e15) // more than 31 years: a typo
        throw fail();
    return std::chrono::microseconds(std::llround(n * scale));
}

std::string format_duration(std::chrono::microseconds d) {
    const auto us = d.count();
    if (us == 0)
        return "0";
    struct unit {
        std::int64_t us;
        const char* name;
    };
    static constexpr unit units[] = {
        {3'600'000'000, "h"}, {60'000'000, "m"}, {1'000'000, "s"}, {1'000, "ms"}, {1, "us"}};
    for (const auto& u : units)
        if (us % u.us == 0)
            return std::to_string(us / u.us) + u.name;
    return std::to_string(us) + "us";
}

std::optional<double> parse_number(std::string_view text) {
    const std::string s(text);
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (used != s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

CLI::Validator duration_between(std::chrono::microseconds min, std::chrono::microseconds max) {
    return CLI::Validator(
        [min, max](std::string& value) -> std::string {
            std::chrono::microseconds d{};
            try {
                d = parse_duration(value);
            } catch (const std::invalid_argument& e) {
                return e.what();
            }
            if (d < min || d > max)
                return "'" + value + "' is not between " + format_duration(min) + " and " +
                       format_duration(max);
            return {};
        },
        "", "duration");
}

namespace {

std::string show(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

// A validator that parses its value as a number and asks `ok`; `rule` completes "must be".
CLI::Validator number_rule(std::function<bool(double)> ok, std::string rule) {
    return CLI::Validator(
        [ok = std::move(ok), rule = std::move(rule)](std::string& value) -> std::string {
            const auto v = parse_number(value);
            if (!v)
                return "must be a number (got '" + value + "')";
            if (!ok(*v))
                return "must be " + rule + " (got '" + value + "')";
            return {};
        },
        "");
}

} // namespace

CLI::Validator greater_than(double low) {
    return number_rule([low](double v) { return v > low; }, "> " + show(low));
}

CLI::Validator at_least(double low) {
    return number_rule([low](double v) { return v >= low; }, ">= " + show(low));
}

CLI::Validator between(double low, double high, bool high_open) {
    if (high_open)
        return number_rule([low, high](double v) { return v >= low && v < high; },
                           "in [" + show(low) + ", " + show(high) + ")");
    return number_rule([low, high](double v) { return v >= low && v <= high; },
                       "between " + show(low) + " and " + show(high));
}

CLI::Validator one_of(std::vector<std::string> words) {
    std::string list;
    for (const auto& w : words)
        list += (list.empty() ? "" : ", ") + w;
    return CLI::Validator(
        [words = std::move(words), list](std::string& value) -> std::string {
            if (std::find(words.begin(), words.end(), value) != words.end())
                return {};
            return "must be one of " + list + " (got '" + value + "')";
        },
        "");
}

CLI::Option* add_duration(CLI::App& app, const std::string& names,
                          std::chrono::milliseconds& target, const std::string& help,
                          std::chrono::milliseconds min, std::chrono::milliseconds max) {
    return app
        .add_option_function<std::string>(
            names,
            [&target](const std::string& v) {
                target = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(v));
            },
            help)
        ->check(duration_between(min, max))
        ->type_name("DURATION")
        ->default_str(format_duration(target));
}

std::vector<chat::reports::format> report_options::chosen() const {
    if (none)
        return {};
    return formats;
}

void add_report_options(CLI::App& app, report_options& options, const std::string& tool) {
    if (options.dir.empty())
        options.dir = tool + "-report";
    if (options.name.empty())
        options.name = tool;
    app.add_option("-o,--report-dir", options.dir, "Directory for the reports (created if missing)")
        ->type_name("DIR")
        ->capture_default_str();
    app.add_option_function<std::vector<std::string>>(
           "--format",
           [&options](const std::vector<std::string>& names) {
               options.formats.clear();
               for (const auto& n : names)
                   for (auto f : chat::reports::parse_formats(n))
                       if (std::find(options.formats.begin(), options.formats.end(), f) ==
                           options.formats.end())
                           options.formats.push_back(f);
           },
           "Report formats, comma-separated or repeated: json, junit, html, md, all")
        ->delimiter(',')
        ->type_name("LIST")
        ->default_str("all")
        ->check(one_of({"json", "junit", "html", "md", "markdown", "all"}));
    app.add_option("--report-name", options.name, "File stem of the reports (STEM.json, ...)")
        ->type_name("STEM")
        ->capture_default_str()
        ->check(CLI::Validator(
            [](std::string& v) -> std::string {
                if (v.empty() || v.find_first_of("/\\") != std::string::npos)
                    return "'" + v + "' is not a file stem (no '/' or '\\')";
                return {};
            },
            ""));
    app.add_flag("--no-report", options.none, "Write no report files");
}

CLI::Option* add_quiet_flag(CLI::App& app, bool& quiet) {
    return app.add_flag("-q,--quiet", quiet,
                        "Print only problems and the verdict (no live progress)");
}

namespace {

// "chat-conform run" when the `run` subcommand was being parsed, else "chat-conform".
std::string command_of(const CLI::App& app, std::string_view tool) {
    std::string command(tool);
    for (const auto* sub : app.get_subcommands())
        command += " " + sub->get_name();
    return command;
}

} // namespace

int run_main(CLI::App& app, int argc, char** argv, std::string_view tool,
             const std::function<int()>& body, int failure_exit) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << tool << ": error: " << e.what() << " (see `" << command_of(app, tool)
                  << " --help`)\n";
        return exit_usage;
    }
    try {
        return body();
    } catch (const CLI::ParseError& e) { // a --config file read by `body`
        std::cerr << tool << ": error: " << e.what() << "\n";
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        std::cerr << tool << ": error: " << e.what() << "\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << tool << ": error: " << e.what() << "\n";
        return failure_exit;
    }
}

} // namespace chat::cli
