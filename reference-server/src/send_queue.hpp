// A client's outbound queue: a FIFO bounded at SEND_QUEUE messages (SPEC.md SLOW-1). Its
// storage grows on demand, so an idle client pays for no slots. Not synchronised: its owner
// guards it.
#pragma once

#include <cstddef> // size_t
#include <limits>  // numeric_limits
#include <utility> // move
#include <vector>  // vector

namespace chat_server {

template <class T> class send_queue {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

    explicit send_queue(std::size_t limit) : limit_(limit) {}

    std::size_t limit() const noexcept { return limit_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return size_ >= limit_; }

    // Appends `value` unless the queue already holds `limit` entries; false when full.
    bool try_push(T value) {
        if (full())
            return false;
        push(std::move(value));
        return true;
    }

    // Appends regardless of the limit (history replay on join, which the room sizes).
    void push(T value) {
        if (size_ == slots_.size())
            grow();
        slots_[(head_ + size_) % slots_.size()] = std::move(value);
        ++size_;
    }

    T& front() noexcept { return slots_[head_]; }

    void pop() {
        slots_[head_] = T{};
        head_ = (head_ + 1) % slots_.size();
        --size_;
        if (size_ == 0)
            head_ = 0;
    }

    // Releases the slots (after a burst, so an idle client goes back to costing nothing).
    void shrink_if_empty() {
        if (size_ == 0 && !slots_.empty())
            std::vector<T>().swap(slots_);
    }

private:
    void grow() {
        std::vector<T> bigger(slots_.empty() ? 4 : slots_.size() * 2);
        for (std::size_t i = 0; i < size_; ++i)
            bigger[i] = std::move(slots_[(head_ + i) % slots_.size()]);
        slots_ = std::move(bigger);
        head_ = 0;
    }

    std::size_t limit_;
    std::vector<T> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace chat_server
