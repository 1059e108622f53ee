#include "recoup/core/content_hash.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <cstdio>

// Header-only, internal linkage (the distribution's library is built without
// vector code).
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace recoup {

ContentHash::ContentHash() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

ContentHash::~ContentHash() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void ContentHash::Update(const void* data, size_t n) {
  if (n == 0) return;
  if (length_ < kHeadBytes) {
    const size_t head = static_cast<size_t>(std::min<uint64_t>(n, kHeadBytes - length_));
    XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, head);
  }
  crc_ = crc32_gzip_refl(crc_, static_cast<const unsigned char*>(data), n);
  length_ += n;
}

std::string ContentHash::HexDigest() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  char buf[96];
  std::snprintf(
      buf, sizeof buf, "%llu-%08x-%016llx%016llx", static_cast<unsigned long long>(length_), crc_,
      static_cast<unsigned long long>(h.high64), static_cast<unsigned long long>(h.low64));
  return buf;
}

}  // namespace recoup
