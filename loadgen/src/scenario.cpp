// Scenario flags (CLI11), their validation and the parsing of durations and start times.
#include "scenario.hpp"

#include "chat/cli.hpp"
#include "chat/url.hpp"

#include <cctype>  // isalnum
#include <cmath>   // isfinite
#include <cstdio>  // sscanf
#include <cstdlib> // atoi
#include <ctime>   // tm, timegm
#include <sstream> // ostringstream

namespace chat::load {
namespace {

using namespace std::chrono_literals;

template <class T> std::string show(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

std::invalid_argument bad(const std::string& flag, const std::string& rule,
                          const std::string& got) {
    return std::invalid_argument(flag + " must be " + rule + " (got " + got + ")");
}

template <class T> void require(bool ok, const char* flag, const char* rule, const T& got) {
    if (!ok)
        throw bad(flag, rule, show(got));
}

// --stage: the stages, the measured time they make, and the plan's size (the peak of a client
// ramp). --clients 0 only makes sense as the start of one.
void validate_stages(scenario& s) {
    s.stages.clear();
    for (const auto& text : s.stage_texts)
        s.stages.push_back(parse_stage(text));
    if (!s.stages.empty())
        s.duration_ms = total_duration(s.stages).count() / 1000;
    const bool ramp = ramps_clients(s.stages);
    require(s.clients > 0 || ramp, "--clients",
            "> 0 (0 only as the start of a --stage ...,clients=N ramp)", s.clients);
    s.plan_clients = ramp ? peak(s.stages, s.rate, s.clients).clients : s.clients;
    require(s.plan_clients > 0, "--stage", "clients=N > 0 in some stage when --clients is 0",
            "no client at any point");
    require(s.rooms <= s.plan_clients, "--rooms",
            ramp ? "<= the peak of the --stage client ramp (every room has a client)"
                 : "<= --clients (every room has a client)",
            s.rooms);
}

} // namespace

std::int64_t parse_duration_us(const std::string& flag, const std::string& text) {
    try {
        return chat::cli::parse_duration(text).count();
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(flag + ": " + e.what());
    }
}

std::int64_t parse_start_at(const std::string& text) {
    auto fail = [&] {
        return std::invalid_argument(
            "--start-at: '" + text +
            "' is neither Unix milliseconds nor ISO 8601 UTC (e.g. 2024-05-01T12:00:00Z)");
    };
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
        try {
            return std::stoll(text);
        } catch (const std::exception&) {
            throw fail();
        }
    }
    std::tm tm{};
    int ms = 0;
    char tail[8] = {};
    // YYYY-MM-DDTHH:MM:SS[.mmm]Z
    const int fields =
        std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail);
    if (fields != 7)
        throw fail();
    std::string rest = tail;
    if (rest.size() == 5 && rest[0] == '.' && rest[4] == 'Z') {
        ms = std::atoi(rest.substr(1, 3).c_str());
    } else if (rest != "Z") {
        throw fail();
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
#ifdef _WIN32
    const auto secs = _mkgmtime(&tm); // Windows' timegm
#else
    const auto secs = timegm(&tm);
#endif
    if (secs < 0)
        throw fail();
    return static_cast<std::int64_t>(secs) * 1000 + ms;
}

void apply_config_file(CLI::App& app, const std::string& path) {
    std::vector<CLI::ConfigItem> items;
    try {
        items = CLI::ConfigTOML().from_file(path);
    } catch (const CLI::Error& e) {
        throw std::invalid_argument("--config " + path + ": " + e.what());
    }
    const CLI::ConfigTOML format;
    for (const auto& item : items) {
        if (item.name == "++" || item.name == "--")
            continue; // section markers
        auto* op = app.get_option_no_throw("--" + item.name);
        if (!op && item.name.size() == 1)
            op = app.get_option_no_throw("-" + item.name);
        if (!op || item.name == "config" || !item.parents.empty())
            throw std::invalid_argument("--config " + path + ": unknown option '" +
                                        item.fullname() + "' (see chat-load run --help)");
        if (op->count() > 0)
            continue; // given on the command line
        try {
            if (op->get_expected_min() == 0)
                op->add_result(format.to_flag(item));
            else
                op->add_result(item.inputs);
            op->run_callback();
        } catch (const CLI::Error& e) {
            throw std::invalid_argument("--config " + path + ": " + item.name + ": " + e.what());
        }
    }
}

void add_options(CLI::App& app, scenario& s) {
    app.add_option("--config", s.config,
                   "Read options from an INI/TOML file (see loadgen/scenarios/); the command "
                   "line wins over the file");
    app.add_option("url", s.urls,
                   "Server base URL, e.g. http://127.0.0.1:8082; several URLs are one deployment "
                   "(client i connects to URL i mod N)")
        ->required();
    app.add_option("-c,--clients", s.clients,
                   "WebSocket clients in the whole scenario; with --stage ...,clients=N, where "
                   "the client ramp starts (0 allowed then)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("-r,--rooms", s.rooms, "Rooms the clients are spread over")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("--distribution", s.distribution,
                   "How clients spread over rooms: even, or zipf/skewed (room k gets a share "
                   "proportional to 1/(k+1)^s)")
        ->capture_default_str();
    app.add_option("--zipf-exponent", s.zipf_exponent, "Exponent s of the zipf distribution")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("-s,--senders-per-room", s.senders_per_room,
                   "Clients of each room that send (capped at the room's size)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("--rate", s.rate, "Messages per second per sender")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("--arrival", s.arrival,
                   "Send schedule: constant (evenly spaced) or poisson (exponential gaps)")
        ->capture_default_str()
        ->check(chat::cli::one_of({"constant", "poisson"}));
    app.add_option("-d,--duration", s.duration, "Measured sending time (e.g. 30s, 2m)")
        ->capture_default_str()
        ->check(chat::cli::duration_between(1ms, 24h));
    app.add_option("--message-size", s.message_size,
                   "Bytes of each message's content (at least 64: it carries the measurement; at "
                   "most 60000, under the server's default limit of 65536 per frame)")
        ->capture_default_str()
        ->check(chat::cli::between(64, 60000));
    app.add_option("--room-prefix", s.room_prefix,
                   "Room names are PREFIX-0000 ...; default load-<run tag>, fresh rooms per run");
    app.add_option("--ramp-up", s.ramp_up,
                   "Connection ramp: 0 (as fast as --connect-concurrency allows), a rate such "
                   "as 500/s, or a time such as 10s to spread the connections over")
        ->capture_default_str();
    app.add_option("--connect-concurrency", s.connect_concurrency,
                   "Connection attempts in flight at once")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("--connect-timeout", s.connect_timeout, "Deadline of one TCP+upgrade")
        ->capture_default_str()
        ->check(chat::cli::duration_between(100ms, 1h));
    app.add_option("--warm-up", s.warm_up, "Sending before measuring starts (not counted anywhere)")
        ->capture_default_str()
        ->check(chat::cli::duration_between(0ms, 24h));
    app.add_option("--lifetime", s.lifetime,
                   "A message counts for a client only if the client was a member from before "
                   "it was sent until this long after; also the longest drain at the end")
        ->capture_default_str()
        ->check(chat::cli::duration_between(100ms, 1h));
    app.add_option("--slow-readers", s.slow_readers,
                   "Fraction [0, 1) of non-sending clients that stop reading once joined")
        ->capture_default_str()
        ->check(chat::cli::between(0, 1, true));
    app.add_option("--churn", s.churn,
                   "Clients per second that leave their room and rejoin it (whole scenario)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("--churn-pool", s.churn_pool,
                   "Clients outside the measured rooms that cycle connect, join a random churn "
                   "room, maybe send, leave, again (whole scenario)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("--churn-rooms", s.churn_rooms, "Rooms the churn pool picks from at random")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("--churn-cycles", s.churn_cycles,
                   "Cycles of the churn pool in total; once done, sending ends early (0: until "
                   "--duration ends)")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("--churn-send", s.churn_send,
                   "Fraction [0, 1] of churn cycles that send one message before leaving")
        ->capture_default_str()
        ->check(chat::cli::between(0, 1));
    app.add_option("--rest-pollers", s.rest_pollers,
                   "REST pollers, alternating GET /api/rooms and a room's history")
        ->capture_default_str()
        ->check(chat::cli::at_least(0));
    app.add_option("--rest-rate", s.rest_rate, "Requests per second per REST poller")
        ->capture_default_str()
        ->check(chat::cli::greater_than(0));
    app.add_option("--source-address", s.source_addresses,
                   "Local address to connect from (repeatable, e.g. 127.0.0.2); clients use "
                   "them round-robin, so each gets its own ephemeral port range");
    app.add_option("--header", s.headers,
                   "Extra header on every WebSocket upgrade and REST request, e.g. for an auth "
                   "gateway (repeatable; only the names go into the results)")
        ->type_name("'NAME: VALUE'")
        ->allow_extra_args(false);
    app.add_option("--origin", s.origin, "Origin header on every upgrade and REST request")
        ->type_name("URL");
    app.add_option("--ca-file", s.ca_file,
                   "PEM file of CAs trusted for https:// and wss:// (default: the system's)")
        ->type_name("PEM");
    app.add_flag("--insecure", s.insecure,
                 "Do not verify the server's TLS certificate (a warning is printed)");
    app.add_option("--worker", s.worker,
                   "This process's share I/N of the scenario (rooms k with k % N == I)")
        ->capture_default_str();
    app.add_option("--start-at", s.start_at,
                   "Begin at this time (Unix ms or 2024-05-01T12:00:00Z) so workers align");
    app.add_option("-t,--threads", s.threads, "Event-loop threads of the generator")
        ->capture_default_str()
        ->check(chat::cli::between(1, 64));
    app.add_option("--stage", s.stage_texts,
                   "A stage of the measured window, repeatable, in order: "
                   "DURATION[,rate=R][,clients=N], e.g. --clients 0 --stage 30s,rate=50,"
                   "clients=2000 --stage 1m,rate=200 --stage 30s,clients=500: the send rate per "
                   "sender and the number of connected clients move linearly from where the "
                   "previous stage ended (--rate and --clients before the first; warm-up runs "
                   "at them) to R and N; a target left out holds. Receivers join as the client "
                   "target rises past them and leave (a planned leave) as it falls; senders and "
                   "slow readers stay connected throughout, so fewer clients than they are "
                   "cannot be asked for. The plan holds the most clients any stage asks for. "
                   "The stages' total replaces --duration");
    app.add_flag("--abort-on-fail", s.abort_on_fail,
                 "End the run as soon as a threshold fails on the measured seconds so far (k6's "
                 "abortOnFail; one rule alone: 'p99<50ms:abort' or 'p99<50ms:abort=10s'). A "
                 "target that has dropped every client ends the run at once in any case");
    app.add_option("--abort-delay", s.abort_delay,
                   "With --abort-on-fail: judge only from this far into the measured window")
        ->capture_default_str()
        ->check(chat::cli::duration_between(0us, 24h));
    app.add_option("--server-pid", s.server_pid,
                   "A local server's process id: sample its CPU time and resident memory once a "
                   "second (Linux /proc, Windows process APIs; elsewhere reported as not "
                   "supported) and report CPU-us "
                   "per delivery and memory per connection")
        ->check(chat::cli::greater_than(0));
    app.add_option("--threshold", s.thresholds,
                   "Pass/fail rule, repeatable: 'p99<20ms', 'delivery>=0.9999', 'errors==0' (" +
                       threshold_metrics_help() + ")");
    chat::cli::add_report_options(app, s.report, "chat-load");
    chat::cli::add_quiet_flag(app, s.quiet);
    app.add_option("--seed", s.seed,
                   "Seed of every random choice (Poisson gaps, slow readers, "
                   "churn picks)")
        ->capture_default_str();
    app.add_option("--max-loop-lag", s.max_loop_lag,
                   "Run is INVALID when the generator's event-loop lag p99 exceeds this")
        ->capture_default_str()
        ->check(chat::cli::duration_between(1us, 1h));
    app.add_option("--max-schedule-lag", s.max_schedule_lag,
                   "Run is INVALID when senders' lateness p99 exceeds this")
        ->capture_default_str()
        ->check(chat::cli::duration_between(1us, 1h));
    app.add_option("--max-cpu", s.max_cpu,
                   "Run is INVALID when the generator keeps this share of its threads busy")
        ->capture_default_str()
        ->check(chat::cli::between(0.01, 1));
}

void validate(scenario& s) {
    if (s.urls.empty() && !s.url.empty())
        s.urls = {s.url};
    require(!s.urls.empty(), "url", "given", "none");
    s.url = s.urls.front();
    require(s.rate <= 100000, "--rate", "<= 100000 per sender", s.rate);

    if (s.distribution == "skewed")
        s.distribution = "zipf";
    if (s.distribution != "even" && s.distribution != "zipf")
        throw bad("--distribution", "even, zipf or skewed", "'" + s.distribution + "'");
    s.zipf = s.distribution == "zipf";
    s.poisson = s.arrival == "poisson";
    for (char c : s.room_prefix)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            throw bad("--room-prefix", "letters, digits, '-', '_' or '.'",
                      "'" + s.room_prefix + "'");

    s.duration_ms = parse_duration_us("--duration", s.duration) / 1000;
    validate_stages(s);
    s.warm_up_ms = parse_duration_us("--warm-up", s.warm_up) / 1000;
    s.lifetime_ms = parse_duration_us("--lifetime", s.lifetime) / 1000;
    s.connect_timeout_ms = parse_duration_us("--connect-timeout", s.connect_timeout) / 1000;

    if (s.ramp_up == "0" || s.ramp_up.empty()) {
        s.ramp_per_second = 0;
    } else if (s.ramp_up.size() > 2 && s.ramp_up.ends_with("/s")) {
        double r = 0;
        try {
            std::size_t used = 0;
            r = std::stod(s.ramp_up, &used);
            if (used != s.ramp_up.size() - 2)
                throw std::invalid_argument("");
        } catch (const std::exception&) {
            throw bad("--ramp-up", "0, a rate such as 500/s or a time such as 10s",
                      "'" + s.ramp_up + "'");
        }
        require(std::isfinite(r) && r > 0, "--ramp-up", "a rate > 0", s.ramp_up);
        s.ramp_per_second = r;
    } else {
        const auto us = parse_duration_us("--ramp-up", s.ramp_up);
        s.ramp_per_second =
            us > 0 ? static_cast<double>(s.plan_clients) * 1e6 / static_cast<double>(us) : 0;
    }

    for (const auto& a : s.source_addresses) {
        if (a.empty() || a.find_first_not_of("0123456789.:abcdefABCDEF") != std::string::npos)
            throw bad("--source-address", "an IP address such as 127.0.0.2", "'" + a + "'");
    }

    s.parsed_headers.clear();
    for (const auto& h : s.headers) {
        std::string why;
        auto parsed = chat::parse_header_line(h, &why);
        if (!parsed)
            throw std::invalid_argument("--header '" + h + "': " + why);
        s.parsed_headers.push_back(std::move(*parsed));
    }
    if (!s.origin.empty() && s.origin.find_first_of(" \t\r\n,") != std::string::npos)
        throw bad("--origin", "one origin such as https://chat.example", "'" + s.origin + "'");

    // --worker I/N
    {
        const auto slash = s.worker.find('/');
        bool ok = slash != std::string::npos && slash > 0 && slash + 1 < s.worker.size() &&
                  s.worker.find_first_not_of("0123456789/") == std::string::npos &&
                  s.worker.find('/', slash + 1) == std::string::npos;
        if (ok) {
            s.worker_index = std::stol(s.worker.substr(0, slash));
            s.worker_count = std::stol(s.worker.substr(slash + 1));
            ok = s.worker_count > 0 && s.worker_index < s.worker_count;
        }
        if (!ok)
            throw bad("--worker", "I/N with 0 <= I < N, e.g. 0/4", "'" + s.worker + "'");
        require(s.worker_count <= s.rooms, "--worker",
                "N <= --rooms (workers split the scenario by rooms)", s.worker);
    }
    s.start_at_unix_ms = s.start_at.empty() ? 0 : parse_start_at(s.start_at);

    s.parsed_thresholds.clear();
    for (const auto& t : s.thresholds)
        s.parsed_thresholds.push_back(parse_threshold(t));
    if (s.abort_on_fail) {
        const auto delay = parse_duration_us("--abort-delay", s.abort_delay);
        for (auto& t : s.parsed_thresholds)
            if (!t.abort) {
                t.abort = true;
                t.abort_delay_us = delay;
            }
    }
    s.max_loop_lag_us = parse_duration_us("--max-loop-lag", s.max_loop_lag);
    s.max_schedule_lag_us = parse_duration_us("--max-schedule-lag", s.max_schedule_lag);
}

// Header values may be credentials: results name the headers only.
std::vector<std::string> scenario::header_names() const {
    std::vector<std::string> names;
    for (const auto& [name, value] : parsed_headers)
        names.push_back(name);
    return names;
}

} // namespace chat::load
