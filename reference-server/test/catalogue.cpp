// Unit tests of mutants/catalogue.hpp: selections stack their members, profiles expand, unknown
// names are refused, and an empty selection gives chat-server's own behaviour (no hooks).
#include "catalogue.hpp"

#include "fault_hooks.hpp"

#include <catch2/catch.hpp>

#include <algorithm> // find_if
#include <string>    // string
#include <vector>    // vector

using namespace chat_server;

namespace {

const mutants::entry& entry_of(const std::string& name) {
    const auto& c = mutants::catalogue();
    auto it = std::find_if(c.begin(), c.end(), [&](const auto& e) { return e.name == name; });
    REQUIRE(it != c.end());
    return *it;
}

} // namespace

TEST_CASE("Catalogue: a stack applies each member and breaks their union", "[mutant]") {
    auto s = mutants::parse_selection("no-echo,history-99,stale-room-count", nullptr);
    REQUIRE(s);
    CHECK(s->names == std::vector<std::string>{"no-echo", "history-99", "stale-room-count"});
    CHECK(s->faults == std::vector<mutants::fault>{mutants::fault::no_echo,
                                                   mutants::fault::history_99,
                                                   mutants::fault::stale_room_count});
    CHECK(s->breaks == std::vector<std::string>{"HIST-2", "MSG-1", "ROOM-4", "ROOM-5", "SLOW-2"});
    server_config c;
    c.history_limit = 10;
    auto hooks = mutants::make_hooks(*s, c);
    REQUIRE(hooks);
    CHECK(hooks->history_capacity(10) == 9);
    CHECK(hooks->create_general_room());
}

TEST_CASE("Catalogue: seed-original stacks every member's faults", "[mutant]") {
    auto s = mutants::parse_selection("seed-original", nullptr);
    REQUIRE(s);
    const auto& seed = entry_of("seed-original");
    std::size_t faults = 0;
    for (const auto& m : seed.members)
        faults += entry_of(m).faults.size();
    CHECK(s->faults.size() == faults);
    CHECK(s->breaks == seed.breaks);
    auto hooks = mutants::make_hooks(*s, {});
    REQUIRE(hooks);
    CHECK(hooks->message_limit(100) > 100); // no-1009
    CHECK(hooks->leave_lowers_count());     // stale-room-count is not in the stack
}

TEST_CASE("Catalogue: unknown names are refused; none means no hooks", "[mutant]") {
    std::string why;
    CHECK_FALSE(mutants::parse_selection("no-echo,bogus", &why));
    CHECK(why.find("'bogus'") != std::string::npos);
    auto none = mutants::parse_selection("none", nullptr);
    REQUIRE(none);
    CHECK(mutants::make_hooks(*none, {}) == nullptr);
    for (const auto& e : mutants::catalogue()) {
        INFO(e.name);
        CHECK(!e.description.empty());
        CHECK((e.what == mutants::entry::kind::variant) == e.breaks.empty());
        CHECK(std::is_sorted(e.breaks.begin(), e.breaks.end()));
    }
}
