// Tests of src/verdict.hpp: combining repetitions and the exit code.
#include "verdict.hpp"

#include <catch2/catch.hpp>

using namespace chat::conformance;

namespace {
check_run with(outcome o, int rep = 1) {
    check_run r;
    r.result = o;
    r.repetition = rep;
    return r;
}
check_result result_of(std::vector<outcome> os) {
    check_result r;
    r.selected = true;
    int rep = 1;
    for (auto o : os)
        r.runs.push_back(with(o, rep++));
    settle(r);
    return r;
}
} // namespace

TEST_CASE("Verdict: repetitions with one verdict keep it, others are FLAKY", "[verdict]") {
    CHECK(result_of({outcome::pass, outcome::pass}).combined == outcome::pass);
    CHECK(result_of({outcome::fail}).combined == outcome::fail);
    auto flaky = result_of({outcome::pass, outcome::fail, outcome::pass});
    CHECK(flaky.combined == outcome::flaky);
    CHECK(flaky.summary.find("2 PASS") != std::string::npos);
    CHECK(flaky.summary.find("1 FAIL") != std::string::npos);
    REQUIRE(flaky.representative());
    CHECK(flaky.representative()->result == outcome::fail);
    check_result unselected;
    settle(unselected);
    CHECK(unselected.combined == outcome::skip);
}

TEST_CASE("Verdict: exit codes", "[verdict]") {
    using v = std::vector<check_result>;
    CHECK(exit_code(v{result_of({outcome::pass}), result_of({outcome::skip})}, false, false) == 0);
    CHECK(exit_code(v{result_of({outcome::pass}), result_of({outcome::warn})}, false, false) == 0);
    CHECK(exit_code(v{result_of({outcome::pass}), result_of({outcome::warn})}, true, false) == 1);
    CHECK(exit_code(v{result_of({outcome::fail})}, false, false) == 1);
    // a MUST that fails in one repetition of many is a violation
    CHECK(exit_code(v{result_of({outcome::pass, outcome::fail})}, false, false) == 1);
    CHECK(exit_code(v{result_of({outcome::error})}, false, false) == 2);
    CHECK(exit_code(v{result_of({outcome::timeout})}, false, false) == 2);
    // a violation found is reported as such even when another check could not judge
    CHECK(exit_code(v{result_of({outcome::fail}), result_of({outcome::timeout})}, false, false) ==
          1);
    // a target that died or was unreachable makes the verdict incomplete, whatever else
    CHECK(exit_code(v{result_of({outcome::fail})}, false, true) == 2);
    CHECK(exit_code(v{result_of({outcome::pass})}, false, true) == 2);
    CHECK(exit_code(v{}, false, false) == 0);
}
