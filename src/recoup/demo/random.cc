#include "recoup/demo/random.h"

#include <cstdio>

namespace recoup::demo {

uint64_t HashString(uint64_t seed, std::string_view s) {
  uint64_t h = 1469598103934665603ULL ^ Mix64(seed + 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return Mix64(h);
}

std::string RandomChars(Rng& rng, std::string_view alphabet, int n) {
  std::string s(static_cast<size_t>(n), ' ');
  for (char& c : s) c = alphabet[rng.Below(alphabet.size())];
  return s;
}

std::string Uuid(Rng& rng) {
  uint64_t a = rng.Next(), b = rng.Next();
  a = (a & ~0xF000ULL) | 0x4000ULL;                         // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace recoup::demo
