// Fuzzes io::Gunzip, the ISA-L inflater that every .json.gz log goes through.
//
// 1. The input as a gzip stream (all members), read until 0 or an error with
//    input-derived short reads on both sides. zlib is the reference: when
//    both finish, the bytes must match; when zlib decodes the whole stream,
//    ISA-L must too, and when zlib rejects it, ISA-L must not accept it
//    (except reserved gzip header flag bits, which ISA-L ignores).
// 2. The input as payload: gzip it with zlib (as one or two members), inflate
//    it back (bytes must match, status OK), and inflate a truncated copy
//    (must end in DATA_LOSS, after a prefix of the payload).
// Output is capped so a small bomb cannot time out a run.
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/io/byte_source.h"

namespace {

using recoup::fuzz::ChunkedSource;
using recoup::fuzz::Escape;

constexpr size_t kCap = 4u << 20;

struct Out {
  std::string bytes;
  bool ok = true;  // ended with Read() == 0
  bool capped = false;
  bool lenient_ok = false;  // zlib rejected only what ISA-L tolerates by design
  recoup::StatusCode code = recoup::StatusCode::kOk;
  std::string message;
};

// Reads the inflater until 0, an error or the cap, with varying read sizes.
Out Inflate(std::string_view gz, uint64_t seed) {
  static recoup::io::Buffer scratch;  // reused as ingest does; every 4th run uses its own
  Out out;
  auto src = recoup::io::Gunzip(std::make_unique<ChunkedSource>(gz, seed, 700), "in.gz",
                                seed % 4 == 0 ? nullptr : &scratch);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  std::string buf(65536, '\0');
  for (;;) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    const size_t pick = s % 8;
    const size_t n = pick < 5 ? 1 + (s >> 8) % 64 : pick == 5 ? 4096 : 65536;
    auto r = src->Read(buf.data(), n);
    if (!r.ok()) {
      out.ok = false;
      out.code = r.status().code();
      out.message = r.status().message();
      FUZZ_CHECK(out.code == recoup::StatusCode::kDataLoss, "error is not DATA_LOSS: %s",
                 r.status().ToString().c_str());
      FUZZ_CHECK(out.message.rfind("in.gz: ", 0) == 0, "error does not name the stream: %s",
                 out.message.c_str());
      break;
    }
    FUZZ_CHECK(*r <= n, "Read returned %zu > %zu", *r, n);
    if (*r == 0) {
      // End of input must be sticky.
      auto again = src->Read(buf.data(), n);
      FUZZ_CHECK(again.ok() && *again == 0, "Read after end returned more");
      break;
    }
    out.bytes.append(buf.data(), *r);
    if (out.bytes.size() >= kCap) {
      out.capped = true;
      break;
    }
  }
  return out;
}

// zlib reference: all gzip members back to back; nothing else may follow.
Out ZlibInflate(std::string_view gz) {
  Out out;
  if (gz.empty()) {
    out.ok = false;
    return out;
  }
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string buf(65536, '\0');
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf.data());
    z.avail_out = static_cast<uInt>(buf.size());
    const int ret = inflate(&z, Z_NO_FLUSH);
    out.bytes.append(buf.data(), buf.size() - z.avail_out);
    if (out.bytes.size() >= kCap) {
      out.capped = true;
      break;
    }
    if (ret == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // another member
      continue;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && z.avail_out != 0 && z.avail_in == 0) {  // truncated
      out.ok = false;
      break;
    }
    if (ret == Z_BUF_ERROR) continue;
    out.ok = false;  // Z_DATA_ERROR, Z_MEM_ERROR, ...
    // RFC 1952 wants reserved FLG bits rejected; zlib does, ISA-L ignores
    // them (the payload CRC is still checked). Not a recoup decision.
    out.lenient_ok = z.msg != nullptr && std::string_view(z.msg) == "unknown header flags set";
    break;
  }
  inflateEnd(&z);
  return out;
}

std::string Gzip(std::string_view payload, int level) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, payload.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&z, Z_FINISH);
  FUZZ_CHECK(ret == Z_STREAM_END, "zlib deflate failed: %d", ret);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t seed = recoup::fuzz::Hash(input);

  // 1. The input is a gzip stream.
  {
    const Out isal = Inflate(input, seed);
    const Out ref = ZlibInflate(input);
    const size_t common = std::min(isal.bytes.size(), ref.bytes.size());
    if (isal.ok && ref.ok && !isal.capped && !ref.capped) {
      FUZZ_CHECK(isal.bytes == ref.bytes, "ISA-L and zlib inflate to different bytes (%zu vs %zu)",
                 isal.bytes.size(), ref.bytes.size());
    } else if (ref.ok && !ref.capped && !isal.capped) {
      FUZZ_CHECK(false, "zlib decodes the stream (%zu bytes), ISA-L fails after %zu: %s",
                 ref.bytes.size(), isal.bytes.size(), isal.message.c_str());
    } else if (isal.ok && !isal.capped && !ref.capped && !ref.lenient_ok) {
      FUZZ_CHECK(false, "ISA-L accepts a stream zlib rejects (%zu bytes out)", isal.bytes.size());
    }
    if (isal.ok || ref.ok) {
      // What one inflater produced before the other stopped must agree.
      FUZZ_CHECK(isal.bytes.compare(0, common, ref.bytes, 0, common) == 0,
                 "ISA-L and zlib outputs differ within the first %zu bytes", common);
    }
  }

  // 2. The input is the payload.
  {
    const int level = static_cast<int>(seed % 10);
    std::string gz;
    const size_t split = size == 0 ? 0 : static_cast<size_t>((seed >> 8) % (size + 1));
    size_t boundary = std::string::npos;  // end of the first member, if two
    if ((seed >> 40) & 1) {
      gz = Gzip(input.substr(0, split), level);
      boundary = gz.size();
      gz += Gzip(input.substr(split), 9 - level);
    } else {
      gz = Gzip(input, level);
    }
    const Out back = Inflate(gz, seed ^ 0x5555);
    FUZZ_CHECK(back.ok, "inflating zlib's gzip of %zu bytes failed: %s", size,
               back.message.c_str());
    FUZZ_CHECK(back.bytes == input, "round trip changed the bytes (%zu -> %zu)", size,
               back.bytes.size());

    // Any truncation must be an error, after a prefix of the payload (a cut
    // between members leaves a complete, shorter stream).
    const size_t cut = static_cast<size_t>((seed >> 16) % gz.size());  // keeps < all bytes
    if (cut == boundary) return 0;
    const Out part = Inflate(std::string_view(gz).substr(0, cut), seed ^ 0xAAAA);
    FUZZ_CHECK(!part.ok, "a gzip stream cut to %zu of %zu bytes was accepted (%zu bytes out)", cut,
               gz.size(), part.bytes.size());
    FUZZ_CHECK(input.substr(0, part.bytes.size()) == part.bytes,
               "truncated stream produced bytes that are not a payload prefix: '%s'",
               Escape(part.bytes).c_str());
  }
  return 0;
}
