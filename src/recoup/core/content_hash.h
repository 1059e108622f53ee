// A fast 128-bit hash (XXH3) of content, used to recognise the same evidence
// arriving twice in different wrappings (a .json.gz and its unpacked copy).
// Not a security boundary: the SHA-256 of stored bytes is kept for that.
#pragma once

#include <cstddef>
#include <string>

namespace recoup {

class ContentHash {
 public:
  ContentHash();
  ~ContentHash();
  ContentHash(const ContentHash&) = delete;
  ContentHash& operator=(const ContentHash&) = delete;

  void Update(const void* data, size_t n);
  std::string HexDigest() const;  // 32 lower-case hex characters

 private:
  void* state_;
};

}  // namespace recoup
