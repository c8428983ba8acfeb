// Console output of a run.
#include "console.hpp"

#include "catalogue.hpp"
#include "report.hpp"

#include <cstdio>   // printf, fflush
#include <cstdlib>  // getenv
#include <iostream> // cout

#ifndef _WIN32
#include <unistd.h> // isatty
#endif

namespace chat::conformance {

namespace {

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width)
        s.append(width - s.size(), ' ');
    return s;
}

std::string duration_text(double ms) {
    char buf[32];
    if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%6.0f ms", ms);
    else
        std::snprintf(buf, sizeof buf, "%6.2f s ", ms / 1000);
    return buf;
}

} // namespace

bool stdout_wants_color() {
#ifdef _WIN32
    return false;
#else
    return ::isatty(1) && std::getenv("NO_COLOR") == nullptr;
#endif
}

std::string console::paint(outcome o, const std::string& text) const {
    if (!color_)
        return text;
    const char* code = "";
    switch (o) {
    case outcome::pass:
        code = "32";
        break;
    case outcome::fail:
    case outcome::error:
    case outcome::timeout:
        code = "31;1";
        break;
    case outcome::warn:
    case outcome::flaky:
    case outcome::blocked:
        code = "33;1";
        break;
    case outcome::skip:
        code = "2";
        break;
    }
    return std::string("\033[") + code + "m" + text + "\033[0m";
}

void console::print_check(const check_result& r) {
    const auto& c = *r.definition;
    double total = 0;
    for (const auto& x : r.runs)
        total += x.duration_ms;
    const auto* rep = r.representative();
    std::string line = paint(r.combined, pad(name_of(r.combined), 8)) + pad(std::string(c.id), 30) +
                       " " + pad(c.clause_list(), 24) + " " + duration_text(total);
    if (r.combined == outcome::skip && rep)
        line += "  " + rep->actual;
    std::cout << line << "\n";
    bool problem = r.combined != outcome::pass && r.combined != outcome::skip;
    if (problem && rep) {
        const std::string in = "        ";
        if (!r.summary.empty() && r.combined == outcome::flaky)
            std::cout << in << r.summary << "\n";
        if (rep->result == outcome::blocked) {
            std::cout << in << "not judged: " << rep->blocked_by
                      << " failed, which this check depends on; " << rep->blocked_by
                      << "'s own checks judge it\n";
            std::cout << in << "seen:     " << rep->actual << "\n";
        } else if (!rep->clause.empty()) {
            const auto* cl = find_clause(rep->clause);
            std::cout << in << rep->clause << " (" << (cl ? to_string(cl->strength) : "?")
                      << "): \"" << (cl ? std::string(cl->text) : std::string()) << "\"\n";
            std::cout << in << "expected: " << rep->expected << "\n";
            std::cout << in << "actual:   " << rep->actual << "\n";
        } else if (!rep->actual.empty())
            std::cout << in << rep->actual << "\n";
        if (!rep->message.empty())
            std::cout << in << "note:     " << rep->message << "\n";
        if (verbosity_ == verbosity::verbose) {
            for (const auto& l : rep->transcript) {
                char t[32];
                std::snprintf(t, sizeof t, "%9.1f ms ", l.t_ms);
                std::cout << in << t << pad(l.direction, 10) << " " << l.text << "\n";
            }
        }
    } else if (verbosity_ == verbosity::verbose && rep && !rep->message.empty())
        std::cout << "        note: " << rep->message << "\n";
    std::cout.flush();
}

run_observer console::observer() {
    run_observer o;
    o.note = [this](const std::string& text) {
        if (verbosity_ != verbosity::quiet)
            std::cout << text << "\n" << std::flush;
    };
    if (verbosity_ == verbosity::verbose)
        o.run_finished = [](const check& c, const check_run& r) {
            if (r.repetition > 0)
                std::cout << "  run " << r.repetition << " of " << c.id << ": " << name_of(r.result)
                          << "\n";
        };
    o.check_finished = [this](const check_result& r) {
        if (verbosity_ != verbosity::quiet)
            print_check(r);
    };
    return o;
}

void console::summary(const run_outcome& run, const run_settings& settings,
                      const std::vector<std::filesystem::path>& written) {
    if (verbosity_ == verbosity::quiet) {
        // Quiet still names every problem, one line each; checks that never ran (the target
        // unreachable or dead) are one line together, not one identical line each.
        std::size_t not_run = 0;
        for (const auto& r : run.results)
            if (r.selected && r.combined != outcome::pass && r.combined != outcome::skip) {
                const auto* rep = r.representative();
                if (rep && rep->actual.rfind("not run: ", 0) == 0) {
                    ++not_run;
                    continue;
                }
                std::cout << name_of(r.combined) << " " << r.definition->id
                          << (rep && !rep->clause.empty() ? " [" + rep->clause + "]"
                              : rep && !rep->blocked_by.empty()
                                  ? " [not judged: " + rep->blocked_by + " failed]"
                                  : std::string())
                          << ": " << (rep ? rep->actual : std::string()) << "\n";
            }
        if (not_run > 0)
            std::cout << "ERROR " << not_run << " check" << (not_run == 1 ? "" : "s")
                      << " not run: " << run.target_problem << "\n";
    }
    int unselected = 0;
    for (const auto& r : run.results)
        unselected += !r.selected;
    auto uncovered = uncovered_clauses();
    std::cout << "\n";
    if (unselected > 0 && verbosity_ != verbosity::quiet)
        std::cout << unselected << " checks not selected (--only/--exclude).\n";
    if (!uncovered.empty()) {
        std::cout << "Clauses without a check:";
        for (const auto* c : uncovered)
            std::cout << " " << c->id;
        std::cout << "\n";
    }
    for (const auto& p : written)
        std::cout << "report: " << p.string() << "\n";
    auto seconds = std::chrono::duration<double>(run.finished - run.started).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.2f s", seconds);
    auto line = verdict_line(run, settings);
    outcome tone = run.exit_code == exit_pass ? outcome::pass : outcome::fail;
    std::cout << paint(tone, line) << "\n";
    for (const auto& h : highlights(run))
        std::cout << "  - " << h << "\n";
    std::string against = settings.target.to_string();
    if (settings.targets.size() > 1)
        against = std::to_string(settings.targets.size()) + " endpoints (" + against + ", ...)";
    std::cout << "run " << settings.run_id << " against " << against << " took " << took
              << "; exit code " << run.exit_code
              << (run.exit_code == exit_pass         ? " (conforms)"
                  : run.exit_code == exit_violations ? " (violations)"
                                                     : " (incomplete: target or harness problem)")
              << "\n";
    std::cout.flush();
}

} // namespace chat::conformance
