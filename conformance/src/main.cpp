// chat-conform: judges a chat server, written in any language, against SPEC.md through its
// sockets, clause by clause, with verdicts and exit codes a CI job can gate on.
#include "catalogue.hpp"
#include "console.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "selection.hpp"

#include "chat/reports/render.hpp"
#include "chat/url.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream> // cout, cerr
#include <random>   // random_device
#include <set>      // set

#ifndef CHAT_CONFORM_VERSION
#define CHAT_CONFORM_VERSION "0.0.0"
#endif

namespace conf = chat::conformance;

namespace {

constexpr const char* exit_codes_help = R"(Exit codes (never a count):
  0  every selected MUST check passed (and every SHOULD check with --strict)
  1  the server violates the spec: a check FAILed (or WARNed with --strict)
  2  incomplete verdict: bad command line, target unreachable or died mid-run, the overall
     deadline hit, or a check ended ERROR/TIMEOUT without any violation found)";

constexpr const char* outcomes_help =
    R"(Outcomes: PASS; FAIL (a MUST not met); WARN (a SHOULD not met); SKIP (not selected, or
not applicable such as SHUT-1 without --server-pid); ERROR (the harness could not judge:
target unreachable, connection refused); TIMEOUT (the check hit its hard deadline); FLAKY
(--repeat gave different verdicts).)";

std::string random_run_id() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::string id;
    for (int i = 0; i < 6; ++i)
        id += alphabet[rd() % (sizeof alphabet - 1)];
    return id;
}

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class T>
void require_range(const char* flag, T value, T low, T high, const char* what = "") {
    if (value < low || value > high)
        throw usage_error(std::string(flag) + " must be between " + std::to_string(low) + " and " +
                          std::to_string(high) + what + " (got " + std::to_string(value) + ")");
}

void check_patterns(const char* flag, const std::vector<std::string>& patterns) {
    for (const auto& p : conf::unmatched_patterns(patterns))
        throw usage_error(std::string(flag) + " '" + p +
                          "' matches no check ID and no clause ID; see `chat-conform list`");
}

int list_catalogue(bool as_json, const std::vector<std::string>& only,
                   const std::vector<std::string>& exclude) {
    const auto& all = conf::catalogue();
    auto uncovered = conf::uncovered_clauses();
    if (as_json) {
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& c : all) {
            if (!conf::selected(c, only, exclude))
                continue;
            nlohmann::json req = nlohmann::json::array();
            std::vector<std::string> ids;
            for (auto id : c.clauses) {
                const auto* cl = conf::find_clause(id);
                ids.emplace_back(id);
                req.push_back({{"clause", std::string(id)},
                               {"level", cl ? conf::to_string(cl->strength) : "?"},
                               {"text", cl ? std::string(cl->text) : ""}});
            }
            checks.push_back({{"id", std::string(c.id)},
                              {"clauses", ids},
                              {"level", conf::to_string(c.strength())},
                              {"title", std::string(c.title)},
                              {"requirement", req},
                              {"deadline_ms", c.budget_ms},
                              {"runs_last_and_stops_server", c.exclusive}});
        }
        nlohmann::json out = {{"schema", "chat-conform/catalogue"},
                              {"schema_version", 1},
                              {"spec_version", std::string(conf::spec_version)},
                              {"checks", checks},
                              {"uncovered_clauses", nlohmann::json::array()}};
        for (const auto* c : uncovered)
            out["uncovered_clauses"].push_back(std::string(c->id));
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::size_t n = 0;
    for (const auto& c : all) {
        if (!conf::selected(c, only, exclude))
            continue;
        ++n;
        std::string id(c.id);
        id.resize(std::max<std::size_t>(id.size(), 30), ' ');
        std::string clauses = c.clause_list();
        clauses.resize(std::max<std::size_t>(clauses.size(), 32), ' ');
        std::cout << id << " " << clauses << " " << conf::to_string(c.strength()) << "  " << c.title
                  << "\n";
        for (auto cid : c.clauses) {
            const auto* cl = conf::find_clause(cid);
            std::cout << "    " << cid << " (" << (cl ? conf::to_string(cl->strength) : "?")
                      << "): " << (cl ? cl->text : "") << "\n";
        }
    }
    std::cout << "\n"
              << n << " of " << all.size() << " checks listed; the catalogue covers "
              << conf::clauses().size() - uncovered.size() << " of " << conf::clauses().size()
              << " clauses of SPEC.md " << conf::spec_version << ".\n";
    std::cout << "Clauses without a check: ";
    if (uncovered.empty())
        std::cout << "none";
    for (const auto* c : uncovered)
        std::cout << c->id << " ";
    std::cout << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"chat-conform " CHAT_CONFORM_VERSION
                 ": judges a chat server against SPEC.md, clause by clause, through its sockets."};
    app.set_version_flag("--version", std::string("chat-conform ") + CHAT_CONFORM_VERSION);
    app.require_subcommand(1);
    app.footer(std::string(exit_codes_help) +
               "\n\nRun `chat-conform run --help` for the options of a run.");

    conf::run_settings s;
    std::string url;
    std::vector<std::string> formats;
    std::string report_dir = "chat-conform-report";
    bool quiet = false, verbose = false, no_report = false;
    int max_message_bytes = static_cast<int>(s.constants.max_message_bytes);
    int max_name_bytes = static_cast<int>(s.constants.max_name_bytes);

    auto* run = app.add_subcommand("run", "Run the checks against a server (base URL).");
    std::vector<std::string> more_urls;
    run->add_option(
           "url", url,
           "The server's base URL, e.g. http://127.0.0.1:8082 (https://, ws://, wss:// and "
           "a base path such as http://host/chat are accepted)")
        ->required();
    run->add_option("more-urls", more_urls,
                    "More endpoints of the same deployment (SPEC.md Deployments): each check's "
                    "client i uses endpoint i mod N, its REST requests rotate over them, and "
                    "transcripts name them (A@1, http@2)")
        ->type_name("URL ...");
    run->add_option("--only", s.only,
                    "Run only checks whose ID or clause ID matches GLOB (repeatable; '*', '?', "
                    "'[a-z]'; case-insensitive: 'hist.*', 'SLOW-*', 'ws.ping')")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    run->add_option("--exclude", s.exclude,
                    "Leave out checks whose ID or any clause ID matches GLOB (repeatable)")
        ->type_name("GLOB")
        ->allow_extra_args(false);
    run->add_flag("--strict", s.strict, "SHOULD failures (WARN) fail the run too (exit 1)");
    run->add_option("-j,--jobs", s.jobs,
                    "Checks run in parallel (1-64; every check uses its own rooms, so they never "
                    "interfere)")
        ->capture_default_str();
    run->add_option("--repeat", s.repeat,
                    "Run every check N times (1-1000); a check whose verdict changes is FLAKY")
        ->capture_default_str();
    run->add_option("--timeout-scale", s.timeout_scale,
                    "Multiply every deadline by X (>0, up to 100): >1 for slow or remote targets")
        ->capture_default_str();
    run->add_option(
           "--max-run-time", s.max_run_seconds,
           "Hard limit on the whole run in seconds; 0 derives it from the selected checks' "
           "deadlines, --jobs and --repeat")
        ->capture_default_str();
    auto* k =
        run->add_option_group("SPEC.md constants", "The server's implementation-defined constants");
    k->add_option("--history-limit", s.constants.history_limit,
                  "HISTORY_LIMIT: messages kept per room")
        ->capture_default_str();
    k->add_option("--send-queue", s.constants.send_queue,
                  "SEND_QUEUE: messages a client's queue holds before it is dropped")
        ->capture_default_str();
    k->add_option("--max-message-bytes", max_message_bytes,
                  "MAX_MESSAGE_BYTES: largest message a client may send")
        ->capture_default_str();
    k->add_option("--max-name-bytes", max_name_bytes,
                  "MAX_NAME_BYTES: longest room or user, decoded")
        ->capture_default_str();
    k->add_option("--settle-ms", s.constants.settle_ms,
                  "SETTLE_MS: how soon a membership change shows in GET /api/rooms")
        ->capture_default_str();
    k->add_option("--node-settle-ms", s.constants.node_settle_ms,
                  "NODE_SETTLE_MS: with several URLs, how soon a membership change made "
                  "through one shows in GET /api/rooms at another (instead of SETTLE_MS)")
        ->capture_default_str();
    k->add_option("--shutdown-ms", s.constants.shutdown_ms,
                  "SHUTDOWN_MS: longest graceful shutdown")
        ->capture_default_str();
    run->add_option("--clock-skew-ms", s.clock_skew_ms,
                    "Tolerated difference between this machine's clock and the server's when "
                    "judging timestamps (MSG-3)")
        ->capture_default_str();
    run->add_option(
           "--server-pid", s.server_pid,
           "PID of the server under test, on this machine. Enables shut.graceful (SHUT-1): "
           "after every other check it sends the server SIGTERM and judges the shutdown, so "
           "the server is STOPPED at the end. Without it SHUT-1 is SKIP. "
           "ci/conform-gate.sh --server-cmd passes it.")
        ->type_name("PID");
    run->add_option("--shutdown-signal", s.shutdown_signal,
                    "Signal shut.graceful sends: TERM or INT")
        ->capture_default_str();
    run->add_option("--report-dir", report_dir, "Directory for the reports (created if missing)")
        ->capture_default_str();
    run->add_option(
           "--format", formats,
           "Report formats, comma-separated or repeated: json, junit, html, md (default: all)")
        ->delimiter(',')
        ->type_name("LIST");
    run->add_flag("--no-report", no_report, "Write no report files");
    run->add_option(
           "--run-id", s.run_id,
           "Prefix of every room this run creates (letters, digits, '-', '_'; at most 24); "
           "default: random")
        ->type_name("ID");
    run->add_option("--ca-file", s.request.ca_file,
                    "PEM file of CAs trusted for https:// and wss://");
    run->add_flag("--insecure", s.request.insecure,
                  "Do not verify the server's TLS certificate (a warning is printed)");
    std::vector<std::string> headers;
    run->add_option(
           "--header", headers,
           "Extra header on every HTTP request and WebSocket upgrade, e.g. for an auth "
           "gateway (repeatable; the limit.* checks, which send malformed HTTP on purpose, "
           "send it too except on their non-HTTP request lines)")
        ->type_name("'NAME: VALUE'")
        ->allow_extra_args(false);
    run->add_option("--origin", s.request.origin,
                    "Origin header on every HTTP request and WebSocket upgrade")
        ->type_name("URL");
    run->add_flag("-q,--quiet", quiet, "Print only problems and the verdict");
    run->add_flag("-v,--verbose", verbose,
                  "Also print each repetition and the wire transcript of problems");
    run->footer(std::string(outcomes_help) + "\n\n" + exit_codes_help);

    bool list_json = false;
    std::vector<std::string> list_only, list_exclude;
    auto* list = app.add_subcommand(
        "list", "Print the catalogue: checks, their clauses, level, title and "
                "the requirement quoted from SPEC.md; and clauses without a check.");
    list->add_flag("--json", list_json, "As JSON (schema chat-conform/catalogue, version 1)");
    list->add_option("--only", list_only, "As for run")->type_name("GLOB")->allow_extra_args(false);
    list->add_option("--exclude", list_exclude, "As for run")
        ->type_name("GLOB")
        ->allow_extra_args(false);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "chat-conform: " << e.what()
                  << "\nRun `chat-conform --help` or `chat-conform run --help`.\n";
        return conf::exit_incomplete;
    }

    try {
        if (list->parsed()) {
            check_patterns("--only", list_only);
            check_patterns("--exclude", list_exclude);
            return list_catalogue(list_json, list_only, list_exclude);
        }
        // Validate the run's flags, naming flag and value
        std::string why;
        auto target = chat::parse_base_url(url, &why);
        if (!target)
            throw usage_error("URL '" + url + "' is not a server base URL: " + why +
                              (why.find("expected e.g.") == std::string::npos
                                   ? " (expected e.g. http://127.0.0.1:8082)"
                                   : ""));
        s.target = *target;
        s.target_text = url;
        s.targets = {*target};
        s.target_texts = {url};
        for (const auto& more : more_urls) {
            auto t = chat::parse_base_url(more, &why);
            if (!t)
                throw usage_error("URL '" + more + "' is not a server base URL: " + why);
            s.targets.push_back(*t);
            s.target_texts.push_back(more);
        }
        require_range("--jobs", s.jobs, 1, 64);
        require_range("--repeat", s.repeat, 1, 1000);
        if (!(s.timeout_scale > 0 && s.timeout_scale <= 100))
            throw usage_error("--timeout-scale must be > 0 and <= 100 (got " +
                              std::to_string(s.timeout_scale) + ")");
        require_range("--max-run-time", s.max_run_seconds, 0, 86400, " seconds");
        require_range("--history-limit", s.constants.history_limit, 1, 100000);
        require_range("--send-queue", s.constants.send_queue, 1, 1000000);
        require_range("--max-message-bytes", max_message_bytes, 64, 64 * 1024 * 1024);
        require_range("--max-name-bytes", max_name_bytes, 1, 65536);
        require_range("--settle-ms", s.constants.settle_ms, 0, 600000);
        require_range("--shutdown-ms", s.constants.shutdown_ms, 0, 600000);
        require_range("--node-settle-ms", s.constants.node_settle_ms, 0, 600000);
        require_range("--clock-skew-ms", s.clock_skew_ms, 0, 86400000);
        require_range("--server-pid", s.server_pid, 0, 1 << 30);
        s.constants.max_message_bytes = static_cast<std::size_t>(max_message_bytes);
        s.constants.max_name_bytes = static_cast<std::size_t>(max_name_bytes);
        if (s.shutdown_signal != "TERM" && s.shutdown_signal != "INT")
            throw usage_error("--shutdown-signal must be TERM or INT (got '" + s.shutdown_signal +
                              "')");
        if (s.run_id.empty())
            s.run_id = random_run_id();
        if (s.run_id.size() > 24 ||
            s.run_id.find_first_not_of(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                std::string::npos)
            throw usage_error("--run-id must be 1 to 24 letters, digits, '-' or '_' (got '" +
                              s.run_id + "')");
        check_patterns("--only", s.only);
        check_patterns("--exclude", s.exclude);
        if (quiet && verbose)
            throw usage_error("--quiet and --verbose cannot be combined");
        std::vector<chat::reports::format> chosen;
        if (!no_report) {
            if (formats.empty())
                formats = {"json", "junit", "html", "md"};
            std::set<int> seen;
            for (const auto& f : formats) {
                chat::reports::format parsed;
                try {
                    parsed = chat::reports::parse_format(f);
                } catch (const std::exception&) {
                    throw usage_error("--format '" + f + "' is not one of json, junit, html, md");
                }
                if (seen.insert(static_cast<int>(parsed)).second)
                    chosen.push_back(parsed);
            }
        }
        for (const auto& h : headers) {
            auto parsed = chat::parse_header_line(h, &why);
            if (!parsed)
                throw usage_error("--header '" + h + "': " + why);
            s.request.headers.push_back(std::move(*parsed));
        }
        if (!s.request.origin.empty() &&
            s.request.origin.find_first_of(" \t\r\n,") != std::string::npos)
            throw usage_error("--origin must be one origin such as https://chat.example (got '" +
                              s.request.origin + "')");
        if (s.request.insecure)
            std::cerr << "chat-conform: warning: --insecure: the server's TLS certificate is not "
                         "verified\n";

        // Run
        conf::console out(quiet     ? conf::console::verbosity::quiet
                          : verbose ? conf::console::verbosity::verbose
                                    : conf::console::verbosity::normal,
                          conf::stdout_wants_color());
        auto outcome = conf::run_checks(s, out.observer());
        std::vector<std::filesystem::path> written;
        int code = outcome.exit_code;
        if (!chosen.empty()) {
            try {
                auto doc = conf::report_document(outcome, s, CHAT_CONFORM_VERSION);
                written = chat::reports::write_all(doc, report_dir, "chat-conform", chosen);
            } catch (const std::exception& e) {
                std::cerr << "chat-conform: cannot write the reports to '" << report_dir
                          << "': " << e.what() << "\n";
                code = conf::exit_incomplete;
            }
        }
        out.summary(outcome, s, written);
        return code;
    } catch (const usage_error& e) {
        std::cerr << "chat-conform: " << e.what() << "\n";
        return conf::exit_incomplete;
    } catch (const std::exception& e) {
        std::cerr << "chat-conform: internal error: " << e.what() << "\n";
        return conf::exit_incomplete;
    }
}
