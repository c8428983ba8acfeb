// The room actor: every step runs on the room's strand.
#include "room.hpp"

#include "room_registry.hpp"

#include <boost/asio/post.hpp>

#include <chrono>  // milliseconds, steady_clock
#include <cstdlib> // abort
#include <utility> // move

namespace chat_server {

using namespace std::chrono_literals;

namespace {

std::size_t history_capacity(const server_config& c) {
    if (c.defect == mutant::history_99)
        return c.history_limit > 0 ? c.history_limit - 1 : 0;
    if (c.defect == mutant::history_101)
        return c.history_limit + 1;
    return c.history_limit;
}

} // namespace

room::room(net::io_context& ioc, std::string name, const server_config& config,
           room_registry& rooms, bool stopping)
    : strand_(net::make_strand(ioc)), name_(std::move(name)), config_(config), rooms_(rooms),
      history_(history_capacity(config)), stopping_(stopping) {
    if (config.defect == mutant::slow_blocks_others ||
        config.defect == mutant::broadcast_delay_20ms)
        timer_ = std::make_unique<net::steady_timer>(strand_);
}

void room::join(std::shared_ptr<member> m) {
    net::post(strand_, [self = shared_from_this(), m = std::move(m)]() mutable {
        if (self->stopping_) {
            m->going_away();
            return;
        }
        if (self->config_.defect == mutant::live_before_replay) {
            // Deliberately wrong: the member sees live messages for 200 ms before its replay.
            auto replay = self->history_.snapshot();
            self->members_.push_back({m, 0});
            self->clients_.fetch_add(1, std::memory_order_relaxed);
            auto t = std::make_shared<net::steady_timer>(self->strand_, 200ms);
            t->async_wait([t, m, replay = std::move(replay)](boost::system::error_code) {
                for (const auto& h : replay)
                    m->replay(h);
            });
            return;
        }
        // The replay is queued in the same strand step that makes `m` a member, so no live
        // message can come before or between the replayed ones, and none is missed.
        self->history_.for_each([&](const message_ptr& h) { m->replay(h); });
        self->members_.push_back({std::move(m), 0});
        self->clients_.fetch_add(1, std::memory_order_relaxed);
    });
}

void room::leave(std::shared_ptr<member> m) {
    net::post(strand_, [self = shared_from_this(), m = std::move(m)] {
        for (std::size_t i = 0; i < self->members_.size(); ++i) {
            if (self->members_[i].who == m) {
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
    if (config_.defect != mutant::stale_room_count)
        clients_.fetch_sub(1, std::memory_order_relaxed);
}

void room::broadcast(message_ptr msg, const member* sender) {
    net::post(strand_, [self = shared_from_this(), msg = std::move(msg), sender] {
        self->do_broadcast(msg, sender);
    });
}

void room::do_broadcast(const message_ptr& msg, const member* sender) {
    if (config_.defect == mutant::broadcast_delay_20ms) {
        delayed_.push_back({std::chrono::steady_clock::now() + 20ms, msg, sender});
        if (delayed_.size() == 1)
            release_delayed();
        return;
    }
    if (config_.defect == mutant::slow_blocks_others) {
        stalled_.push_back({msg, sender});
        if (stalled_.size() == 1) {
            stalled_index_ = 0;
            resume_stalled();
        }
        return;
    }
    fan_out(msg, sender);
}

void room::fan_out(const message_ptr& msg, const member* sender) {
    if (config_.defect == mutant::history_keeps_oldest && history_.full()) {
        // Deliberately wrong: a full history stops storing.
    } else {
        history_.push(msg);
    }
    ++broadcasts_;
    const bool twice = config_.defect == mutant::duplicate_delivery && broadcasts_ % 50 == 0;
    for (std::size_t i = 0; i < members_.size();) {
        entry& e = members_[i];
        if (config_.defect == mutant::no_echo && e.who.get() == sender) {
            ++i;
            continue;
        }
        if (config_.defect == mutant::drop_every_100th && ++e.live % 100 == 0) {
            ++i;
            continue;
        }
        if (e.who->offer(msg) && (!twice || e.who->offer(msg))) {
            ++i;
            continue;
        }
        // The queue is full: the member is out of the room now, and its connection is cut
        // without waiting for it (SPEC.md SLOW-1, SLOW-2, SLOW-5).
        auto dropped = std::move(e.who);
        remove_at(i);
        dropped->drop("send queue full (" + std::to_string(config_.send_queue) + " messages)");
        if (config_.defect == mutant::crash_after_drop)
            std::abort();
    }
    if (config_.defect == mutant::cross_room_leak)
        if (auto other = rooms_.other_than(*this))
            other->leak(msg);
}

void room::resume_stalled() {
    // slow-blocks-others: fan out in member order, and stop at the first full queue until it
    // has drained, so every later message (and every later member) waits too.
    while (!stalled_.empty()) {
        auto& head = stalled_.front();
        if (stalled_index_ == 0)
            history_.push(head.msg);
        for (; stalled_index_ < members_.size(); ++stalled_index_) {
            if (members_[stalled_index_].who->queue_full()) {
                timer_->expires_after(5ms);
                timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
                    if (!ec)
                        self->resume_stalled();
                });
                return;
            }
            members_[stalled_index_].who->offer(head.msg);
        }
        stalled_.pop_front();
        stalled_index_ = 0;
    }
}

void room::release_delayed() {
    // broadcast-delay-20ms: one timer for the oldest held message keeps the order.
    auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.front().due <= now) {
        auto d = std::move(delayed_.front());
        delayed_.pop_front();
        fan_out(d.msg, d.sender);
    }
    if (delayed_.empty())
        return;
    timer_->expires_at(delayed_.front().due);
    timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec)
            self->release_delayed();
    });
}

void room::leak(message_ptr msg) {
    net::post(strand_, [self = shared_from_this(), msg = std::move(msg)] {
        for (auto& e : self->members_)
            e.who->offer(msg);
    });
}

void room::read_history(std::function<void(std::vector<message_ptr>)> done) {
    net::post(strand_, [self = shared_from_this(), done = std::move(done)] {
        done(self->history_.snapshot());
    });
}

void room::shut_down() {
    net::post(strand_, [self = shared_from_this()] {
        self->stopping_ = true;
        for (auto& e : self->members_)
            e.who->going_away();
    });
}

} // namespace chat_server
