// Deterministic randomness for the demo generator: splitmix64 and integer-only
// draws, so the output depends neither on the standard library's distributions
// nor on libm. Internal to recoup_demo.
//
// Every stream is seeded from (seed, a label naming what it draws for), so a
// change to one part of the scenario leaves the other parts' bytes as they were.
// Rng is thread-compatible; the free functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace recoup::demo {

// The splitmix64 finaliser.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A 64-bit hash of `s` under `seed` (FNV-1a, mixed): the seed of a stream.
uint64_t HashString(uint64_t seed, std::string_view s);

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9E3779B97F4A7C15ULL); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  // True with probability num/den.
  bool Chance(uint64_t num, uint64_t den) { return Below(den) < num; }

 private:
  uint64_t state_;
};

inline constexpr std::string_view kHex = "0123456789abcdef";
inline constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
inline constexpr std::string_view kAlnum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
inline constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// `n` characters drawn uniformly from `alphabet` (non-empty).
std::string RandomChars(Rng& rng, std::string_view alphabet, int n);

// A version-4 UUID in lower-case hex, e.g. "0f8fad5b-d9cb-469f-a165-70867728950e".
std::string Uuid(Rng& rng);

}  // namespace recoup::demo
