// Fuzzes billing::ReadCurFile, the Cost and Usage Report CSV reader. The
// input is written to an in-memory file (memfd; a temp file if that fails)
// and read by path, as recoup reads a downloaded report.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * a plain (non-gzip) file gives OK or INVALID_ARGUMENT, never DATA_LOSS;
//   * the result is consistent: rows >= matched + rejected, errors capped at
//     1,000 (+1 summary) and naming the file, charges sorted by (account,
//     Region, month) without duplicates, each with an account, a currency, a
//     valid month and at least one line item, line items summing to at most
//     matched_rows, and region-less groups holding no charges;
//   * the same bytes gzipped give exactly the same result.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>

#include "fuzz_util.h"
#include "recoup/billing/cur_reader.h"

namespace {

using recoup::billing::CurReadResult;
using recoup::billing::KmsCharge;
using recoup::fuzz::Escape;

// One reusable file; its path stays the same so messages compare equal.
class ScratchFile {
 public:
  ScratchFile() {
    fd_ = memfd_create("recoup-fuzz-cur", 0);
    if (fd_ >= 0) {
      path_ = "/proc/self/fd/" + std::to_string(fd_);
    } else {
      const char* tmp = std::getenv("TMPDIR");
      path_ = std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/recoup-fuzz-cur-" +
              std::to_string(getpid()) + ".csv";
    }
  }
  ~ScratchFile() {
    if (fd_ >= 0)
      close(fd_);
    else
      std::remove(path_.c_str());
  }
  void Write(std::string_view bytes) {
    if (fd_ >= 0) {
      FUZZ_CHECK(ftruncate(fd_, 0) == 0, "ftruncate failed");
      size_t done = 0;
      while (done < bytes.size()) {
        const ssize_t n =
            pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        FUZZ_CHECK(n > 0, "pwrite failed");
        done += static_cast<size_t>(n);
      }
      return;
    }
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    FUZZ_CHECK(f != nullptr, "cannot create %s", path_.c_str());
    FUZZ_CHECK(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size(), "short write");
    std::fclose(f);
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

std::string Gzip(std::string_view payload) {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, payload.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate failed");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void CheckResult(const CurReadResult& r, const std::string& path) {
  FUZZ_CHECK(
      r.format == recoup::billing::kCurFormatLegacy || r.format == recoup::billing::kCurFormat2,
      "format '%s'", r.format.c_str());
  FUZZ_CHECK(r.rows >= 0 && r.matched_rows >= 0 && r.rejected_rows >= 0, "negative counts");
  FUZZ_CHECK(r.rows >= r.matched_rows + r.rejected_rows, "rows %lld < matched %lld + rejected %lld",
             static_cast<long long>(r.rows), static_cast<long long>(r.matched_rows),
             static_cast<long long>(r.rejected_rows));
  const size_t listed = static_cast<size_t>(std::min<int64_t>(r.rejected_rows, 1000));
  FUZZ_CHECK(r.errors.size() == listed + (r.rejected_rows > 1000 ? 1 : 0),
             "%zu errors for %lld rejected rows", r.errors.size(),
             static_cast<long long>(r.rejected_rows));
  for (const std::string& e : r.errors) {
    FUZZ_CHECK(e.rfind(path + ":", 0) == 0, "error does not name the file: %s", Escape(e).c_str());
  }
  int64_t items = 0;
  for (size_t i = 0; i < r.charges.size(); ++i) {
    const KmsCharge& c = r.charges[i];
    FUZZ_CHECK(!c.account.empty(), "charge without an account");
    FUZZ_CHECK(!c.currency.empty(), "charge without a currency");
    FUZZ_CHECK(c.month.month >= 1 && c.month.month <= 12, "month %d", c.month.month);
    FUZZ_CHECK(c.line_items >= 1, "group with %lld line items",
               static_cast<long long>(c.line_items));
    if (c.region.empty()) {
      FUZZ_CHECK(c.unblended == 0, "region-less group with charges %s",
                 c.unblended.get_str().c_str());
    }
    // GMP needs canonical rationals: check every amount is.
    for (const recoup::Rational* q : {&c.unblended, &c.credits, &c.tax}) {
      recoup::Rational copy = *q;
      copy.canonicalize();
      FUZZ_CHECK(copy == *q && cmp(copy.get_den(), 0) > 0, "non-canonical amount %s",
                 q->get_str().c_str());
    }
    items += c.line_items;
    if (i > 0) {
      const KmsCharge& p = r.charges[i - 1];
      FUZZ_CHECK(std::tie(p.account, p.region, p.month) < std::tie(c.account, c.region, c.month),
                 "charges not sorted or duplicated at %zu", i);
    }
  }
  FUZZ_CHECK(items <= r.matched_rows, "%lld line items > %lld matched rows",
             static_cast<long long>(items), static_cast<long long>(r.matched_rows));
}

bool SameCharges(const CurReadResult& a, const CurReadResult& b) {
  if (a.charges.size() != b.charges.size()) return false;
  for (size_t i = 0; i < a.charges.size(); ++i) {
    const KmsCharge& x = a.charges[i];
    const KmsCharge& y = b.charges[i];
    if (x.account != y.account || x.region != y.region || x.month != y.month ||
        x.unblended != y.unblended || x.net_unblended != y.net_unblended ||
        x.credits != y.credits || x.tax != y.tax || x.line_items != y.line_items ||
        x.currency != y.currency) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ScratchFile file;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool looks_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

  file.Write(input);
  auto plain = recoup::billing::ReadCurFile(file.path());
  if (!plain.ok()) {
    FUZZ_CHECK(plain.status().message().rfind(file.path() + ":", 0) == 0,
               "error does not name the file: %s", plain.status().message().c_str());
    if (!looks_gzip) {
      FUZZ_CHECK(plain.status().code() == recoup::StatusCode::kInvalidArgument, "plain CSV gave %s",
                 plain.status().ToString().c_str());
    }
  } else {
    CheckResult(*plain, file.path());
  }
  if (looks_gzip) return 0;

  file.Write(Gzip(input));
  auto gz = recoup::billing::ReadCurFile(file.path());
  FUZZ_CHECK(gz.ok() == plain.ok(), "gzip changes the outcome: %s vs %s",
             gz.ok() ? "OK" : gz.status().ToString().c_str(),
             plain.ok() ? "OK" : plain.status().ToString().c_str());
  if (!gz.ok()) {
    FUZZ_CHECK(gz.status().ToString() == plain.status().ToString(),
               "gzip changes the error: %s vs %s", gz.status().ToString().c_str(),
               plain.status().ToString().c_str());
    return 0;
  }
  FUZZ_CHECK(gz->rows == plain->rows && gz->matched_rows == plain->matched_rows &&
                 gz->rejected_rows == plain->rejected_rows && gz->errors == plain->errors &&
                 gz->format == plain->format,
             "gzip changes the counts or errors");
  FUZZ_CHECK(SameCharges(*gz, *plain), "gzip changes the totals");
  return 0;
}
