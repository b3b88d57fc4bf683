// Bounds-checked big-endian byte reading and writing over caller-owned buffers.
// Neither class allocates: the codec parses in place and serialises into a fixed buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace ferry {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

inline std::string_view as_string(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Reads from a span; every read checks the remaining length first. A failed read sets the
// reader to a sticky error state and returns zeroes, so callers check ok() once at the end.
class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  std::size_t position() const { return pos_; }
  bool ok() const { return ok_; }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return data_[pos_++];
  }
  std::uint16_t u16() {
    if (!need(2)) return 0;
    auto v = load_be16(&data_[pos_]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    auto v = load_be32(&data_[pos_]);
    pos_ += 4;
    return v;
  }
  Bytes bytes(std::size_t n) {
    if (!need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(std::size_t n) { (void)bytes(n); }

 private:
  bool need(std::size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  Bytes data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Writes into a caller-owned buffer; overflow sets a sticky error instead of writing past the end.
class Writer {
 public:
  explicit Writer(MutableBytes buf) : buf_(buf) {}

  bool ok() const { return ok_; }
  std::size_t size() const { return pos_; }
  std::size_t capacity() const { return buf_.size(); }
  std::uint8_t* data() { return buf_.data(); }
  Bytes written() const { return Bytes(buf_.data(), pos_); }

  void u8(std::uint8_t v) {
    if (need(1)) buf_[pos_++] = v;
  }
  void u16(std::uint16_t v) {
    if (!need(2)) return;
    store_be16(&buf_[pos_], v);
    pos_ += 2;
  }
  void u32(std::uint32_t v) {
    if (!need(4)) return;
    store_be32(&buf_[pos_], v);
    pos_ += 4;
  }
  void bytes(Bytes b) {
    if (!need(b.size())) return;
    if (!b.empty()) std::memcpy(&buf_[pos_], b.data(), b.size());
    pos_ += b.size();
  }
  void zeros(std::size_t n) {
    if (!need(n)) return;
    std::memset(&buf_[pos_], 0, n);
    pos_ += n;
  }
  // Marks the writer failed without writing (a value that cannot be encoded).
  void fail() { ok_ = false; }
  // Patch a 16-bit field already written (message and attribute lengths).
  void put16_at(std::size_t at, std::uint16_t v) {
    if (at + 2 <= pos_) store_be16(&buf_[at], v);
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || buf_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  MutableBytes buf_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ferry
