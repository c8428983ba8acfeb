// chat-load: `run` drives a scenario against a chat server, `merge` combines worker results.
// Exit codes: 0 all thresholds met, 1 a threshold violated, 2 harness error or invalid run.
#include "engine.hpp"
#include "report.hpp"
#include "result.hpp"
#include "result_json.hpp"
#include "scenario.hpp"

#include "chat/reports/render.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem> // path, create_directories
#include <fstream>    // ifstream, ofstream
#include <iostream>   // cout, cerr
#include <stdexcept>  // runtime_error

namespace {

using namespace chat::load;

// Writes the chosen formats; the JSON result is written compact (its histograms have
// thousands of buckets), the other formats are rendered by reports/.
void write_reports(const run_result& result, const chat::cli::report_options& report, bool quiet) {
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
