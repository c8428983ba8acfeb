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

void write_reports(const run_result& result, const std::string& dir, const std::string& stem,
                   const std::vector<std::string>& formats, bool quiet) {
    if (dir.empty())
        return;
    // The JSON result is written compact (its histograms have thousands of buckets); the
    // other formats are rendered by reports/.
    std::vector<chat::reports::format> fs;
    bool json = false;
    for (const auto& f : formats) {
        const auto parsed = chat::reports::parse_format(f);
        if (parsed == chat::reports::format::json)
            json = true;
        else
            fs.push_back(parsed);
    }
    std::vector<std::filesystem::path> written;
    if (!fs.empty())
        written = chat::reports::write_all(to_document(result), dir, stem, fs);
    if (json) {
        std::filesystem::create_directories(dir);
        const auto path = std::filesystem::path(dir) / (stem + ".json");
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
    std::string merge_dir, merge_name = "chat-load-merged";
    std::vector<std::string> merge_formats = {"json", "md", "html"};
    bool merge_quiet = false;
    auto* merge_cmd = app.add_subcommand("merge", "Merge worker results exactly and judge them");
    merge_cmd->add_option("files", files, "Result JSON files of the workers")
        ->required()
        ->check(CLI::ExistingFile);
    merge_cmd->add_option("--threshold", merge_thresholds,
                          "Rules for the merged result (default: those the workers ran with)");
    merge_cmd->add_option("-o,--report-dir", merge_dir, "Write the merged results here");
    merge_cmd->add_option("--format", merge_formats, "Report formats: json, md, html, junit")
        ->delimiter(',')
        ->capture_default_str();
    merge_cmd->add_option("--report-name", merge_name, "File stem of the written reports")
        ->capture_default_str();
    merge_cmd->add_flag("-q,--quiet", merge_quiet, "Only the summary table");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "chat-load: error: " << e.what() << "\n";
        std::cerr << "Run with --help for more information.\n";
        return 2;
    }

    try {
        if (*run_cmd) {
            try {
                if (!s.config.empty())
                    apply_config_file(*run_cmd, s.config);
                validate(s);
            } catch (const std::invalid_argument& e) {
                std::cerr << "chat-load: error: " << e.what() << "\n";
                return 2;
            }
            const auto result = run(s, std::cerr);
            print_summary(result, std::cout);
            write_reports(result, s.report_dir, s.report_name, s.formats, s.quiet);
            return result.exit_code;
        }
        std::vector<run_result> docs;
        for (const auto& f : files) {
            std::ifstream in(f);
            nlohmann::json doc;
            try {
                doc = nlohmann::json::parse(in);
            } catch (const std::exception& e) {
                std::cerr << "chat-load: error: " << f << " is not JSON: " << e.what() << "\n";
                return 2;
            }
            docs.push_back(result_from_json(doc, f));
        }
        std::vector<threshold> rules;
        try {
            for (const auto& t : merge_thresholds)
                rules.push_back(parse_threshold(t));
            if (merge_thresholds.empty())
                rules = thresholds_of(docs.front());
            for (const auto& f : merge_formats)
                (void)chat::reports::parse_format(f);
        } catch (const std::invalid_argument& e) {
            std::cerr << "chat-load: error: " << e.what() << "\n";
            return 2;
        }
        const auto result = merge(docs, files, rules);
        print_summary(result, std::cout);
        write_reports(result, merge_dir, merge_name, merge_formats, merge_quiet);
        return result.exit_code;
    } catch (const harness_error& e) {
        std::cerr << "chat-load: error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "chat-load: error: " << e.what() << "\n";
        return 2;
    }
}
