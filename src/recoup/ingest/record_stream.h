// Splits a byte stream into top-level JSON records without holding the whole
// stream in memory. It understands, by looking at the bytes:
//   * a wrapper object with a "Records" or "Events" array (CloudTrail log files
//     as delivered to S3, LookupEvents responses): each array element is a record;
//   * a top-level array (records exported as one array): each element;
//   * one or more top-level objects (JSON lines, or a single record).
// It tracks only strings and brackets: a record's validity is for the JSON
// parser to judge. Garbage between records (as in some published AWS examples)
// is skipped and reported with its line. Records larger than the limit are
// skipped and reported. Memory is bounded by the limit plus the read chunk.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/io/byte_source.h"

namespace recoup::ingest {

struct RawRecord {
  std::string_view json;  // valid until the next call; readable padding follows
  size_t capacity = 0;    // bytes readable from json.data() (>= size + 64)
  int64_t line = 0;       // 1-based line where the record starts
  int64_t index = 0;      // 0-based record index in the stream
};

class RecordStream {
 public:
  // Called for every skipped piece of input (garbage, oversize record,
  // unterminated record); the message names the stream and line.
  using ErrorFn = std::function<void(const std::string& message)>;

  // `buffer`, if given, is reused (across files) instead of a fresh one.
  RecordStream(io::ByteSource* source, std::string name, ErrorFn on_error,
               size_t max_record_bytes = 16u << 20, io::Buffer* buffer = nullptr);

  // Returns true and fills `out` with the next record; false at end of input.
  // A non-OK status means the byte source failed (e.g. truncated gzip); records
  // returned before stay valid evidence.
  Result<bool> Next(RawRecord* out);

  int64_t bytes_read() const { return bytes_read_; }
  int64_t records_yielded() const { return index_; }

 private:
  enum class Ctx : uint8_t { kTop, kWrapper, kArray };
  // Matching "Records"/"Events" at depth 1 of a top-level object.
  enum class KeyState : uint8_t { kNone, kAfterKey, kAfterColon };
  // How a string body scan stopped.
  enum class StringEnd : uint8_t { kClosed, kCut, kMore };
  // One piece of input scanned from a '{' (see ScanRecord).
  struct Piece {
    size_t start = 0;  // offset of the '{' in buf_ (not kept once oversize)
    int64_t start_line = 0;
    int depth = 0;          // brackets still open: > 0 if input ended inside
    bool oversize = false;  // longer than max_record_
    bool cut = false;       // a JSON-lines record broken by a newline
    bool wrapper = false;   // a top-level object whose "Records"/"Events" array opened
  };
  enum class Finished : uint8_t { kYielded, kSkipped, kEnded };

  Result<bool> Fill();
  Result<bool> Refill(size_t keep_from);
  Result<bool> RefillKeeping(Piece* piece);
  Result<bool> SkipToRecord();
  Status SkipWrapperRest();
  Status SkipGarbage();
  Result<Piece> ScanRecord();
  bool StepAfterKey(KeyState* state);
  StringEnd ScanString();
  bool ClosedWrapperKey(size_t start) const;
  void MarkOversize(Piece* piece) const;
  Finished Finish(const Piece& piece, RawRecord* out);
  void Report(const std::string& what, int64_t line);

  io::ByteSource* source_;
  std::string name_;
  ErrorFn on_error_;
  size_t max_record_;
  io::Buffer own_;
  io::Buffer& buf_;
  size_t begin_ = 0, pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t line_ = 1;
  int64_t index_ = 0;
  int64_t bytes_read_ = 0;
  // Container the scanner is in between records.
  Ctx ctx_ = Ctx::kTop;
  int wrapper_depth_ = 0;   // nesting inside a wrapper object while skipping its other keys
  bool line_mode_ = false;  // JSON lines: a record may not span lines
  bool line_mode_known_ = false;
};

}  // namespace recoup::ingest
