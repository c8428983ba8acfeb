// chat-load against a real chat-server on loopback: delivery and the JSON, the 20 ms delay
// mutant, slow readers, and the merge of two workers. Each test takes a few seconds; every
// wait is bounded; the server binds port 0.
#include "histogram.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>     // steady_clock
#include <filesystem> // path, temp_directory_path
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <set>        // set
#include <string>     // string
#include <thread>     // sleep_for
#include <vector>     // vector

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A child process with its stdout on a pipe; killed (bounded) when the object goes.
class child {
public:
    explicit child(const std::vector<std::string>& args, bool capture_stdout = true) {
        int fds[2] = {-1, -1};
        if (capture_stdout && ::pipe(fds) != 0)
            FAIL("pipe failed");
        pid_ = ::fork();
        if (pid_ == 0) {
            if (capture_stdout) {
                ::dup2(fds[1], 1);
                ::close(fds[0]);
                ::close(fds[1]);
            }
            std::vector<char*> argv;
            for (const auto& a : args)
                argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        if (capture_stdout) {
            ::close(fds[1]);
            out_ = fds[0];
        }
    }
    ~child() {
        if (pid_ > 0 && !done_) {
            ::kill(pid_, SIGTERM);
            if (wait_for(std::chrono::seconds(6)) < -1)
                ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0)
            ::close(out_);
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    // A line of stdout, or "" after `timeout`.
    std::string read_line(std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        std::string line;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{out_, POLLIN, 0};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0)
                continue;
            char c;
            if (::read(out_, &c, 1) != 1)
                break;
            if (c == '\n')
                return line;
            line += c;
        }
        return {};
    }
    // Exit status, -1 if it had to be killed, -2 on timeout (still running).
    int wait_for(std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                done_ = true;
                return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -2;
    }
    pid_t pid() const noexcept { return pid_; }
    void drain_stdout() {
        char buf[4096];
        pollfd p{out_, POLLIN, 0};
        while (out_ >= 0 && ::poll(&p, 1, 0) > 0 && ::read(out_, buf, sizeof buf) > 0) {
        }
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    bool done_ = false;
};

struct server {
    std::unique_ptr<child> proc;
    std::string url;
    explicit server(std::vector<std::string> args, const std::string& address = "127.0.0.1") {
        args.insert(args.end(), {"--address", address, "--port", "0", "--log-level", "error"});
        proc = std::make_unique<child>(args);
        const auto line = proc->read_line(std::chrono::seconds(10));
        const auto at = line.find("http://");
        REQUIRE(at != std::string::npos);
        url = line.substr(at, line.find(' ', at) - at);
    }
};

std::string worker_file(int w, const char* suffix) {
    std::string name = "w";
    name += std::to_string(w);
    name += suffix;
    return name;
}

fs::path fresh_dir(const std::string& name) {
    auto d =
        fs::temp_directory_path() / ("chat-load-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

struct load_run {
    int exit_code = -2;
    json result;
};

load_run run_load(const std::vector<std::string>& urls, const fs::path& dir,
                  const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {CHAT_LOAD_BIN, "run"};
    args.insert(args.end(), urls.begin(), urls.end());
    args.insert(args.end(), {"--quiet", "--report-dir", dir.string(), "--report-name", name,
                             "--format", "json,md,html"});
    args.insert(args.end(), extra.begin(), extra.end());
    child c(args, false);
    load_run r;
    r.exit_code = c.wait_for(std::chrono::seconds(60));
    std::ifstream in(dir / (name + ".json"));
    if (in)
        r.result = json::parse(in);
    return r;
}

load_run run_load(const std::string& url, const fs::path& dir, const std::string& name,
                  std::vector<std::string> extra) {
    return run_load(std::vector<std::string>{url}, dir, name, std::move(extra));
}

// The box running ctest is busy: the self-watch limits are relaxed so a slow scheduler does not
// turn a correct run INVALID (tests/result.cpp checks the INVALID verdict itself).
#define RELAXED "--max-cpu", "1", "--max-loop-lag", "5s", "--max-schedule-lag", "5s"

const std::vector<std::string> small = {
    "--clients", "40",     "--rooms", "4",          "--senders-per-room",
    "2",         "--rate", "20",      "--duration", "2s",
    "--warm-up", "500ms",  RELAXED};

} // namespace

TEST_CASE("End to end: a small scenario delivers every message and the JSON says so", "[e2e]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("small");
    auto args = small;
    args.insert(args.end(), {"--threshold", "delivery>=1", "--threshold", "errors==0"});
    const auto r = run_load(srv.url, dir, "small", args);
    INFO(r.result.dump(1).substr(0, 3000));
    CHECK(r.exit_code == 0);
    REQUIRE(r.result.is_object());
    const auto& t = r.result["totals"];
    CHECK(r.result["schema"] == "chat-load.result");
    CHECK(r.result["schema_version"] == 1);
    CHECK(r.result["verdict"] == "PASS");
    CHECK(t["sent"].get<long>() >= 2 * 4 * 20 * 2 - 8);             // 8 senders x 20/s x 2 s
    CHECK(t["expected"].get<long>() == t["sent"].get<long>() * 10); // 10 clients per room
    CHECK(t["delivered"] == t["expected"]);
    CHECK(t["lost"] == 0);
    CHECK(t["duplicates"] == 0);
    CHECK(t["out_of_order"] == 0);
    CHECK(t["errors"] == 0);
    CHECK(t["connects"] == 40);
    CHECK(r.result["summary"]["latency_us"]["count"] == t["delivered"]);
    CHECK(r.result["summary"]["connect_us"]["count"] == 40);
    const auto h = chat::load::histogram::from_json(r.result["histograms"]["latency_us"]);
    CHECK(h.count() == t["delivered"].get<std::uint64_t>());
    CHECK(r.result["timeline"]["points"].size() >= 3);
    CHECK(r.result["memory"]["idle_clients"] == 40);
    CHECK(r.result["thresholds"].size() == 2);
    CHECK(fs::exists(dir / "small.md"));
    CHECK(fs::exists(dir / "small.html"));
}

#ifdef CHAT_SERVER_MUTANT_BIN
TEST_CASE("Measurement: a server that holds every broadcast 20 ms reports p50 >= 20 ms",
          "[e2e][measure]") {
    json normal, delayed;
    {
        server srv({CHAT_SERVER_BIN});
        const auto dir = fresh_dir("normal");
        normal = run_load(srv.url, dir, "normal", small).result;
    }
    {
        server srv({CHAT_SERVER_MUTANT_BIN, "--mutant", "broadcast-delay-20ms"});
        const auto dir = fresh_dir("delayed");
        delayed = run_load(srv.url, dir, "delayed", small).result;
    }
    REQUIRE(normal.is_object());
    REQUIRE(delayed.is_object());
    const auto p50_normal = normal["summary"]["latency_us"]["p50"].get<long>();
    const auto p50_delayed = delayed["summary"]["latency_us"]["p50"].get<long>();
    INFO("p50 normal " << p50_normal << " us, delayed " << p50_delayed << " us");
    CHECK(delayed["totals"]["delivered"] == delayed["totals"]["expected"]);
    CHECK(p50_delayed >= 20000);
    CHECK(delayed["summary"]["latency_actual_us"]["p50"].get<long>() >= 20000);
    CHECK(p50_normal < p50_delayed);
}
#endif

TEST_CASE("Slow readers: the server drops them and only them, the others get everything",
          "[e2e][slow]") {
    server srv({CHAT_SERVER_BIN, "--send-queue", "32"});
    const auto dir = fresh_dir("slow");
    const auto r = run_load(srv.url, dir, "slow",
                            {"--clients", "40", "--rooms", "2", "--senders-per-room", "2", "--rate",
                             "100", "--message-size", "8000", "--duration", "5s", "--warm-up",
                             "500ms", "--slow-readers", "0.1", RELAXED});
    INFO(r.result.dump(1).substr(0, 3000));
    REQUIRE(r.result.is_object());
    const auto& t = r.result["totals"];
    CHECK(r.result["plan"]["slow_clients"] == 4);
    CHECK(t["dropped_slow"] == 4);
    CHECK(t["dropped"] == 0);
    CHECK(t["delivered"] == t["expected"]);
    CHECK(t["expected"].get<long>() > 0);
}

TEST_CASE("Merge: two workers merged give the totals of one run of the same scenario",
          "[e2e][merge]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("merge");
    const std::vector<std::string> scen = {
        "--clients", "60",     "--rooms",     "6",           "--senders-per-room",
        "2",         "--rate", "10",          "--duration",  "2s",
        "--warm-up", "500ms",  "--threshold", "delivery>=1", RELAXED};
    const auto single = run_load(srv.url, dir, "single", scen);
    const auto start = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       1500;
    json parts[2];
    {
        std::vector<std::unique_ptr<child>> workers;
        for (int w = 0; w < 2; ++w) {
            std::vector<std::string> args = {CHAT_LOAD_BIN,   "run",
                                             srv.url,         "--quiet",
                                             "--report-dir",  dir.string(),
                                             "--report-name", worker_file(w, ""),
                                             "--format",      "json",
                                             "--worker",      std::to_string(w) + "/2",
                                             "--start-at",    std::to_string(start)};
            args.insert(args.end(), scen.begin(), scen.end());
            workers.push_back(std::make_unique<child>(args, false));
        }
        for (auto& w : workers)
            CHECK(w->wait_for(std::chrono::seconds(60)) == 0);
    }
    child merge({CHAT_LOAD_BIN, "merge", (dir / "w0.json").string(), (dir / "w1.json").string(),
                 "--report-dir", dir.string(), "--report-name", "merged", "--format",
                 "json,md,html"});
    merge.drain_stdout();
    CHECK(merge.wait_for(std::chrono::seconds(30)) == 0);
    std::ifstream in(dir / "merged.json");
    REQUIRE(in);
    const auto merged = json::parse(in);
    REQUIRE(single.result.is_object());
    for (int w = 0; w < 2; ++w) {
        std::ifstream pin(dir / worker_file(w, ".json"));
        REQUIRE(pin);
        parts[w] = json::parse(pin);
    }
    const auto& m = merged["totals"];
    const auto& s = single.result["totals"];
    for (const char* k : {"sent", "expected", "delivered", "connects"}) {
        INFO(k);
        CHECK(m[k] == parts[0]["totals"][k].get<long>() + parts[1]["totals"][k].get<long>());
        CHECK(m[k] == s[k]);
    }
    CHECK(m["lost"] == 0);
    CHECK(merged["run"]["merged_from"].size() == 2);
    CHECK(merged["verdict"] == "PASS");
    auto h = chat::load::histogram::from_json(parts[0]["histograms"]["latency_us"]);
    h.merge(chat::load::histogram::from_json(parts[1]["histograms"]["latency_us"]));
    CHECK(chat::load::histogram::from_json(merged["histograms"]["latency_us"]) == h);
}

TEST_CASE("Endpoints: two URLs of one server give per-endpoint results and the cost of the hop",
          "[e2e][endpoints]") {
    // One server on every address: http://127.0.0.1:P and http://[::1]:P are two endpoints of
    // one deployment, so every message reaches every member and half the deliveries cross.
    server srv({CHAT_SERVER_BIN}, "::");
    const auto port = srv.url.substr(srv.url.rfind(':') + 1);
    const std::vector<std::string> urls = {"http://127.0.0.1:" + port, "http://[::1]:" + port};
    const auto dir = fresh_dir("endpoints");
    auto args = small;
    args.insert(args.end(), {"--threshold", "delivery>=1"});
    const auto r = run_load(urls, dir, "endpoints", args);
    INFO(r.result.dump(1).substr(0, 3000));
    CHECK(r.exit_code == 0);
    REQUIRE(r.result.is_object());
    const auto& t = r.result["totals"];
    CHECK(t["delivered"] == t["expected"]);
    CHECK(t["errors"] == 0);
    CHECK(r.result["scenario"]["urls"] == json(urls));
    const auto& eps = r.result["endpoints"];
    REQUIRE(eps.size() == 2);
    std::uint64_t delivered = 0, same = 0, cross = 0;
    for (std::size_t e = 0; e < 2; ++e) {
        INFO("endpoint " << e);
        CHECK(eps[e]["url"] == urls[e]);
        CHECK(eps[e]["connects"] == 20); // client i on endpoint i mod 2
        CHECK(eps[e]["connect_failures"] == 0);
        CHECK(eps[e]["delivered"].get<std::uint64_t>() > 0);
        CHECK(eps[e]["latency"]["count"] == eps[e]["delivered"]);
        CHECK(eps[e]["delivered"] == eps[e]["delivered_same_endpoint"].get<std::uint64_t>() +
                                         eps[e]["delivered_cross_endpoint"].get<std::uint64_t>());
        delivered += eps[e]["delivered"].get<std::uint64_t>();
        same += eps[e]["delivered_same_endpoint"].get<std::uint64_t>();
        cross += eps[e]["delivered_cross_endpoint"].get<std::uint64_t>();
    }
    CHECK(delivered == t["delivered"].get<std::uint64_t>());
    const auto& summary = r.result["summary"];
    CHECK(summary["latency_same_endpoint_us"]["count"] == same);
    CHECK(summary["latency_cross_endpoint_us"]["count"] == cross);
    CHECK(same > 0);
    CHECK(cross > 0);
    CHECK(same + cross == delivered);
    // Every report format shows the endpoints.
    std::ifstream md(dir / "endpoints.md");
    const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
    CHECK(text.find("### Endpoints") != std::string::npos);
    CHECK(text.find("http://\\[::1\\]:" + port) != std::string::npos);
}

// The capacity search against a real chat-server, with an SLO on the delivered rate so the
// bracket does not depend on the machine's speed: 20 clients in 2 rooms, 1 sender per room, so
// 20 deliveries/s per message/s per sender. Steps 400/s (pass) and 1,200/s (fail: delivered/s
// > 1000), then the bisection at 800/s (pass): bracketed within 50%.
TEST_CASE("End to end: chat-load search brackets the capacity and reports its steps",
          "[e2e][search]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("search");
    child c({CHAT_LOAD_BIN,
             "search",
             srv.url,
             "--quiet",
             "--report-dir",
             dir.string(),
             "--report-name",
             "search",
             "--format",
             "json,md,html,junit",
             "--clients",
             "20",
             "--rooms",
             "2",
             "--senders-per-room",
             "1",
             "--step-duration",
             "1s",
             "--warm-up",
             "300ms",
             "--slo",
             "delivered_per_s<=1000",
             "--slo",
             "delivery>=0.99",
             "--from",
             "400",
             "--growth",
             "3",
             "--resolution",
             "0.6",
             "--max-steps",
             "5",
             "--server-pid",
             std::to_string(srv.proc->pid()),
             RELAXED});
    const auto line = c.read_line(std::chrono::seconds(60));
    const auto exit_code = c.wait_for(std::chrono::seconds(60));
    std::ifstream in(dir / "search.json");
    REQUIRE(in);
    const auto doc = json::parse(in);
    INFO(doc.dump(1));
    CHECK(line == "chat-load search: FOUND");
    CHECK(exit_code == 0);
    CHECK(doc["schema"] == "chat-load.search");
    CHECK(doc["verdict"] == "FOUND");
    CHECK(doc["search"]["deliveries_per_unit_rate"] == 20);
    const auto& steps = doc["steps"];
    // 1200/s fails, and its rerun (--confirm 1 by default) confirms it.
    REQUIRE(steps.size() == 4);
    const double offered[] = {400, 1200, 1200, 800};
    const char* verdicts[] = {"pass", "fail", "fail", "pass"};
    const int attempts[] = {1, 1, 2, 1};
    std::set<std::string> prefixes;
    double server_cpu = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(steps[i]["offered_per_s"] == offered[i]);
        CHECK(steps[i]["verdict"] == verdicts[i]);
        CHECK(steps[i]["attempt"] == attempts[i]);
        CHECK(steps[i]["rate_per_sender"] == offered[i] / 20);
        // A valid step delivers about what it offered (generous: no speed is asserted).
        CHECK(steps[i]["delivered_per_s"].get<double>() > offered[i] * 0.5);
        CHECK(steps[i]["delivery"].get<double>() >= 0.99);
        prefixes.insert(steps[i]["room_prefix"].get<std::string>());
        // --server-pid: memory always; CPU moves in 10 ms clock ticks, so a short light step
        // may read 0 (checked over all steps below).
        CHECK(steps[i]["server_rss_max_bytes"].get<double>() > 0);
        server_cpu += steps[i]["server_cpu_us_per_delivery"].get<double>();
    }
    CHECK(prefixes.size() == 4); // fresh rooms per step
    CHECK(server_cpu > 0);
    CHECK(doc["capacity"]["last_pass"]["offered_per_s"] == 800);
    CHECK(doc["capacity"]["first_fail"]["offered_per_s"] == 1200);
    CHECK(doc["capacity"]["bracketed"] == true);
    std::ifstream md(dir / "search.md");
    const std::string text((std::istreambuf_iterator<char>(md)), {});
    CHECK(text.find("Steps in the order they ran") != std::string::npos);
    CHECK(text.find("| 4 | 800/s | 40 |") != std::string::npos);
    CHECK(text.find("FAIL (rerun 1)") != std::string::npos);
    std::ifstream html(dir / "search.html");
    const std::string page((std::istreambuf_iterator<char>(html)), {});
    CHECK(page.find("Latency against offered rate") != std::string::npos); // the knee chart
    CHECK(page.find("Delivery against offered rate") != std::string::npos);
    CHECK(fs::exists(dir / "search.junit.xml"));
}

// --server-pid against a chat-server child: its CPU and memory are read from /proc and reported
// beside the client figures.
TEST_CASE("End to end: --server-pid reports the server's CPU per delivery and memory per "
          "connection",
          "[e2e][server-pid]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("server-pid");
    auto args = small;
    args.insert(args.end(), {"--server-pid", std::to_string(srv.proc->pid())});
    const auto r = run_load(srv.url, dir, "server", args);
    INFO(r.result.dump(1).substr(0, 2000));
    CHECK(r.exit_code == 0);
    REQUIRE(r.result.contains("server"));
    const auto& s = r.result["server"];
    REQUIRE(s.is_object());
    CHECK(s["pid"] == srv.proc->pid());
    CHECK(s["error"].is_null());
    CHECK(s["cpu_seconds"].get<double>() > 0);
    CHECK(s["cpu_us_per_delivery"].get<double>() > 0);
    CHECK(s["deliveries"] == r.result["totals"]["delivered"]);
    CHECK(s["rss_idle_bytes"].get<double>() > 0);
    CHECK(s["rss_max_bytes"].get<double>() >= s["rss_idle_bytes"].get<double>());
    CHECK(s["connections"] == 40);
    CHECK(s["samples"]["points"].size() >= 2);
    std::ifstream md(dir / "server.md");
    const std::string text((std::istreambuf_iterator<char>(md)), {});
    CHECK(text.find("The server's side") != std::string::npos);

    // A process that is not there is a harness error, said once.
    const auto gone = run_load(
        srv.url, dir, "gone",
        {"--clients", "2", "--rooms", "1", "--duration", "200ms", "--server-pid", "999999999"});
    CHECK(gone.exit_code == 2);
}

// An abort rule ends the run as soon as it fails (k6's abortOnFail with delayAbortEval): p99 under
// 1 us fails on the first measured deliveries, judged from 500 ms into a 20 s window.
TEST_CASE("End to end: a threshold with :abort ends the run once it fails", "[e2e][abort]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("abort");
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_load(srv.url, dir, "abort",
                            {"--clients", "10", "--rooms", "1", "--rate", "20", "--duration", "20s",
                             "--warm-up", "300ms", "--threshold", "p99<1us:abort=500ms",
                             "--threshold", "errors==0", RELAXED});
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO(r.result.dump(1).substr(0, 2000));
    CHECK(seconds < 12);
    CHECK(r.exit_code == 1);
    REQUIRE(r.result.is_object());
    CHECK(r.result["verdict"] == "FAIL");
    const auto ended = r.result["run"]["ended_early"];
    REQUIRE(ended.is_string());
    CHECK(ended.get<std::string>().find("threshold 'p99<1us:abort=500ms' failed after") == 0);
    CHECK(r.result["run"]["measure_seconds"].get<double>() >= 0.5);
    CHECK(r.result["run"]["measure_seconds"].get<double>() < 10);
}

// --stage: the send rate follows the stages, and each stage's figures are in the result.
TEST_CASE("End to end: --stage ramps the send rate and reports each stage", "[e2e][stage]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("stages");
    const auto r =
        run_load(srv.url, dir, "stages",
                 {"--clients", "20", "--rooms", "2", "--rate", "10", "--warm-up", "300ms",
                  "--stage", "2s,rate=40", "--stage", "2s", "--stage", "1s,rate=10", RELAXED});
    INFO(r.result["stages"].dump(1));
    CHECK(r.exit_code == 0);
    REQUIRE(r.result["stages"].size() == 3);
    const auto& st = r.result["stages"];
    CHECK(st[0]["stage"] == "2s,rate=40");
    CHECK(st[0]["rate_from"] == 10);
    CHECK(st[0]["rate_to"] == 40);
    CHECK(st[1]["rate_from"] == 40);
    CHECK(st[2]["to_s"] == 5);
    // The hold at 40/s for 2 s from 2 senders: 160 messages (seconds are assigned whole, so a
    // little slack); the ramp 10 -> 40 sends about 100, the ramp down 40 -> 10 about 50.
    const auto hold = st[1]["sent"].get<double>();
    CHECK(hold > 120);
    CHECK(hold < 200);
    CHECK(st[0]["sent"].get<double>() < hold * 0.85);
    CHECK(st[2]["sent"].get<double>() < hold * 0.5);
    for (const auto& s : st)
        CHECK(s["delivered"].get<double>() >= s["sent"].get<double>() * 10 * 0.9);
    CHECK(r.result["run"]["measure_seconds"].get<double>() == Approx(5).margin(0.1));
    std::ifstream md(dir / "stages.md");
    const std::string text((std::istreambuf_iterator<char>(md)), {});
    CHECK(text.find("By stage") != std::string::npos);
}

// --stage clients=N (#17): the receivers follow the client target 0 -> 20 -> 8 (senders stay
// connected), the per-stage connected figures follow it, and the ramp costs no false loss.
TEST_CASE("End to end: --stage ramps the clients up and down with every message delivered",
          "[e2e][stage]") {
    server srv({CHAT_SERVER_BIN});
    const auto dir = fresh_dir("client-ramp");
    const auto r = run_load(srv.url, dir, "ramp",
                            {"--clients",
                             "0",
                             "--rooms",
                             "2",
                             "--senders-per-room",
                             "1",
                             "--rate",
                             "20",
                             "--warm-up",
                             "300ms",
                             "--lifetime",
                             "500ms",
                             "--stage",
                             "2s,clients=20",
                             "--stage",
                             "2s",
                             "--stage",
                             "1s,clients=8",
                             "--stage",
                             "2s",
                             "--threshold",
                             "delivery>=1",
                             RELAXED});
    INFO(r.result["stages"].dump(1));
    INFO(r.result["totals"].dump(1));
    CHECK(r.exit_code == 0);
    REQUIRE(r.result["stages"].size() == 4);
    const auto& st = r.result["stages"];
    CHECK(st[0]["clients_from"] == 0);
    CHECK(st[0]["clients_to"] == 20);
    CHECK(st[2]["clients_to"] == 8);
    // Holds: every second ends with the target connected. The ramps move in between.
    CHECK(st[1]["connected_min"] == 20);
    CHECK(st[1]["connected_max"] == 20);
    CHECK(st[3]["connected_min"] == 8);
    CHECK(st[3]["connected_max"] == 8);
    CHECK(st[0]["connected_min"].get<long>() < 20);
    CHECK(st[0]["connected_min"].get<long>() >= 2); // the senders, from the start
    const auto& t = r.result["totals"];
    CHECK(r.result["plan"]["clients"] == 20);
    CHECK(t["delivery"] == 1.0);
    CHECK(t["lost"] == 0);
    CHECK(t["late"] == 0);
    CHECK(t["errors"] == 0);
    CHECK(t["connects"] == 20); // 2 senders + 18 receivers, each joining once
    // Every second of a hold delivers to its members: 2 rooms x 20 msg/s x 10 members.
    CHECK(st[1]["delivered"].get<double>() > 0.8 * 2 * 20 * 10 * 2);
    std::ifstream md(dir / "ramp.md");
    const std::string text((std::istreambuf_iterator<char>(md)), {});
    CHECK(text.find("clients (target)") != std::string::npos);
    CHECK(text.find("| 0 -&gt; 20 |") != std::string::npos); // the target, Markdown-escaped
}
