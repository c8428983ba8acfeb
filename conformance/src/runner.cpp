// The runner: one io_context thread, `--jobs` worker coroutines taking (check, repetition)
// pairs from a queue, each check racing its deadline.
#include "runner.hpp"

#include "catalogue.hpp"
#include "check_context.hpp"
#include "selection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm> // sort
#include <cmath>     // ceil
#include <deque>     // deque
#include <map>       // map
#include <memory>    // shared_ptr
#include <set>       // set
#include <utility>   // pair

namespace chat::conformance {

namespace {

using clock = std::chrono::steady_clock;

milliseconds scale(const run_settings& s, long long base_ms) {
    return milliseconds(std::max<long long>(
        1, static_cast<long long>(std::ceil(static_cast<double>(base_ms) * s.timeout_scale))));
}

// Is anything answering HTTP at the target? nullopt when it is, else why not.
net::awaitable<std::optional<std::string>> probe(const run_settings& s, milliseconds budget,
                                                 bool retry_refused) {
    auto ex = co_await net::this_coro::executor;
    auto until = clock::now() + budget;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(until - clock::now());
        if (left < milliseconds(1))
            left = milliseconds(1);
        auto r =
            co_await http_request(ex, s.target, "GET", health_target(s.target), left, s.request);
        if (r.status != 0)
            co_return std::nullopt;
        bool refused = r.ec == net::error::connection_refused;
        if (!(retry_refused && refused && clock::now() + milliseconds(100) < until))
            co_return r.error.empty() ? std::string("no HTTP answer") : r.error;
        net::steady_timer t(ex, milliseconds(100));
        boost::system::error_code ec;
        co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
}

// A check in flight, so a dying target or the overall deadline can interrupt it.
struct in_flight {
    std::shared_ptr<check_context> ctx;
    std::shared_ptr<net::steady_timer> wake;
    bool done = false;
    std::exception_ptr error;
    std::string interrupted; // why the runner stopped it ("" = not interrupted)
};

net::awaitable<void> body_of(std::shared_ptr<check_context> ctx, check_body body) {
    co_await body(*ctx);
}

class run_state {
public:
    run_state(const run_settings& s, const run_observer& o, run_outcome& out)
        : settings_(s), observer_(o), out_(out) {}

    net::awaitable<void> main() {
        const auto& all = catalogue();
        out_.results.resize(all.size());
        std::vector<std::size_t> chosen, exclusive;
        for (std::size_t i = 0; i < all.size(); ++i) {
            auto& r = out_.results[i];
            r.definition = &all[i];
            r.selected = selected(all[i], settings_.only, settings_.exclude);
            if (!r.selected)
                continue;
            (all[i].exclusive ? exclusive : chosen).push_back(i);
            remaining_[i] = all[i].exclusive ? 1 : std::max(1, settings_.repeat);
        }
        // Bound the whole run
        long long total = 0;
        for (auto i : chosen)
            total += budget_ms(all[i], settings_.constants) * std::max(1, settings_.repeat);
        long long extra = 0;
        for (auto i : exclusive)
            extra += budget_ms(all[i], settings_.constants);
        auto overall = settings_.max_run_seconds > 0
                           ? milliseconds(settings_.max_run_seconds * 1000LL)
                           : scale(settings_, 15000 + extra + total / std::max(1, settings_.jobs));
        out_.overall_deadline_s = static_cast<int>((overall.count() + 999) / 1000);
        deadline_ = clock::now() + overall;
        auto ex = co_await net::this_coro::executor;
        net::co_spawn(ex, watchdog(), net::detached);

        // Probe the target before anything else
        note("probing " + settings_.target.to_string() + " ...");
        if (auto problem = co_await probe(settings_, scale(settings_, 3000), true)) {
            out_.target_unreachable = true;
            set_problem("the target is unreachable: " + *problem);
            finish_unrun(chosen, exclusive);
            co_return;
        }

        // Every repetition of every check, repetition by repetition. Checks that may kill the
        // server by their nature (dropping a slow client: SLOW-4) come after all the others,
        // so that a server that dies of it still has every other clause judged.
        std::vector<std::size_t> first, last;
        for (auto i : chosen)
            (all[i].judges_crashes ? last : first).push_back(i);
        for (const auto* phase : {&first, &last}) {
            if (!problem_.empty())
                break;
            // Alive before the checks that may kill it: a death now is not theirs
            if (phase == &last && !last.empty())
                if (auto p = co_await probe(settings_, scale(settings_, 2000), false)) {
                    set_problem("the target stopped answering before the checks that may "
                                "stop it ran: " +
                                *p);
                    break;
                }
            for (int rep = 1; rep <= std::max(1, settings_.repeat); ++rep)
                for (auto i : *phase)
                    queue_.emplace_back(i, rep);
            co_await run_queue();
        }
        for (const auto* phase : {&first, &last})
            for (auto i : *phase)
                if (static_cast<int>(out_.results[i].runs.size()) < remaining_total(i))
                    for (int rep = static_cast<int>(out_.results[i].runs.size()) + 1;
                         rep <= remaining_total(i); ++rep)
                        record_unrun(i, rep);
        queue_.clear();

        // Did the target survive the run?
        if (problem_.empty()) {
            if (auto p = co_await probe(settings_, scale(settings_, 3000), false))
                set_problem("the target stopped answering by the end of the run: " + *p);
        }

        // Checks that stop the server run alone, at the end
        for (auto i : exclusive) {
            if (!problem_.empty())
                record_unrun(i, 1);
            else
                record(i, co_await run_one(i, 1));
        }
        stopped_ = true;
        if (auto w = watchdog_timer_.lock())
            w->cancel();
    }

private:
    // Runs what is queued on --jobs workers until the queue is empty or the target died.
    net::awaitable<void> run_queue() {
        auto ex = co_await net::this_coro::executor;
        std::size_t workers = std::max<std::size_t>(1, static_cast<std::size_t>(settings_.jobs));
        workers_left_ = std::min(workers, std::max<std::size_t>(1, queue_.size()));
        auto all_done = std::make_shared<net::steady_timer>(ex, clock::time_point::max());
        all_done_ = all_done;
        for (std::size_t w = 0; w < workers_left_; ++w)
            net::co_spawn(ex, worker(), net::detached);
        while (workers_left_ > 0) {
            boost::system::error_code ec;
            co_await all_done->async_wait(net::redirect_error(net::use_awaitable, ec));
        }
    }

    int remaining_total(std::size_t i) const {
        return catalogue()[i].exclusive ? 1 : std::max(1, settings_.repeat);
    }

    void note(const std::string& text) {
        if (observer_.note)
            observer_.note(text);
    }

    // The target died: say when, during what, and what the check saw last, so the author
    // knows where to look (a crash right after dropping a slow client is SLOW-4's finding).
    std::string death_notice(const check& c, const check_run& run, const std::string& probe) {
        std::string s = "the target stopped answering during the run, right after " +
                        std::string(c.id) + " (" + c.clause_list() + ": " + std::string(c.title) +
                        ")";
        if (!run.clause.empty())
            s += ", which found " + run.clause + " violated: " + run.actual;
        else if (!run.actual.empty())
            s += ", which ended " + name_of(run.result) + ": " + run.actual;
        if (run.clause.empty() && !run.message.empty())
            s += "; it had seen: " + run.message.substr(0, 200) +
                 (run.message.size() > 200 ? "..." : "");
        for (auto it = run.transcript.rbegin(); it != run.transcript.rend(); ++it)
            if (it->direction.find("..") == std::string::npos) {
                s += "; its last exchange: " + it->direction + " " + it->text.substr(0, 160);
                break;
            }
        std::string others;
        for (const auto& f : running_)
            if (!f->done && &f->ctx->current() != &c)
                others += (others.empty() ? "" : ", ") + std::string(f->ctx->current().id);
        if (!others.empty())
            s += "; also running then: " + others;
        return s + " (probe: " + probe + ")";
    }

    void set_problem(std::string p) {
        if (!problem_.empty())
            return;
        problem_ = std::move(p);
        out_.target_problem = problem_;
        note(problem_);
        // Stop what is running: its verdict could no longer be trusted. A check that judges
        // crashes (SLOW-4) goes on to its deadline: the death may be its finding.
        for (auto& f : running_)
            if (!f->done && !f->ctx->current().judges_crashes) {
                f->interrupted = problem_;
                f->ctx->cancel();
                f->wake->cancel();
            }
    }

    net::awaitable<void> watchdog() {
        auto ex = co_await net::this_coro::executor;
        auto timer = std::make_shared<net::steady_timer>(ex, deadline_);
        watchdog_timer_ = timer;
        boost::system::error_code ec;
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
        if (!stopped_ && clock::now() >= deadline_)
            set_problem("the run exceeded its overall deadline of " +
                        std::to_string(out_.overall_deadline_s) + " s (--max-run-time)");
    }

    net::awaitable<void> worker() {
        while (!queue_.empty() && problem_.empty()) {
            auto [i, rep] = queue_.front();
            queue_.pop_front();
            auto run = co_await run_one(i, rep);
            // A check that could not judge, or failed, may mean the target died: look
            if (problem_.empty() &&
                (run.result == outcome::error || run.result == outcome::timeout ||
                 run.result == outcome::fail || run.result == outcome::blocked)) {
                if (auto p = co_await probe(settings_, scale(settings_, 2000), false)) {
                    set_problem(death_notice(catalogue()[i], run, *p));
                    if ((run.result == outcome::fail || run.result == outcome::blocked) &&
                        !catalogue()[i].judges_crashes) {
                        run.result = outcome::error;
                        run.actual =
                            "the target stopped answering during this check; what it saw: " +
                            (run.clause.empty() ? run.blocked_by : run.clause) + ": " + run.actual;
                        run.clause.clear();
                        run.blocked_by.clear();
                        run.findings.clear();
                    }
                }
            }
            record(i, std::move(run));
        }
        if (--workers_left_ == 0)
            if (auto t = all_done_.lock())
                t->cancel();
    }

    net::awaitable<check_run> run_one(std::size_t index, int rep) {
        const auto& c = catalogue()[index];
        auto ex = co_await net::this_coro::executor;
        auto f = std::make_shared<in_flight>();
        f->ctx = std::make_shared<check_context>(ex, settings_, c, rep);
        f->wake = std::make_shared<net::steady_timer>(ex);
        running_.insert(f);
        auto started = clock::now();
        auto budget = scale(settings_, budget_ms(c, settings_.constants));
        auto deadline = std::min(started + budget, deadline_);
        f->wake->expires_at(deadline);
        net::co_spawn(ex, body_of(f->ctx, c.body), [f](std::exception_ptr e) {
            f->done = true;
            f->error = e;
            f->wake->cancel();
        });
        while (!f->done && f->interrupted.empty() && clock::now() < deadline) {
            boost::system::error_code ec;
            co_await f->wake->async_wait(net::redirect_error(net::use_awaitable, ec));
        }
        running_.erase(f);

        check_run run;
        run.repetition = rep;
        run.duration_ms = std::chrono::duration<double, std::milli>(clock::now() - started).count();
        run.findings = f->ctx->findings();
        run.message = f->ctx->notes();
        if (!f->interrupted.empty()) {
            run.result = outcome::error;
            run.actual = "interrupted: " + f->interrupted;
        } else if (!f->done) {
            f->ctx->cancel();
            run.result = outcome::timeout;
            run.actual =
                "the check did not finish within its deadline of " +
                std::to_string(budget.count()) + " ms" +
                (deadline < started + budget ? " (the run's overall deadline came first)" : "");
        } else if (!f->error) {
            run.result = outcome::pass;
            for (const auto& fd : run.findings)
                if (fd.strength == level::should && run.result == outcome::pass) {
                    run.result = outcome::warn;
                    run.clause = fd.clause;
                    run.expected = fd.expected;
                    run.actual = fd.actual;
                }
        } else {
            try {
                std::rethrow_exception(f->error);
            } catch (const violation& v) {
                run.result = v.what_failed.strength == level::must ? outcome::fail : outcome::warn;
                run.clause = v.what_failed.clause;
                run.expected = v.what_failed.expected;
                run.actual = v.what_failed.actual;
            } catch (const blocked& b) {
                run.result = outcome::blocked;
                run.blocked_by = b.cause.clause;
                run.expected = b.cause.expected;
                run.actual = b.cause.actual;
            } catch (const harness_error& e) {
                run.result = outcome::error;
                run.actual = e.reason;
            } catch (const not_applicable& e) {
                run.result = outcome::skip;
                run.actual = e.reason;
            } catch (const check_cancelled&) {
                run.result = outcome::error;
                run.actual = "the check was cancelled";
            } catch (const std::exception& e) {
                run.result = outcome::error;
                run.actual = std::string("internal error in the check: ") + e.what();
            }
        }
        run.transcript = f->ctx->take_transcript();
        co_return run;
    }

    void record(std::size_t i, check_run run) {
        auto& r = out_.results[i];
        if (observer_.run_finished)
            observer_.run_finished(*r.definition, run);
        r.runs.push_back(std::move(run));
        if (--remaining_[i] == 0) {
            std::sort(r.runs.begin(), r.runs.end(), [](const check_run& a, const check_run& b) {
                return a.repetition < b.repetition;
            });
            settle(r);
            if (observer_.check_finished)
                observer_.check_finished(r);
        }
    }

    void record_unrun(std::size_t i, int rep) {
        check_run run;
        run.repetition = rep;
        run.result = outcome::error;
        run.actual = "not run: " + problem_;
        record(i, std::move(run));
    }

    void finish_unrun(const std::vector<std::size_t>& chosen,
                      const std::vector<std::size_t>& exclusive) {
        for (auto i : chosen)
            for (int rep = 1; rep <= std::max(1, settings_.repeat); ++rep)
                record_unrun(i, rep);
        for (auto i : exclusive)
            record_unrun(i, 1);
        stopped_ = true;
        if (auto w = watchdog_timer_.lock())
            w->cancel();
    }

    const run_settings& settings_;
    const run_observer& observer_;
    run_outcome& out_;
    std::deque<std::pair<std::size_t, int>> queue_;
    std::map<std::size_t, int> remaining_;
    std::set<std::shared_ptr<in_flight>> running_;
    std::string problem_;
    clock::time_point deadline_;
    std::size_t workers_left_ = 0;
    std::weak_ptr<net::steady_timer> all_done_;
    std::weak_ptr<net::steady_timer> watchdog_timer_;
    bool stopped_ = false;
};

} // namespace

int budget_ms(const check& c, const spec_constants& k) {
    if (c.exclusive)
        return std::max(c.budget_ms, k.shutdown_ms + 7000);
    return c.budget_ms;
}

run_outcome run_checks(const run_settings& settings, const run_observer& observer) {
    run_outcome out;
    out.started = std::chrono::system_clock::now();
    {
        // The state outlives the io_context: abandoned coroutine frames die with the latter.
        run_state state(settings, observer, out);
        net::io_context ioc(1);
        std::exception_ptr failure;
        net::co_spawn(ioc, state.main(), [&](std::exception_ptr e) {
            failure = e;
            ioc.stop();
        });
        ioc.run();
        if (failure)
            std::rethrow_exception(failure);
        // Checks abandoned at their deadline are destroyed with the io_context.
    }
    out.finished = std::chrono::system_clock::now();
    out.exit_code = exit_code(out.results, settings.strict, !out.target_problem.empty());
    return out;
}

} // namespace chat::conformance
