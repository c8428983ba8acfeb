// Unit tests of room.hpp and room_registry.hpp with fake members: membership, counts,
// history replay on join, drops of full queues. The io_context runs on the test thread.
#include "room_registry.hpp"

#include "catalogue.hpp"
#include "fault_hooks.hpp"

#include <catch2/catch.hpp>

#include <algorithm> // find_if
#include <memory>    // make_shared
#include <string>    // string
#include <vector>    // vector

using namespace chat_server;

namespace {

struct fake_member : member {
    explicit fake_member(std::size_t capacity = 1000) : capacity(capacity) {}
    bool offer(const message_ptr& m) override {
        if (received.size() - taken >= capacity)
            return false;
        received.push_back(*m);
        return true;
    }
    void replay(const message_ptr& m) override { received.push_back("replay:" + *m); }
    bool queue_full() const override { return received.size() - taken >= capacity; }
    void drop(const std::string& why) override { dropped = why; }
    void going_away() override { sent_away = true; }

    std::size_t capacity;
    std::size_t taken = 0; // messages the fake has "written"
    std::vector<std::string> received;
    std::string dropped;
    bool sent_away = false;
};

message_ptr text(std::string s) {
    return std::make_shared<const std::string>(std::move(s));
}

std::int64_t listed(const room_registry& rooms, const std::string& name) {
    auto list = rooms.list();
    auto it = std::find_if(list.begin(), list.end(), [&](auto& e) { return e.name == name; });
    return it == list.end() ? -1 : it->clients;
}

struct fixture {
    net::io_context ioc;
    server_config config;
    std::shared_ptr<fault_hooks> faults;
    std::unique_ptr<room_registry> rooms;
    // `mutants`: names as chat-server-mutant --mutant takes them ("a,b"); "" for none.
    explicit fixture(server_config c = {}, std::string_view mutants = "") : config(c) {
        if (!mutants.empty())
            faults = mutants::make_hooks(*mutants::parse_selection(mutants, nullptr), config);
        rooms = std::make_unique<room_registry>(ioc, config, faults.get());
        if (faults)
            faults->attach(*rooms);
    }
    ~fixture() { rooms->clear_members(); }
    void settle() {
        ioc.restart();
        ioc.poll();
    }
};

} // namespace

TEST_CASE("Rooms: general exists from start with 0 clients (ROOM-1)", "[rooms]") {
    fixture f;
    REQUIRE(f.rooms->find("general"));
    CHECK(listed(*f.rooms, "general") == 0);
    CHECK(f.rooms->list().size() == 1);
}

TEST_CASE("Rooms: get_or_create creates once, find does not create (ROOM-2)", "[rooms]") {
    fixture f;
    CHECK_FALSE(f.rooms->find("lobby"));
    auto a = f.rooms->get_or_create("lobby");
    auto b = f.rooms->get_or_create("lobby");
    CHECK(a == b);
    CHECK(f.rooms->list().size() == 2);
}

TEST_CASE("Rooms: joins and leaves move the count, rooms stay (ROOM-4, ROOM-5)", "[rooms]") {
    fixture f;
    auto r = f.rooms->get_or_create("r");
    auto m1 = std::make_shared<fake_member>();
    auto m2 = std::make_shared<fake_member>();
    r->join(m1);
    r->join(m2);
    f.settle();
    CHECK(r->clients() == 2);
    CHECK(listed(*f.rooms, "r") == 2);
    r->leave(m1);
    r->leave(m1); // a second leave changes nothing
    f.settle();
    CHECK(r->clients() == 1);
    r->leave(m2);
    f.settle();
    CHECK(listed(*f.rooms, "r") == 0);
}

TEST_CASE("Rooms: the listing generation moves with every change of list() (ROOM-4)", "[rooms]") {
    fixture f;
    auto g = f.rooms->listing_generation();
    auto moved = [&] {
        const auto now = f.rooms->listing_generation();
        const bool changed = now != g;
        g = now;
        return changed;
    };
    auto r = f.rooms->get_or_create("r");
    CHECK(moved()); // a room created
    f.rooms->get_or_create("r");
    f.rooms->find("r");
    CHECK_FALSE(moved()); // nothing new
    auto m = std::make_shared<fake_member>();
    r->join(m);
    f.settle();
    CHECK(moved()); // a member joined
    r->broadcast(text("x"), nullptr);
    f.settle();
    CHECK_FALSE(moved()); // messages do not change the listing
    r->leave(m);
    f.settle();
    CHECK(moved()); // a member left
    r->leave(m);
    f.settle();
    CHECK_FALSE(moved()); // not a member any more: no change
    f.rooms->note_listing_changed();
    CHECK(moved());
    // A full member dropped by a broadcast leaves too.
    auto full = std::make_shared<fake_member>(0);
    r->join(full);
    f.settle();
    CHECK(moved());
    r->broadcast(text("y"), nullptr);
    f.settle();
    CHECK(moved());
    CHECK(listed(*f.rooms, "r") == 0);
}

TEST_CASE("Rooms: broadcast reaches every member, sender included (MSG-1)", "[rooms]") {
    fixture f;
    auto r = f.rooms->get_or_create("r");
    auto m1 = std::make_shared<fake_member>();
    auto m2 = std::make_shared<fake_member>();
    r->join(m1);
    r->join(m2);
    r->broadcast(text("a"), m1.get());
    r->broadcast(text("b"), m2.get());
    f.settle();
    CHECK(m1->received == std::vector<std::string>{"a", "b"});
    CHECK(m2->received == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Rooms: join replays the history first, oldest first (HIST-5)", "[rooms]") {
    server_config c;
    c.history_limit = 3;
    fixture f(c);
    auto r = f.rooms->get_or_create("r");
    for (const char* s : {"1", "2", "3", "4"})
        r->broadcast(text(s), nullptr);
    auto m = std::make_shared<fake_member>();
    r->join(m);
    r->broadcast(text("5"), nullptr);
    f.settle();
    CHECK(m->received == std::vector<std::string>{"replay:2", "replay:3", "replay:4", "5"});
    std::vector<message_ptr> snapshot;
    r->read_history([&](std::vector<message_ptr> h) { snapshot = std::move(h); });
    f.settle();
    REQUIRE(snapshot.size() == 3);
    CHECK(*snapshot[0] == "3");
    CHECK(*snapshot[2] == "5");
}

TEST_CASE("Rooms: a member whose queue is full is dropped and removed (SLOW-1, SLOW-2)",
          "[rooms]") {
    fixture f;
    auto r = f.rooms->get_or_create("r");
    auto slow = std::make_shared<fake_member>(2);
    auto fast = std::make_shared<fake_member>();
    r->join(slow);
    r->join(fast);
    for (const char* s : {"1", "2", "3", "4"})
        r->broadcast(text(s), nullptr);
    f.settle();
    CHECK_FALSE(slow->dropped.empty());
    CHECK(slow->received == std::vector<std::string>{"1", "2"});
    CHECK(fast->received == std::vector<std::string>{"1", "2", "3", "4"});
    CHECK(r->clients() == 1);
    r->leave(slow); // the session's own leave afterwards changes nothing
    f.settle();
    CHECK(r->clients() == 1);
}

TEST_CASE("Rooms: shutdown sends every member away, also later joiners", "[rooms]") {
    fixture f;
    auto r = f.rooms->get_or_create("r");
    auto m1 = std::make_shared<fake_member>();
    r->join(m1);
    f.settle();
    f.rooms->shut_down();
    auto m2 = std::make_shared<fake_member>();
    r->join(m2);
    auto m3 = std::make_shared<fake_member>();
    f.rooms->get_or_create("later")->join(m3);
    f.settle();
    CHECK(m1->sent_away);
    CHECK(m2->sent_away);
    CHECK(m3->sent_away);
}

TEST_CASE("Rooms: mutants change what they say (history-99, no-echo)", "[rooms][mutant]") {
    server_config c;
    c.history_limit = 5;
    fixture f(c, "history-99");
    auto r = f.rooms->get_or_create("r");
    auto m = std::make_shared<fake_member>();
    r->join(m);
    for (int i = 0; i < 10; ++i)
        r->broadcast(text(std::to_string(i)), m.get());
    std::size_t kept = 0;
    r->read_history([&](std::vector<message_ptr> h) { kept = h.size(); });
    f.settle();
    CHECK(kept == 4);

    fixture g({}, "no-echo");
    auto r2 = g.rooms->get_or_create("r");
    auto sender = std::make_shared<fake_member>();
    auto other = std::make_shared<fake_member>();
    r2->join(sender);
    r2->join(other);
    r2->broadcast(text("x"), sender.get());
    g.settle();
    CHECK(sender->received.empty());
    CHECK(other->received.size() == 1);
}
