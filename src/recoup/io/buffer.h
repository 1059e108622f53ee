// A growable byte buffer that is not zero-filled, for reuse across files on
// hot paths (a std::vector<char> would memset every allocation).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace recoup::io {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t n) { Reserve(n, 0); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }

  // Makes the buffer at least n bytes long, keeping the first `keep` bytes.
  void Reserve(size_t n, size_t keep) {
    if (n <= size_) return;
    size_t cap = size_ == 0 ? n : size_;
    while (cap < n) cap *= 2;
    auto fresh = std::make_unique_for_overwrite<char[]>(cap);
    if (keep > 0) std::memcpy(fresh.get(), data_.get(), keep);
    data_ = std::move(fresh);
    size_ = cap;
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

}  // namespace recoup::io
