// Rooms by name, behind a reader-writer lock held only for the map itself.
#include "room_registry.hpp"

#include "backplane.hpp"
#include "fault_hooks.hpp"

#include <mutex> // unique_lock, shared_lock

namespace chat_server {

room_registry::room_registry(net::io_context& ioc, const server_config& config, fault_hooks* faults)
    : ioc_(ioc), config_(config), faults_(faults) {
    if (faults_ && !faults_->create_general_room()) [[unlikely]]
        return;
    get_or_create("general");
}

std::shared_ptr<room> room_registry::find(std::string_view name) const {
    std::shared_lock lock(mutex_);
    auto it = rooms_.find(name);
    return it == rooms_.end() ? nullptr : it->second;
}

void room_registry::sync(std::function<void()> then) const {
    if (!backplane_)
        return then();
    backplane_->sync(std::move(then));
}

void room_registry::find_synced(std::string name,
                                std::function<void(std::shared_ptr<room>)> done) const {
    auto r = find(name);
    if (r || !backplane_)
        return done(std::move(r));
    backplane_->sync([this, name = std::move(name), done = std::move(done)] { done(find(name)); });
}

std::pair<std::shared_ptr<room>, bool> room_registry::insert(const std::string& name, bool capped) {
    if (auto r = find(name))
        return {r, false};
    std::shared_ptr<room> r;
    {
        std::unique_lock lock(mutex_);
        auto it = rooms_.find(name);
        if (it != rooms_.end())
            return {it->second, false};
        // `general` is made at start-up whatever the cap.
        if (capped && rooms_.size() >= config_.max_rooms && !rooms_.empty())
            return {nullptr, false};
        r = std::make_shared<room>(ioc_, name, config_, faults_, stopping_, &generation_);
        r->set_backplane(backplane_);
        rooms_.emplace(name, r);
    }
    note_listing_changed();
    return {r, true};
}

std::shared_ptr<room> room_registry::get_or_create(const std::string& name) {
    auto [r, created] = insert(name, true);
    if (created && backplane_)
        backplane_->room_created(name);
    return r;
}

std::shared_ptr<room> room_registry::ensure(const std::string& name) {
    return insert(name, false).first;
}

void room_registry::set_backplane(room_backplane* b) {
    std::unique_lock lock(mutex_);
    backplane_ = b;
    for (const auto& [name, r] : rooms_)
        r->set_backplane(b);
}

std::vector<room_registry::listing_entry> room_registry::list() const {
    std::shared_lock lock(mutex_);
    std::vector<listing_entry> out;
    out.reserve(rooms_.size());
    const bool remote = backplane_ && (!faults_ || faults_->count_other_nodes());
    for (const auto& [name, r] : rooms_)
        out.push_back({name, r->clients() + (remote ? backplane_->remote_clients(name) : 0)});
    return out;
}

std::vector<room_registry::listing_entry> room_registry::list_local() const {
    std::shared_lock lock(mutex_);
    std::vector<listing_entry> out;
    out.reserve(rooms_.size());
    for (const auto& [name, r] : rooms_)
        out.push_back({name, r->clients()});
    return out;
}

void room_registry::shut_down() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (const auto& [name, r] : rooms_)
        r->shut_down();
}

void room_registry::clear_members() {
    std::unique_lock lock(mutex_);
    for (const auto& [name, r] : rooms_)
        r->clear_members();
}

} // namespace chat_server
