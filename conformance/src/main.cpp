// chat-conform: judges a chat server, written in any language, against SPEC.md through its
// sockets, clause by clause, with verdicts and exit codes a CI job can gate on.
#include "catalogue.hpp"
#include "console.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "selection.hpp"

#include "chat/cli.hpp"
#include "chat/reports/render.hpp"
#include "chat/url.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream> // cout, cerr
#include <random>   // random_device

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

using chat::cli::usage_error;
using namespace std::chrono_literals;

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
    std::vector<std::string> urls;
    chat::cli::report_options report;
    bool quiet = false, verbose = false;
    int max_message_bytes = static_cast<int>(s.constants.max_message_bytes);
    int max_name_bytes = static_cast<int>(s.constants.max_name_bytes);
    std::chrono::milliseconds max_run_time = 0ms, settle{s.constants.settle_ms},
                              shutdown{s.constants.shutdown_ms}, clock_skew{s.clock_skew_ms},
                              node_settle{s.constants.node_settle_ms};

    auto* run = app.add_subcommand("run", "Run the checks against a server (base URL).");
    run->add_option(
           "url", urls,
           "The server's base URL, e.g. http://127.0.0.1:8082 (https://, ws://, wss:// and "
           "a base path such as http://host/chat are accepted). Several URLs are one deployment "
           "(SPEC.md Deployments): each check's client i uses endpoint i mod N, its REST "
           "requests rotate over them, and transcripts name them (A@1, http@2)")
        ->required()
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
                    "Checks run in parallel (every check uses its own rooms, so they never "
                    "interfere)")
        ->capture_default_str()
        ->check(chat::cli::between(1, 64));
    run->add_option("--repeat", s.repeat,
                    "Run every check N times; a check whose verdict changes is FLAKY")
        ->capture_default_str()
        ->check(chat::cli::between(1, 1000));
    run->add_option("--timeout-scale", s.timeout_scale,
                    "Multiply every deadline by X (>1 for slow or remote targets)")
        ->capture_default_str()
        ->check(chat::cli::between(0.01, 100));
    chat::cli::add_duration(*run, "--max-run-time", max_run_time,
                            "Hard limit on the whole run; 0 derives it from the selected checks' "
                            "deadlines, --jobs and --repeat",
                            0ms, 24h);
    auto* k =
        run->add_option_group("SPEC.md constants", "The server's implementation-defined constants");
    k->add_option("--history-limit", s.constants.history_limit,
                  "HISTORY_LIMIT: messages kept per room")
        ->capture_default_str()
        ->check(chat::cli::between(1, 100000));
    k->add_option("--send-queue", s.constants.send_queue,
                  "SEND_QUEUE: messages a client's queue holds before it is dropped")
        ->capture_default_str()
        ->check(chat::cli::between(1, 1000000));
    k->add_option("--max-message-bytes", max_message_bytes,
                  "MAX_MESSAGE_BYTES: largest message a client may send")
        ->capture_default_str()
        ->check(chat::cli::between(64, 64 * 1024 * 1024));
    k->add_option("--max-name-bytes", max_name_bytes,
                  "MAX_NAME_BYTES: longest room or user, decoded")
        ->capture_default_str()
        ->check(chat::cli::between(1, 65536));
    chat::cli::add_duration(*k, "--settle", settle,
                            "SETTLE_MS: how soon a membership change shows in GET /api/rooms", 0ms,
                            10min);
    chat::cli::add_duration(*k, "--node-settle", node_settle,
                            "NODE_SETTLE_MS: with several URLs, how soon a membership change "
                            "made through one shows in GET /api/rooms at another (instead of "
                            "SETTLE_MS)",
                            0ms, 10min);
    chat::cli::add_duration(*k, "--shutdown-time", shutdown,
                            "SHUTDOWN_MS: longest graceful shutdown", 0ms, 10min);
    // The names of release 0.1, in milliseconds, kept for scripts (hidden from --help).
    k->add_option("--settle-ms", s.constants.settle_ms)
        ->group("")
        ->check(chat::cli::between(0, 600000));
    k->add_option("--node-settle-ms", s.constants.node_settle_ms)
        ->group("")
        ->check(chat::cli::between(0, 600000));
    k->add_option("--shutdown-ms", s.constants.shutdown_ms)
        ->group("")
        ->check(chat::cli::between(0, 600000));
    chat::cli::add_duration(*run, "--clock-skew", clock_skew,
                            "Tolerated difference between this machine's clock and the "
                            "server's when judging timestamps (MSG-3)",
                            0ms, 24h);
    run->add_option("--clock-skew-ms", s.clock_skew_ms)
        ->group("")
        ->check(chat::cli::between(0, 86400000));
    run->add_option(
           "--server-pid", s.server_pid,
           "PID of the server under test, on this machine. Enables shut.graceful (SHUT-1): "
           "after every other check it sends the server SIGTERM and judges the shutdown, so "
           "the server is STOPPED at the end. Without it SHUT-1 is SKIP. "
           "ci/conform-gate.sh --server-cmd passes it.")
        ->type_name("PID")
        ->check(chat::cli::between(1, 1 << 30));
    run->add_option("--shutdown-signal", s.shutdown_signal,
                    "Signal shut.graceful sends: TERM or INT")
        ->capture_default_str()
        ->check(chat::cli::one_of({"TERM", "INT"}));
    chat::cli::add_report_options(*run, report, "chat-conform");
    run->add_option(
           "--run-id", s.run_id,
           "Prefix of every room this run creates (letters, digits, '-', '_'; at most 24); "
           "default: random")
        ->type_name("ID");
    run->add_option("--ca-file", s.request.ca_file,
                    "PEM file of CAs trusted for https:// and wss://")
        ->check(CLI::ExistingFile);
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
    auto* quiet_flag = chat::cli::add_quiet_flag(*run, quiet);
    run->add_flag("-v,--verbose", verbose,
                  "Also print each repetition and the wire transcript of problems")
        ->excludes(quiet_flag);
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

    return chat::cli::run_main(app, argc, argv, "chat-conform", [&]() -> int {
        if (list->parsed()) {
            check_patterns("--only", list_only);
            check_patterns("--exclude", list_exclude);
            return list_catalogue(list_json, list_only, list_exclude);
        }
        // Validate what CLI11 cannot, naming flag and value
        std::string why;
        for (const auto& url : urls) {
            auto target = chat::parse_base_url(url, &why);
            if (!target)
                throw usage_error("URL '" + url + "' is not a server base URL: " + why +
                                  (why.find("expected e.g.") == std::string::npos
                                       ? " (expected e.g. http://127.0.0.1:8082)"
                                       : ""));
            s.targets.push_back(*target);
            s.target_texts.push_back(url);
        }
        s.target = s.targets.front();
        s.target_text = s.target_texts.front();
        s.max_run_seconds = static_cast<int>((max_run_time + 999ms) / 1s);
        if (run->count("--settle"))
            s.constants.settle_ms = static_cast<int>(settle.count());
        if (run->count("--node-settle"))
            s.constants.node_settle_ms = static_cast<int>(node_settle.count());
        if (run->count("--shutdown-time"))
            s.constants.shutdown_ms = static_cast<int>(shutdown.count());
        if (run->count("--clock-skew"))
            s.clock_skew_ms = static_cast<int>(clock_skew.count());
        s.constants.max_message_bytes = static_cast<std::size_t>(max_message_bytes);
        s.constants.max_name_bytes = static_cast<std::size_t>(max_name_bytes);
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

        // Run, then write the reports
        conf::console out(quiet     ? conf::console::verbosity::quiet
                          : verbose ? conf::console::verbosity::verbose
                                    : conf::console::verbosity::normal,
                          conf::stdout_wants_color());
        auto outcome = conf::run_checks(s, out.observer());
        std::vector<std::filesystem::path> written;
        int code = outcome.exit_code;
        if (const auto formats = report.chosen(); !formats.empty()) {
            try {
                auto doc = conf::report_document(outcome, s, CHAT_CONFORM_VERSION);
                written = chat::reports::write_all(doc, report.dir, report.name, formats);
            } catch (const std::exception& e) {
                std::cerr << "chat-conform: cannot write the reports to '" << report.dir.string()
                          << "': " << e.what() << "\n";
                code = conf::exit_incomplete;
            }
        }
        out.summary(outcome, s, written);
        return code;
    });
}
