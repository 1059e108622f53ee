// Identifies evidence content regardless of its wrapping, so that a .json.gz
// and its unpacked copy are recognised as the same file.
//
// The identity is (length, CRC-32 of all the content, XXH3-128 of its first
// 64 KiB). CRC-32 (ISA-L, run-time dispatched, tens of GB/s) covers every byte;
// the strong hash covers the head, where every CloudTrail file differs (record
// IDs, times). Hashing every byte with XXH3 cost 11% of ingest time. Not a
// security boundary: the SHA-256 of the stored bytes is kept for that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace recoup {

class ContentHash {
 public:
  static constexpr uint64_t kHeadBytes = 64 << 10;

  ContentHash();
  ~ContentHash();
  ContentHash(const ContentHash&) = delete;
  ContentHash& operator=(const ContentHash&) = delete;

  void Update(const void* data, size_t n);
  std::string HexDigest() const;  // "<len>-<crc32>-<xxh3-128 of head>"

 private:
  void* state_;
  uint64_t length_ = 0;
  uint32_t crc_ = 0;
};

}  // namespace recoup
