// A client's outbound queue: a FIFO bounded at SEND_QUEUE messages (SPEC.md SLOW-1). Entries
// that do not count against the bound (control frames, see send_queue_traits) may be queued
// besides. Its storage grows on demand and goes back to a per-thread pool when the queue
// empties, so an idle client pays for no slots and a busy one does not allocate per message.
// Not synchronised: its owner guards it.
#pragma once

#include <array>   // array
#include <cstddef> // size_t
#include <limits>  // numeric_limits
#include <utility> // move
#include <vector>  // vector

namespace chat_server {

// Whether an entry counts against the queue's bound; specialise for entry types that mix
// messages with control frames.
template <class T> struct send_queue_traits {
    static bool counted(const T&) noexcept { return true; }
};

// Per-thread free lists of slot vectors, one per power-of-two size from 4 to 512 slots. Every
// slot of a vector in the pool holds T{}.
template <class T> class slot_pool {
public:
    static std::vector<T> take(std::size_t slots) {
        const std::size_t c = size_class(slots);
        auto& pool = lists();
        if (c < classes && !pool[c].empty()) {
            std::vector<T> v = std::move(pool[c].back());
            pool[c].pop_back();
            return v;
        }
        return std::vector<T>(slots);
    }

    static void give(std::vector<T>&& v) {
        const std::size_t c = size_class(v.size());
        auto& pool = lists();
        if (c < classes && pool[c].size() < (c < 4 ? 256u : 16u))
            pool[c].push_back(std::move(v));
    }

private:
    static constexpr std::size_t classes = 8; // 4, 8, ... 512 slots

    static std::size_t size_class(std::size_t slots) noexcept {
        std::size_t c = 0;
        for (std::size_t s = 4; s < slots; s *= 2)
            ++c;
        return (std::size_t{4} << c) == slots ? c : classes;
    }

    static std::array<std::vector<std::vector<T>>, classes>& lists() {
        thread_local std::array<std::vector<std::vector<T>>, classes> pool;
        return pool;
    }
};

template <class T> class send_queue {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

    explicit send_queue(std::size_t limit) : limit_(limit) {}
    send_queue(const send_queue&) = delete;
    send_queue& operator=(const send_queue&) = delete;
    ~send_queue() {
        while (!empty())
            pop();
        shrink_if_empty();
    }

    std::size_t limit() const noexcept { return limit_; }
    // Every entry, counted or not.
    std::size_t size() const noexcept { return size_; }
    // The entries that count against the limit.
    std::size_t counted() const noexcept { return counted_; }
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return counted_ >= limit_; }

    // Appends `value` unless the queue already holds `limit` counted entries; false when full.
    bool try_push(T value) {
        if (full())
            return false;
        push(std::move(value));
        return true;
    }

    // Appends regardless of the limit (history replay on join, which the room sizes; control
    // frames).
    void push(T value) {
        if (size_ == slots_.size())
            grow();
        if (send_queue_traits<T>::counted(value))
            ++counted_;
        slots_[index(size_)] = std::move(value);
        ++size_;
    }

    T& front() noexcept { return slots_[head_]; }
    // The i-th oldest entry (0 is the front); i < size().
    T& operator[](std::size_t i) noexcept { return slots_[index(i)]; }

    void pop() {
        if (send_queue_traits<T>::counted(slots_[head_]))
            --counted_;
        slots_[head_] = T{};
        head_ = head_ + 1 == slots_.size() ? 0 : head_ + 1;
        --size_;
        if (size_ == 0)
            head_ = 0;
    }

    // Removes the n oldest entries; n <= size().
    void pop(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            pop();
    }

    // Removes every entry but the `keep` oldest; keep <= size().
    void truncate(std::size_t keep) {
        while (size_ > keep) {
            T& last = slots_[index(size_ - 1)];
            if (send_queue_traits<T>::counted(last))
                --counted_;
            last = T{};
            --size_;
        }
        if (size_ == 0)
            head_ = 0;
    }

    // Releases the slots (after a burst, so an idle client goes back to costing nothing).
    void shrink_if_empty() {
        if (size_ == 0 && !slots_.empty()) {
            slot_pool<T>::give(std::move(slots_));
            slots_ = std::vector<T>();
        }
    }

private:
    std::size_t index(std::size_t i) const noexcept {
        const std::size_t at = head_ + i;
        return at >= slots_.size() ? at - slots_.size() : at;
    }

    void grow() {
        std::vector<T> bigger = slot_pool<T>::take(slots_.empty() ? 4 : slots_.size() * 2);
        for (std::size_t i = 0; i < size_; ++i) {
            T& from = slots_[index(i)];
            bigger[i] = std::move(from);
            from = T{};
        }
        if (!slots_.empty())
            slot_pool<T>::give(std::move(slots_));
        slots_ = std::move(bigger);
        head_ = 0;
    }

    std::size_t limit_;
    std::vector<T> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::size_t counted_ = 0;
};

} // namespace chat_server
