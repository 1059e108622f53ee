// Reads one evidence file (plain or gzip, any supported shape) into a
// partial aggregate. Bad records are counted and described, never fatal;
// good records around them are kept. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/aggregation/aggregator.h"
#include "recoup/core/sha256.h"
#include "recoup/core/status.h"
#include "recoup/ingest/access_log.h"
#include "recoup/ingest/record_parser.h"
#include "recoup/io/buffer.h"
#include "recoup/io/byte_source.h"

namespace recoup::ingest {

struct FileResult {
  std::string path;
  std::string sha256;        // of the file's bytes as stored (compressed if gzip)
  std::string content_hash;  // of the uncompressed content: the same records in
                             // another wrapping (gzip or not) are the same file
  int64_t file_bytes = 0;
  int64_t json_bytes = 0;           // uncompressed bytes read
  int64_t records = 0;              // top-level records found
  int64_t accepted = 0;             // events of a covered service
  int64_t skipped = 0;              // valid records that are not evidence (other services, ...)
  int64_t rejected = 0;             // invalid records + skipped garbage/oversize pieces
  std::vector<std::string> errors;  // the first kMaxErrors messages, "file:line: ..."
  int64_t error_count = 0;
  Status stream_status;            // non-OK if the file itself failed part-way (truncated gzip)
  int64_t records_yielded = 0;     // whole records found (what a repaired copy may skip)
  int64_t superseded_records = 0;  // records skipped: already counted from a damaged copy
  aggregation::Aggregator agg;
};

class FileIngester {
 public:
  static constexpr size_t kMaxErrors = 20;
  // Files up to this size (uncompressed) are parsed as one document; larger
  // ones are streamed record by record, so memory stays bounded.
  static constexpr size_t kWholeDocumentMax = 8u << 20;

  FileIngester(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options,
               int64_t interval_ms);

  // The SHA-256 of a file's stored bytes.
  static Result<std::string> HashFile(const std::string& path, int64_t* size);

  // Parses the whole file into `out`, hashing its stored bytes on the way
  // (out->sha256). The first `skip_records` whole records are not counted
  // (they were counted from a damaged earlier copy of this file). Returns
  // non-OK only if the file cannot be opened.
  Status Ingest(const std::string& path, FileResult* out, int64_t skip_records = 0);

  // The same for a file's stored bytes held in memory (e.g. an S3 object):
  // `name` labels messages and becomes out->path. Always OK.
  Status IngestBytes(std::string_view data, const std::string& name, FileResult* out,
                     int64_t skip_records = 0);

  // The same for stored bytes that arrive as a stream (e.g. an S3 object's
  // body through an io::Pipe), never held whole in memory. If the content
  // is damaged (corrupt gzip), the rest of the stream is still read so that
  // out->sha256 covers all the stored bytes. Returns non-OK only if `raw`
  // itself fails (then `out` must be discarded).
  Status IngestStream(io::ByteSource* raw, const std::string& name, FileResult* out,
                      int64_t skip_records = 0);

  // The content hash of the first `prefix_bytes` uncompressed bytes, or of
  // fewer if the file is shorter (then it cannot be the repaired copy).
  static Result<std::string> PrefixContentHash(const std::string& path, int64_t prefix_bytes);

 private:
  // `src` yields the uncompressed content while feeding the stored bytes to
  // `hash`; `rehash` hashes all the stored bytes when the stream stopped early.
  Status IngestFrom(std::unique_ptr<io::ByteSource> src, Sha256* hash, const std::string& path,
                    FileResult* out, int64_t skip_records,
                    const std::function<Result<std::string>()>& rehash);

  // A text access log, line by line, from `content` (the whole file's
  // uncompressed bytes, as they stream).
  void IngestLines(AccessLogFormat format, io::ByteSource* content, const std::string& path,
                   FileResult* out, int64_t skip_records);

  std::shared_ptr<const sla::Catalog> catalog_;
  ParserOptions options_;
  RecordParser parser_;
  int64_t interval_ms_;
  io::Buffer record_buf_, gzip_buf_, doc_buf_;  // reused across files
};

}  // namespace recoup::ingest
