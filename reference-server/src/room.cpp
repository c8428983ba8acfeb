// The room actor: every step runs on the room's strand.
#include "room.hpp"

#include "backplane.hpp"
#include "fault_hooks.hpp"

#include <boost/asio/post.hpp>

#include <utility> // move

namespace chat_server {

namespace {

std::size_t history_capacity(const server_config& c, const fault_hooks* faults) {
    if (faults) [[unlikely]]
        return faults->history_capacity(c.history_limit);
    return c.history_limit;
}

} // namespace

room::room(net::io_context& ioc, std::string name, const server_config& config, fault_hooks* faults,
           bool stopping, std::atomic<std::uint64_t>* listing_generation)
    : strand_(net::make_strand(ioc)), name_(std::move(name)), config_(config), faults_(faults),
      history_(history_capacity(config, faults)), listing_generation_(listing_generation),
      stopping_(stopping) {}

void room::join(std::shared_ptr<member> m) {
    net::post(strand_, [self = shared_from_this(), m = std::move(m)]() mutable {
        if (self->stopping_) {
            m->going_away();
            return;
        }
        if (self->faults_) [[unlikely]] {
            auto replay = self->history_.snapshot();
            if (self->faults_->take_replay(*self, m, replay)) {
                self->members_.push_back(std::move(m));
                self->clients_.fetch_add(1, std::memory_order_relaxed);
                self->count_changed();
                return;
            }
        }
        // The replay is queued in the same strand step that makes `m` a member, so no live
        // message can come before or between the replayed ones, and none is missed.
        self->history_.for_each([&](const message_ptr& h) { m->replay(h); });
        self->members_.push_back(std::move(m));
        self->clients_.fetch_add(1, std::memory_order_relaxed);
        self->count_changed();
    });
}

void room::count_changed() {
    if (listing_generation_)
        listing_generation_->fetch_add(1, std::memory_order_acq_rel);
    if (backplane_)
        backplane_->count_changed();
}

void room::leave(std::shared_ptr<member> m) {
    net::post(strand_, [self = shared_from_this(), m = std::move(m)] {
        for (std::size_t i = 0; i < self->members_.size(); ++i) {
            if (self->members_[i] == m) {
                self->remove_at(i);
                return;
            }
        }
    });
}

void room::remove_at(std::size_t i) {
    if (i + 1 != members_.size())
        members_[i] = std::move(members_.back());
    members_.pop_back();
    if (faults_ && !faults_->leave_lowers_count()) [[unlikely]]
        return;
    clients_.fetch_sub(1, std::memory_order_relaxed);
    count_changed();
}

void room::broadcast(message_ptr msg, const member* sender) {
    if (backplane_) {
        if (!faults_ || faults_->publish_to_cluster(*this, msg)) [[likely]]
            return backplane_->publish(*this, std::move(msg));
    }
    net::post(strand_, [self = shared_from_this(), msg = std::move(msg), sender] {
        self->do_broadcast(msg, sender);
    });
}

void room::deliver(message_ptr msg) {
    net::post(strand_, [self = shared_from_this(), msg = std::move(msg)] {
        self->do_broadcast(msg, nullptr);
    });
}

void room::do_broadcast(const message_ptr& msg, const member* sender) {
    if (faults_ && faults_->hold_broadcast(*this, msg, sender)) [[unlikely]]
        return;
    fan_out(msg, sender);
}

void room::fan_out(const message_ptr& msg, const member* sender) {
    if (faults_) [[unlikely]] {
        if (faults_->store_in_history(history_.full()) && faults_->store_delivered(*this, msg))
            history_.push(msg);
    } else {
        history_.push(msg);
    }
    for (std::size_t i = 0; i < members_.size();) {
        member& m = *members_[i];
        bool queued = true;
        if (faults_) [[unlikely]] {
            for (unsigned n = faults_->copies_for(m, sender); n > 0 && queued; --n)
                queued = m.offer(msg);
        } else {
            queued = m.offer(msg);
        }
        if (queued) {
            ++i;
            continue;
        }
        // The queue is full: the member is out of the room now, and its connection is cut
        // without waiting for it (SPEC.md SLOW-1, SLOW-2, SLOW-5).
        auto dropped = std::move(members_[i]);
        remove_at(i);
        dropped->drop("send queue full (" + std::to_string(config_.send_queue) + " messages)");
        if (faults_) [[unlikely]]
            faults_->dropped_slow_member(*this);
    }
    if (faults_) [[unlikely]]
        faults_->fanned_out(*this, msg);
    // Members write once per batch: after the broadcasts already queued on the strand, so
    // a busy room hands each socket several messages in one write.
    if (!flush_posted_) {
        flush_posted_ = true;
        net::post(strand_, [self = shared_from_this()] {
            self->flush_posted_ = false;
            for (const auto& m : self->members_)
                m->flush();
        });
    }
}

void room::read_history(std::function<void(std::vector<message_ptr>)> done) {
    if (backplane_) {
        // Every message sequenced before the request is in the answer, whichever node took it.
        return backplane_->sync([self = shared_from_this(), done = std::move(done)]() mutable {
            net::post(self->strand_,
                      [self, done = std::move(done)] { done(self->history_.snapshot()); });
        });
    }
    net::post(strand_, [self = shared_from_this(), done = std::move(done)] {
        done(self->history_.snapshot());
    });
}

void room::shut_down() {
    net::post(strand_, [self = shared_from_this()] {
        self->stopping_ = true;
        for (auto& m : self->members_)
            m->going_away();
    });
}

} // namespace chat_server
