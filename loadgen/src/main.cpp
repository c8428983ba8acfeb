// chat-load: `run` drives a scenario against a chat server, `search` finds its capacity under an
// SLO, `merge` combines worker results.
// Exit codes of run/merge: 0 all thresholds met, 1 a threshold violated, 2 harness error or
// invalid run; of search: search_report.hpp (0 found, 1 none passed, 2 invalid, 3 lower bound).
#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"
#include "result_json.hpp"
#include "scenario.hpp"

#include "chat/reports/render.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>     // milliseconds, hours
#include <filesystem> // path, create_directories
#include <fstream>    // ifstream, ofstream
#include <iostream>   // cout, cerr
#include <stdexcept>  // runtime_error

namespace {

using namespace chat::load;

// Writes the chosen formats; the JSON result is written compact (its histograms have
// thousands of buckets), the other formats are rendered by reports/.
template <class Result>
void write_reports(const Result& result, const chat::cli::report_options& report, bool quiet) {
    std::vector<chat::reports::format> rendered;
    bool json = false;
    for (const auto f : report.chosen()) {
        if (f == chat::reports::format::json)
            json = true;
        else
            rendered.push_back(f);
    }
    std::vector<std::filesystem::path> written;
    if (!rendered.empty())
        written = chat::reports::write_all(to_document(result), report.dir, report.name, rendered);
    if (json) {
        std::filesystem::create_directories(report.dir);
        const auto path = report.dir / (report.name + ".json");
        std::ofstream out(path);
        out << to_json(result).dump() << "\n";
        if (!out)
            throw std::runtime_error("cannot write " + path.string());
        written.insert(written.begin(), path);
    }
    if (!quiet)
        for (const auto& p : written)
            std::cerr << "chat-load: wrote " << p.string() << "\n";
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"chat-load: load generator for chat servers (SPEC.md). Measures fan-out "
                 "latency from each message's intended send time, loss, duplicates and order, "
                 "with open-loop senders.\nExit: 0 ok, 1 a threshold violated, 2 harness error "
                 "or invalid (generator-saturated) run."};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Help for every subcommand");

    scenario s;
    auto* run_cmd = app.add_subcommand(
        "run", "Run a scenario against URL [URL...] (several URLs: one deployment)");
    add_options(*run_cmd, s);

    // search: the scenario options of run, with --slo for --threshold, --step-duration for
    // --duration, and no --rate (each step derives it from its offered rate).
    scenario ss;
    ss.duration = "5s";
    ss.report.name = "chat-load-search";
    search_options so;
    auto* search_cmd = app.add_subcommand(
        "search",
        "Find the highest offered delivery rate that meets the SLO on URL [URL...]: steps up "
        "(x2) until a step fails, then bisects. Offered deliveries/s = senders x rate per sender "
        "x members of their room (each member, the sender too, receives every message of its "
        "room); with --distribution even: rooms x min(senders, clients/rooms) x clients/rooms x "
        "rate. Each step is a full run (connect, warm-up, measured window, generator self-watch) "
        "on fresh rooms of the same server.\nExit: 0 capacity found (a passing step below a "
        "failing one), 1 no step met the SLO, 2 harness error or a step INVALID before any "
        "passed, 3 only a lower bound (no step failed: --to, --max-steps or an INVALID step "
        "ended the climb).");
    add_options(*search_cmd, ss);
    for (const char* name : {"--rate", "--duration", "--threshold"})
        search_cmd->remove_option(search_cmd->get_option(name));
    search_cmd
        ->add_option("--slo", ss.thresholds,
                     "Service-level objective every passing step meets, repeatable: "
                     "'p99<50ms', 'delivery>=0.9999' (" +
                         threshold_metrics_help() + ")")
        ->required();
    search_cmd->add_option("--step-duration", ss.duration, "Measured window of each step")
        ->capture_default_str()
        ->check(chat::cli::duration_between(std::chrono::milliseconds(100), std::chrono::hours(1)));
    search_cmd->add_option("--from", so.from, "Offered deliveries per second of the first step")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    search_cmd->add_option("--to", so.to, "Highest offered deliveries per second (0: no limit)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    search_cmd
        ->add_option("--resolution", so.resolution,
                     "Stop once (first failing - last passing) / last passing <= this")
        ->capture_default_str()
        ->check(chat::cli::between(0.001, 1, true));
    search_cmd->add_option("--max-steps", so.max_steps, "Steps in all, climb and bisection")
        ->capture_default_str()
        ->check(chat::cli::between(1, 100));
    search_cmd
        ->add_option("--confirm", so.confirm,
                     "Reruns of a failing or INVALID step at the same rate: a passing run "
                     "decides the rate, else a failing one, else it is INVALID (a stall of a "
                     "shared machine can fail a run or starve the generator, nothing makes an "
                     "overloaded server pass)")
        ->capture_default_str()
        ->check(chat::cli::between(0, 5));
    search_cmd->add_option("--growth", so.growth, "Factor between climbing steps")
        ->capture_default_str()
        ->check(chat::cli::between(1.01, 100));

    std::vector<std::string> files;
    std::vector<std::string> merge_thresholds;
    chat::cli::report_options merge_report;
    merge_report.name = "chat-load-merged";
    bool merge_quiet = false;
    auto* merge_cmd = app.add_subcommand("merge", "Merge worker results exactly and judge them");
    merge_cmd->add_option("files", files, "Result JSON files of the workers")
        ->required()
        ->check(CLI::ExistingFile);
    merge_cmd->add_option("--threshold", merge_thresholds,
                          "Rules for the merged result (default: those the workers ran with)");
    chat::cli::add_report_options(*merge_cmd, merge_report, "chat-load");
    chat::cli::add_quiet_flag(*merge_cmd, merge_quiet);

    return chat::cli::run_main(app, argc, argv, "chat-load", [&]() -> int {
        if (*run_cmd) {
            if (!s.config.empty())
                apply_config_file(*run_cmd, s.config);
            validate(s);
            const auto result = run(s, std::cerr);
            print_summary(result, std::cout);
            write_reports(result, s.report, s.quiet);
            return result.exit_code;
        }
        if (*search_cmd) {
            if (!ss.config.empty())
                apply_config_file(*search_cmd, ss.config);
            validate(ss);
            if (so.to > 0 && so.to < so.from)
                throw std::invalid_argument("--to must be 0 (no limit) or >= --from (got " +
                                            std::to_string(so.to) + ")");
            const auto result = run_search(ss, so, std::cerr);
            print_summary(result, std::cout);
            write_reports(result, ss.report, ss.quiet);
            return result.exit_code;
        }
        std::vector<run_result> docs;
        for (const auto& f : files) {
            std::ifstream in(f);
            nlohmann::json doc;
            try {
                doc = nlohmann::json::parse(in);
            } catch (const std::exception& e) {
                throw std::invalid_argument(f + " is not JSON: " + e.what());
            }
            docs.push_back(result_from_json(doc, f));
        }
        std::vector<threshold> rules;
        for (const auto& t : merge_thresholds)
            rules.push_back(parse_threshold(t));
        if (merge_thresholds.empty())
            rules = thresholds_of(docs.front());
        const auto result = merge(docs, files, rules);
        print_summary(result, std::cout);
        write_reports(result, merge_report, merge_quiet);
        return result.exit_code;
    });
}
