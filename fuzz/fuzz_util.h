// Helpers shared by the libFuzzer harnesses (R27). Harness-only code: never
// linked into recoup itself.
#pragma once

#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "recoup/io/byte_source.h"

// An invariant every input must keep. On failure: print and abort, so
// libFuzzer records the input as a crash.
#define FUZZ_CHECK(cond, ...)                                                           \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                \
      std::fprintf(stderr, "\n");                                                       \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace recoup::fuzz {

// True when [p, p+n) is addressable memory (ASan knows every heap byte).
inline bool Addressable(const void* p, size_t n) {
  return n == 0 || __asan_region_is_poisoned(const_cast<void*>(p), n) == nullptr;
}

// FNV-1a: a deterministic seed for read-size patterns, derived from the input
// so a crash reproduces from the input alone.
inline uint64_t Hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A memory source that answers each Read with a small, input-derived number
// of bytes (1..max_step), as gzip, pipes and sockets do. A reader's output
// must not depend on where reads split the input.
class ChunkedSource final : public io::ByteSource {
 public:
  ChunkedSource(std::string_view data, uint64_t seed, size_t max_step)
      : data_(data), state_(seed | 1), max_step_(std::max<size_t>(max_step, 1)) {}

  Result<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return size_t{0};
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const size_t step = 1 + static_cast<size_t>(state_ % max_step_);
    const size_t k = std::min({n, step, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  uint64_t state_;
  size_t max_step_;
};

// Copies `data` to a heap block holding exactly `padding` readable bytes
// after it, so ASan flags any read past the padding a parser may assume.
class PaddedCopy {
 public:
  PaddedCopy(std::string_view data, size_t padding)
      : size_(data.size()), capacity_(data.size() + padding), buf_(new char[capacity_]) {
    std::memcpy(buf_, data.data(), size_);
    std::memset(buf_ + size_, ' ', padding);
  }
  ~PaddedCopy() { delete[] buf_; }
  PaddedCopy(const PaddedCopy&) = delete;
  PaddedCopy& operator=(const PaddedCopy&) = delete;
  std::string_view view() const { return {buf_, size_}; }
  size_t capacity() const { return capacity_; }

 private:
  size_t size_, capacity_;
  char* buf_;
};

// Printable form of a byte string for invariant messages (truncated).
inline std::string Escape(std::string_view s, size_t max = 200) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace recoup::fuzz
