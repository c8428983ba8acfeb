// What a person sees while chat-conform runs: one line per check, details of every problem,
// and a summary with the exit code explained.
#pragma once

#include "runner.hpp"
#include "settings.hpp"

#include <filesystem> // path
#include <vector>     // vector

namespace chat::conformance {

class console {
public:
    enum class verbosity { quiet, normal, verbose };
    console(verbosity v, bool color) : verbosity_(v), color_(color) {}

    // Callbacks for the runner: lines as checks finish.
    run_observer observer();
    void summary(const run_outcome& run, const run_settings& settings,
                 const std::vector<std::filesystem::path>& written);

private:
    std::string paint(outcome o, const std::string& text) const;
    void print_check(const check_result& r);

    verbosity verbosity_;
    bool color_;
};

// True when colour is wanted on stdout (a terminal, and NO_COLOR unset).
bool stdout_wants_color();

} // namespace chat::conformance
