// A vector that keeps its first N elements inside the object and spills to the heap beyond.
// An allocation's permissions and channels live here: a client uses one to a few of each, so
// the data path finds them in the allocation's own cache lines instead of behind a pointer,
// and an allocation costs no heap blocks for them. Only for trivially copyable T.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

namespace ferry::turn {

template <typename T, std::size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(N > 0);

 public:
  SmallVector() = default;
  SmallVector(const SmallVector&) = delete;
  SmallVector& operator=(const SmallVector&) = delete;
  // Moved with its allocation to another worker (RFC 8016 mobility); `o` is left empty.
  SmallVector(SmallVector&& o) noexcept { take(o); }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) take(o);
    return *this;
  }
  ~SmallVector() = default;

  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }

  void push_back(const T& v) {
    if (size_ == capacity()) grow();
    data()[size_++] = v;
  }

  // Removes every element for which `pred` is true, keeping the order of the rest.
  template <typename Pred>
  std::size_t erase_if(Pred pred) {
    T* d = data();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (!pred(d[i])) d[kept++] = d[i];
    }
    std::size_t removed = size_ - kept;
    size_ = kept;
    return removed;
  }

 private:
  T* data() { return heap_ ? heap_.get() : reinterpret_cast<T*>(inline_); }
  const T* data() const { return heap_ ? heap_.get() : reinterpret_cast<const T*>(inline_); }
  std::size_t capacity() const { return heap_ ? heap_capacity_ : N; }

  void take(SmallVector& o) {
    heap_ = std::move(o.heap_);
    heap_capacity_ = o.heap_capacity_;
    size_ = o.size_;
    if (!heap_) std::memcpy(static_cast<void*>(inline_), o.inline_, size_ * sizeof(T));
    o.size_ = 0;
    o.heap_capacity_ = 0;
  }

  void grow() {
    std::size_t cap = capacity() * 2;
    auto bigger = std::make_unique_for_overwrite<T[]>(cap);
    std::memcpy(static_cast<void*>(bigger.get()), data(), size_ * sizeof(T));
    heap_ = std::move(bigger);
    heap_capacity_ = static_cast<std::uint32_t>(cap);
  }

  alignas(T) unsigned char inline_[N * sizeof(T)];
  std::unique_ptr<T[]> heap_;
  std::uint32_t size_ = 0;
  std::uint32_t heap_capacity_ = 0;
};

}  // namespace ferry::turn
