// bench_bare_pass: the "fastest possible pass" baseline for CloudTrail ingest.
//
// For every *.json.gz file (args may be files or directories, walked recursively):
// read it, inflate it with ISA-L (isal_inflate, ISAL_GZIP, multi-member aware) into a
// reused, padded buffer, then walk {"Records":[...]} with simdjson On-Demand and pull
// out the fields the SLA engine needs: eventTime, eventSource, eventName, awsRegion,
// recipientAccountId, errorCode, requestID, additionalEventData.customKeyStoreId.
// Nothing is stored: records are classified (ok/server/throttle/client/cks, the rule of
// bench/gen_corpus.py) and counted; a checksum over the extracted values keeps the
// compiler honest. Threads pull files from a shared atomic index.
//
// Usage: bench_bare_pass [--threads N] [--quiet] [--inflate-only] PATH...
// --inflate-only is a diagnostic (read + inflate, no JSON) to split the cost.
// Prints one human line and one JSON line ({"tool":"bare_pass",...}) on stdout.

#include <isa-l/igzip_lib.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace simdjson;

namespace {

enum Cls { kOk, kServer, kThrottle, kClient, kCks, kNumCls };
constexpr std::array<const char*, kNumCls> kClsName = {"ok", "server", "throttle", "client", "cks"};

struct Counters {
  uint64_t files = 0;
  uint64_t records = 0;
  uint64_t errors = 0;  // records carrying errorCode
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;  // uncompressed JSON
  uint64_t kms = 0;
  uint64_t failures = 0;  // files that failed to inflate/parse
  uint64_t checksum = 0;
  std::array<uint64_t, kNumCls> cls{};
  void add(const Counters& o) {
    files += o.files;
    records += o.records;
    errors += o.errors;
    bytes_in += o.bytes_in;
    bytes_out += o.bytes_out;
    kms += o.kms;
    failures += o.failures;
    checksum += o.checksum;
    for (int i = 0; i < kNumCls; ++i) cls[i] += o.cls[i];
  }
};

inline uint64_t mix(uint64_t h, std::string_view s) {
  // FNV-1a over the length and first/last bytes: cheap, but depends on the extracted values.
  h ^= s.size();
  h *= 0x100000001b3ULL;
  if (!s.empty()) {
    h ^= static_cast<unsigned char>(s.front()) | (static_cast<unsigned char>(s.back()) << 8);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// "YYYY-MM-DDTHH:MM:SSZ" -> minutes since 1970 floored to 5 (the SLA bucket); 0 if malformed.
inline int64_t bucket5(std::string_view t) {
  if (t.size() < 16) return 0;
  auto d2 = [&](size_t i) { return (t[i] - '0') * 10 + (t[i + 1] - '0'); };
  int y = d2(0) * 100 + d2(2), m = d2(5), d = d2(8), hh = d2(11), mm = d2(14);
  // days_from_civil (Howard Hinnant)
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  const int64_t minutes = days * 1440 + hh * 60 + mm;
  return minutes - minutes % 5;
}

inline bool is_server(std::string_view e) {
  return e == "KMSInternalException" || e == "DependencyTimeoutException" ||
         e == "KeyUnavailableException" || e == "InternalFailure" || e == "ServiceUnavailable";
}

class Worker {
 public:
  explicit Worker(bool inflate_only) : inflate_only_(inflate_only) {}

  bool process(const std::string& path, Counters& c) {
    if (!read_file(path)) return false;
    c.bytes_in += in_.size();
    size_t n = 0;
    if (!inflate(n)) return false;
    c.bytes_out += n;
    if (inflate_only_) {
      ++c.files;
      c.checksum += out_[n / 2];
      return true;
    }
    return parse(n, c);
  }

 private:
  bool read_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::fseek(f, 0, SEEK_END);
    long sz = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    if (sz < 0) {
      std::fclose(f);
      return false;
    }
    in_.resize(static_cast<size_t>(sz));
    size_t got = sz ? std::fread(in_.data(), 1, in_.size(), f) : 0;
    std::fclose(f);
    return got == in_.size();
  }

  bool ensure(size_t cap) {
    if (out_.size() >= cap + SIMDJSON_PADDING) return true;
    out_.resize(cap + SIMDJSON_PADDING);
    return true;
  }

  // Inflate in_ (one or more gzip members) into out_; n = bytes produced.
  bool inflate(size_t& n) {
    n = 0;
    if (in_.size() < 18) return false;
    uint32_t isize;  // gzip trailer: size mod 2^32 of the last member, a good first guess
    std::memcpy(&isize, in_.data() + in_.size() - 4, 4);
    ensure(std::max<size_t>(isize, in_.size() * 4));
    size_t in_off = 0;
    while (in_off < in_.size()) {
      isal_inflate_init(&st_);
      st_.crc_flag = ISAL_GZIP;
      st_.next_in = in_.data() + in_off;
      st_.avail_in = static_cast<uint32_t>(in_.size() - in_off);
      for (;;) {
        size_t cap = out_.size() - SIMDJSON_PADDING;
        if (cap - n < (1u << 16)) {
          ensure(cap * 2);
          cap = out_.size() - SIMDJSON_PADDING;
        }
        st_.next_out = out_.data() + n;
        st_.avail_out = static_cast<uint32_t>(std::min<size_t>(cap - n, UINT32_MAX));
        uint8_t* before = st_.next_out;
        int rc = isal_inflate(&st_);
        n += static_cast<size_t>(st_.next_out - before);
        if (rc != ISAL_DECOMP_OK) return false;
        if (st_.block_state == ISAL_BLOCK_FINISH) break;
        if (st_.avail_in == 0 && st_.avail_out != 0) return false;  // truncated
      }
      in_off = static_cast<size_t>(st_.next_in - in_.data());
      // Skip zero padding some writers append after the last member.
      while (in_off < in_.size() && in_[in_off] == 0) ++in_off;
    }
    std::memset(out_.data() + n, 0, SIMDJSON_PADDING);
    return true;
  }

  bool parse(size_t n, Counters& c) {
    ondemand::document doc;
    if (parser_.iterate(out_.data(), n, out_.size()).get(doc)) return false;
    ondemand::array records;
    if (doc["Records"].get_array().get(records)) return false;
    uint64_t h = 0xcbf29ce484222325ULL;  // per file; files are summed, so order-independent
    for (auto rv : records) {
      ondemand::object rec;
      if (rv.get_object().get(rec)) return false;
      std::string_view event_time, source, name, region, account, error_code, request_id, cks;
      bool has_error = false, has_cks = false;
      for (auto field : rec) {
        ondemand::raw_json_string key;
        if (field.key().get(key)) return false;
        ondemand::value v = field.value();
        // Dispatch on the raw key; keys in CloudTrail never contain escapes.
        if (key == "eventTime") {
          if (v.get_string().get(event_time)) return false;
        } else if (key == "eventSource") {
          if (v.get_string().get(source)) return false;
        } else if (key == "eventName") {
          if (v.get_string().get(name)) return false;
        } else if (key == "awsRegion") {
          if (v.get_string().get(region)) return false;
        } else if (key == "recipientAccountId") {
          if (v.get_string().get(account)) return false;
        } else if (key == "errorCode") {
          if (!v.is_null()) {
            if (v.get_string().get(error_code)) return false;
            has_error = true;
          }
        } else if (key == "requestID") {
          if (v.get_string().get(request_id)) return false;
        } else if (key == "additionalEventData") {
          ondemand::object aed;
          if (v.get_object().get(aed) == SUCCESS) {
            for (auto af : aed) {
              ondemand::raw_json_string ak;
              if (af.key().get(ak)) return false;
              if (ak == "customKeyStoreId") {
                ondemand::value av = af.value();
                if (!av.is_null()) {
                  if (av.get_string().get(cks)) return false;
                  has_cks = true;
                }
              }
            }
          }
        }
        // Every other field is skipped unparsed by On-Demand.
      }
      Cls k = has_cks                               ? kCks
              : !has_error                          ? kOk
              : is_server(error_code)               ? kServer
              : error_code == "ThrottlingException" ? kThrottle
                                                    : kClient;
      ++c.cls[k];
      ++c.records;
      c.errors += has_error;
      c.kms += source == "kms.amazonaws.com";
      h = mix(h, source);
      h = mix(h, name);
      h = mix(h, region);
      h = mix(h, account);
      h = mix(h, request_id);
      h = mix(h, cks);
      h = mix(h, error_code);
      h ^= static_cast<uint64_t>(bucket5(event_time));
      h *= 0x100000001b3ULL;
    }
    c.checksum += h;
    ++c.files;
    return true;
  }

  bool inflate_only_;
  std::vector<uint8_t> in_;
  std::vector<uint8_t> out_;
  inflate_state st_{};
  ondemand::parser parser_{
      64u << 20};  // max document size: 64 MiB (CloudTrail files are far smaller)
};

void collect(const fs::path& p, std::vector<std::string>& out) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    for (auto it =
             fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec)) {
        const std::string s = it->path().string();
        if (s.size() >= 8 && s.compare(s.size() - 8, 8, ".json.gz") == 0) out.push_back(s);
      }
    }
  } else {
    out.push_back(p.string());
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 1;
  bool quiet = false;
  bool inflate_only = false;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a.rfind("--threads=", 0) == 0) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i] + 10)));
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--inflate-only") {
      inflate_only = true;  // diagnostic: read + inflate, no JSON
    } else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: %s [--threads N] [--quiet] [--inflate-only] PATH...  (files or dirs of "
          "*.json.gz)\n",
          argv[0]);
      return 0;
    } else {
      inputs.emplace_back(a);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s [--threads N] PATH...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> files;
  for (const auto& in : inputs) collect(in, files);
  std::sort(files.begin(), files.end());
  // Largest first would balance better; keep path order so runs are comparable with peers.

  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  std::vector<Counters> per(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Worker w(inflate_only);
      for (size_t i; (i = next.fetch_add(1)) < files.size();) {
        if (!w.process(files[i], per[t])) {
          ++per[t].failures;
          std::fprintf(stderr, "bare_pass: failed: %s\n", files[i].c_str());
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Counters c;
  for (const auto& p : per) c.add(p);

  const double mb = static_cast<double>(c.bytes_out) / 1e6;
  if (!quiet) {
    std::printf(
        "bare_pass: %llu files, %llu records (%llu errors), %.1f MB uncompressed in %.3f s, "
        "%.1f MB/s, %.0f records/s, threads=%u, simdjson=%s\n",
        static_cast<unsigned long long>(c.files), static_cast<unsigned long long>(c.records),
        static_cast<unsigned long long>(c.errors), mb, secs, mb / secs, c.records / secs, threads,
        simdjson::get_active_implementation()->name().c_str());
  }
  std::printf("{\"tool\":\"%s\",", inflate_only ? "bare_pass_inflate_only" : "bare_pass");
  std::printf(
      "\"threads\":%u,\"files\":%llu,\"records\":%llu,\"errors\":%llu,"
      "\"kms\":%llu,\"uncompressed_bytes\":%llu,\"compressed_bytes\":%llu,\"seconds\":%.4f,"
      "\"mb_per_s\":%.2f,\"records_per_s\":%.0f,\"classes\":{",
      threads, static_cast<unsigned long long>(c.files), static_cast<unsigned long long>(c.records),
      static_cast<unsigned long long>(c.errors), static_cast<unsigned long long>(c.kms),
      static_cast<unsigned long long>(c.bytes_out), static_cast<unsigned long long>(c.bytes_in),
      secs, mb / secs, c.records / secs);
  for (int i = 0; i < kNumCls; ++i)
    std::printf("%s\"%s\":%llu", i ? "," : "", kClsName[i],
                static_cast<unsigned long long>(c.cls[i]));
  std::printf("},\"failures\":%llu,\"checksum\":\"%016llx\"}\n",
              static_cast<unsigned long long>(c.failures),
              static_cast<unsigned long long>(c.checksum));
  return c.failures ? 1 : 0;
}
