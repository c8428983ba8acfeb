// Rooms by name, behind a reader-writer lock held only for the map itself.
#include "room_registry.hpp"

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

std::shared_ptr<room> room_registry::get_or_create(const std::string& name) {
    if (auto r = find(name))
        return r;
    std::unique_lock lock(mutex_);
    auto it = rooms_.find(name);
    if (it != rooms_.end())
        return it->second;
    // `general` is made at start-up whatever the cap.
    if (rooms_.size() >= config_.max_rooms && !rooms_.empty())
        return nullptr;
    auto r = std::make_shared<room>(ioc_, name, config_, faults_, stopping_, &generation_);
    rooms_.emplace(name, r);
    note_listing_changed();
    return r;
}

std::vector<room_registry::listing_entry> room_registry::list() const {
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
