// A room's history: a fixed-capacity ring buffer that keeps the newest `capacity` entries and
// hands them out oldest first (SPEC.md HIST-1, HIST-2, ORD-4).
#pragma once

#include <cstddef> // size_t
#include <utility> // move
#include <vector>  // vector

namespace chat_server {

template <class T> class history {
public:
    // The storage is allocated once, on the first push (a room nobody has written to holds
    // none: 1,600 bytes at HISTORY_LIMIT 100); later pushes never allocate.
    explicit history(std::size_t capacity) : capacity_(capacity) {}

    std::size_t capacity() const noexcept { return capacity_; }
    std::size_t size() const noexcept { return slots_.size(); }
    bool empty() const noexcept { return slots_.empty(); }
    bool full() const noexcept { return slots_.size() == capacity_; }

    // Appends `value`; when full, it overwrites the oldest entry.
    void push(T value) {
        if (capacity_ == 0)
            return;
        if (slots_.size() < capacity_) {
            if (slots_.empty())
                slots_.reserve(capacity_);
            slots_.push_back(std::move(value));
            return;
        }
        slots_[oldest_] = std::move(value);
        oldest_ = (oldest_ + 1) % capacity_;
    }

    // Calls f(entry) for every entry, oldest first.
    template <class F> void for_each(F&& f) const {
        const std::size_t n = slots_.size();
        for (std::size_t i = 0; i < n; ++i)
            f(slots_[(oldest_ + i) % n]);
    }

    // A copy of the entries, oldest first.
    std::vector<T> snapshot() const {
        std::vector<T> out;
        out.reserve(slots_.size());
        for_each([&](const T& v) { out.push_back(v); });
        return out;
    }

private:
    std::size_t capacity_;
    std::vector<T> slots_;   // takes capacity_ on the first push, then is overwritten in place
    std::size_t oldest_ = 0; // index of the oldest entry once full
};

} // namespace chat_server
