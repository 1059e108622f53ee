// Fuzzes ingest::RecordStream, the splitter every evidence byte goes through.
//
// Invariants:
//   * each record is a contiguous piece of the input, in input order, starting
//     with '{' and ending with a closing bracket; indexes count 0, 1, 2...; lines are
//     1-based, non-decreasing and within the input;
//   * capacity >= size + 64 and all `capacity` bytes are addressable (simdjson
//     reads that far);
//   * the records, line numbers and error messages do not depend on how the
//     byte source splits its reads (gzip and pipes return short reads);
//   * with a tiny record limit, no record larger than the limit plus the
//     buffered bytes is returned (memory stays bounded);
//   * the stream ends (libFuzzer's -timeout catches a hang).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "recoup/ingest/record_stream.h"
#include "recoup/io/byte_source.h"

namespace {

using recoup::fuzz::Addressable;
using recoup::fuzz::Escape;

struct Rec {
  std::string json;
  int64_t line, index;
  bool operator==(const Rec&) const = default;
};

struct Run {
  std::vector<Rec> records;
  std::vector<std::string> errors;
  bool ok = true;
  std::string status;
};

Run Drain(std::string_view input, recoup::io::ByteSource* src, size_t max_record,
          recoup::io::Buffer* buffer) {
  Run run;
  recoup::ingest::RecordStream rs(
      src, "in", [&](const std::string& m) { run.errors.push_back(m); }, max_record, buffer);
  int64_t lines = 1;
  for (char c : input) lines += c == '\n';
  size_t cursor = 0;
  int64_t prev_line = 1;
  for (;;) {
    recoup::ingest::RawRecord r;
    auto more = rs.Next(&r);
    if (!more.ok()) {
      run.ok = false;
      run.status = more.status().ToString();
      break;
    }
    if (!*more) break;
    FUZZ_CHECK(!r.json.empty(), "empty record");
    // Only strings and brackets are tracked ("{...]" is for the JSON parser to reject).
    FUZZ_CHECK(r.json.front() == '{' && (r.json.back() == '}' || r.json.back() == ']'),
               "record '%s' is not {...}", Escape(r.json).c_str());
    FUZZ_CHECK(r.capacity >= r.json.size() + 64, "capacity %zu < size %zu + 64", r.capacity,
               r.json.size());
    FUZZ_CHECK(Addressable(r.json.data(), r.capacity), "capacity %zu not addressable", r.capacity);
    FUZZ_CHECK(r.index == static_cast<int64_t>(run.records.size()), "index %lld, expected %zu",
               static_cast<long long>(r.index), run.records.size());
    FUZZ_CHECK(r.line >= prev_line && r.line <= lines, "line %lld (previous %lld, %lld lines)",
               static_cast<long long>(r.line), static_cast<long long>(prev_line),
               static_cast<long long>(lines));
    prev_line = r.line;
    const size_t at = input.find(r.json, cursor);
    FUZZ_CHECK(at != std::string_view::npos, "record '%s' is not a piece of the input after %zu",
               Escape(r.json).c_str(), cursor);
    cursor = at + r.json.size();
    FUZZ_CHECK(rs.bytes_read() <= static_cast<int64_t>(input.size()), "bytes_read too large");
    run.records.push_back({std::string(r.json), r.line, r.index});
  }
  for (const std::string& e : run.errors) {
    FUZZ_CHECK(e.rfind("in:", 0) == 0, "error message does not name the stream: %s",
               Escape(e).c_str());
  }
  return run;
}

void Compare(const Run& a, const Run& b, const char* what) {
  FUZZ_CHECK(a.ok == b.ok, "%s: status differs: '%s' vs '%s'", what, a.status.c_str(),
             b.status.c_str());
  FUZZ_CHECK(a.records.size() == b.records.size(), "%s: %zu records vs %zu", what, a.records.size(),
             b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    FUZZ_CHECK(a.records[i] == b.records[i],
               "%s: record %zu differs: '%s' (line %lld) vs '%s' (line %lld)", what, i,
               Escape(a.records[i].json).c_str(), static_cast<long long>(a.records[i].line),
               Escape(b.records[i].json).c_str(), static_cast<long long>(b.records[i].line));
  }
  FUZZ_CHECK(a.errors == b.errors, "%s: error messages differ (%zu vs %zu): first '%s' vs '%s'",
             what, a.errors.size(), b.errors.size(),
             a.errors.empty() ? "" : Escape(a.errors[0]).c_str(),
             b.errors.empty() ? "" : Escape(b.errors[0]).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Buffers reused across inputs, as ingest reuses one across files (and a
  // fresh 512 KiB buffer per stream costs an mmap under ASan). One input in
  // eight takes the stream's own buffer instead.
  static recoup::io::Buffer shared[3];
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t seed = recoup::fuzz::Hash(input);

  // Whole reads, as from a file.
  auto mem = recoup::io::FromMemory(input);
  const Run whole = Drain(input, mem.get(), 16u << 20, seed % 8 == 0 ? nullptr : &shared[0]);

  // Short reads of 1..16 bytes: same result.
  recoup::fuzz::ChunkedSource chunked(input, seed, 16);
  const Run pieces = Drain(input, &chunked, 16u << 20, &shared[1]);
  Compare(whole, pieces, "1..16-byte reads vs whole reads");

  // A tiny record limit: oversize records are skipped, memory stays bounded.
  constexpr size_t kTinyLimit = 32;
  recoup::fuzz::ChunkedSource chunked2(input, seed * 31, 64);
  const Run tiny = Drain(input, &chunked2, kTinyLimit, &shared[2]);
  for (const Rec& r : tiny.records) {
    // The limit is checked between scanner steps; one step covers at most the
    // bytes buffered by one read (here at most 64).
    FUZZ_CHECK(r.json.size() <= kTinyLimit + 64 + 1, "record of %zu bytes passed a %zu-byte limit",
               r.json.size(), kTinyLimit);
  }
  return 0;
}
