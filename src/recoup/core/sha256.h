// SHA-256 (OpenSSL EVP; uses SHA-NI where the CPU has it). Not thread-safe per
// instance.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace recoup {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  std::string HexDigest();  // finishes; lower-case hex

  static std::string Hex(std::string_view data);

 private:
  void* ctx_;
};

}  // namespace recoup
