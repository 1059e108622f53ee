#include "recoup/ingest/file_ingester.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "recoup/core/clock.h"
#include "recoup/core/content_hash.h"
#include "recoup/core/sha256.h"
#include "recoup/core/time.h"
#include "recoup/io/byte_source.h"
#include "recoup/validate/validate.h"

namespace recoup::ingest {

FileIngester::FileIngester(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options,
                           int64_t interval_ms)
    : catalog_(std::move(catalog)),
      options_(std::move(options)),
      parser_(catalog_, options_),
      interval_ms_(interval_ms) {}

namespace {

// The access-log format a file is read in: the one --format names, else the
// one its first bytes show (kAuto), else none (JSON).
std::optional<AccessLogFormat> LineFormat(InputFormat f, std::string_view head) {
  switch (f) {
    case InputFormat::kS3AccessLog:
      return AccessLogFormat::kS3;
    case InputFormat::kApiGatewayAccessLog:
      return AccessLogFormat::kApiGateway;
    case InputFormat::kCloudFrontLog:
      return AccessLogFormat::kCloudFront;
    case InputFormat::kAuto:
      return AccessLogParser::Detect(head);
    default:
      return std::nullopt;
  }
}

}  // namespace

void FileIngester::IngestLines(AccessLogFormat format, io::ByteSource* content,
                               const std::string& path, FileResult* out, int64_t skip_records) {
  AccessLogParser parser(catalog_, format, {options_.default_account, options_.default_region});
  // Every event through the validation layer, as RecordParser does.
  const Clock* clock = options_.clock != nullptr ? options_.clock : &SystemClock();
  const validate::TimeBounds bounds = validate::TimeBounds::For(*catalog_, clock->NowMs());
  const validate::FieldNames names;
  constexpr size_t kMaxLine = size_t{64} * 1024;
  std::string line;
  std::string err;
  events::EventView ev;
  int64_t line_no = 0;
  bool too_long = false;
  char chunk[64 * 1024];
  auto finish_line = [&] {
    ++line_no;
    const int64_t index = out->records_yielded++;
    if (index < skip_records) {
      ++out->superseded_records;
      return;
    }
    ParseOutcome o;
    if (too_long) {
      o = ParseOutcome::kRejected;
      err = "line longer than " + std::to_string(kMaxLine) + " bytes";
    } else {
      o = parser.ParseLine(line, &ev, &err);
    }
    if (o == ParseOutcome::kAccepted) {
      if (Status st = validate::EventFields(ev, names, bounds, *catalog_); !st.ok()) {
        o = ParseOutcome::kRejected;
        err = st.message();
      } else if (options_.series_limit && !options_.series_limit->Admit(ev)) {
        o = ParseOutcome::kRejected;
        err = "series bound reached: more than " +
              std::to_string(options_.series_limit->max_series()) +
              " (account, Region, service) series of this source in " +
              YearMonth::FromMs(ev.time_ms).ToString() + " (--max-series-per-source-month)";
      }
    }
    ++out->records;
    if (o == ParseOutcome::kAccepted) {
      ++out->accepted;
      out->agg.Add(ev);
    } else if (o == ParseOutcome::kSkipped) {
      ++out->skipped;
    } else {
      ++out->rejected;
      ++out->error_count;
      if (out->errors.size() < kMaxErrors) {
        out->errors.push_back(path + ":" + std::to_string(line_no) + ": " +
                              AccessLogFormatName(format) + ": " + err);
      }
    }
    line.clear();
    too_long = false;
  };
  for (;;) {
    auto r = content->Read(chunk, sizeof(chunk));
    if (!r.ok()) {
      out->stream_status = r.status();
      break;
    }
    if (*r == 0) break;
    out->json_bytes += static_cast<int64_t>(*r);
    std::string_view data(chunk, *r);
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view piece = data.substr(0, nl);
      if (!too_long) {
        if (line.size() + piece.size() > kMaxLine) {
          too_long = true;
          line.clear();
        } else {
          line.append(piece);
        }
      }
      if (nl == std::string_view::npos) break;
      finish_line();
      data.remove_prefix(nl + 1);
    }
  }
  if (!line.empty() || too_long) finish_line();
}

Result<std::string> FileIngester::HashFile(const std::string& path, int64_t* size) {
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<io::ByteSource> src, io::OpenFile(path));
  Sha256 h;
  io::Buffer buf(1 << 20);
  int64_t total = 0;
  for (;;) {
    RECOUP_ASSIGN_OR_RETURN(size_t k, src->Read(buf.data(), 1 << 20));
    if (k == 0) break;
    h.Update(buf.data(), k);
    total += static_cast<int64_t>(k);
  }
  if (size != nullptr) *size = total;
  return h.HexDigest();
}

Result<std::string> FileIngester::PrefixContentHash(const std::string& path, int64_t prefix_bytes) {
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<io::ByteSource> src, io::OpenMaybeGzip(path));
  ContentHash h;
  io::Buffer buf(1 << 20);
  int64_t left = prefix_bytes;
  while (left > 0) {
    auto r = src->Read(buf.data(), static_cast<size_t>(std::min<int64_t>(left, 1 << 20)));
    if (!r.ok() || *r == 0) return std::string();  // shorter or damaged: no match
    h.Update(buf.data(), *r);
    left -= static_cast<int64_t>(*r);
  }
  return h.HexDigest();
}

Status FileIngester::Ingest(const std::string& path, FileResult* out, int64_t skip_records) {
  out->path = path;
  out->agg = aggregation::Aggregator(interval_ms_);
  out->agg.set_scopes(options_.scopes.get());
  Sha256 hash;
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<io::ByteSource> src,
                          io::OpenMaybeGzip(path, &hash, &gzip_buf_));
  return IngestFrom(std::move(src), &hash, path, out, skip_records,
                    [&path]() { return HashFile(path, nullptr); });
}

Status FileIngester::IngestBytes(std::string_view data, const std::string& name, FileResult* out,
                                 int64_t skip_records) {
  out->path = name;
  out->agg = aggregation::Aggregator(interval_ms_);
  out->agg.set_scopes(options_.scopes.get());
  Sha256 hash;
  std::unique_ptr<io::ByteSource> src = io::Hashing(io::FromMemory(data), &hash);
  const bool gz = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                  static_cast<unsigned char>(data[1]) == 0x8b;
  if (gz) src = io::Gunzip(std::move(src), name, &gzip_buf_);
  return IngestFrom(std::move(src), &hash, name, out, skip_records,
                    [data]() -> Result<std::string> {
                      Sha256 whole;
                      whole.Update(data.data(), data.size());
                      return whole.HexDigest();
                    });
}

Status FileIngester::IngestStream(io::ByteSource* raw, const std::string& name, FileResult* out,
                                  int64_t skip_records) {
  out->path = name;
  out->agg = aggregation::Aggregator(interval_ms_);
  out->agg.set_scopes(options_.scopes.get());
  Sha256 hash;
  // Every stored byte passes through `hashing` exactly once, whoever reads it.
  std::unique_ptr<io::ByteSource> hashing = io::Hashing(io::Borrow(raw), &hash);
  Status raw_status;
  auto watched = io::Borrow(hashing.get());
  char magic[2];
  size_t got = 0;
  while (got < 2) {
    auto k = watched->Read(magic + got, 2 - got);
    if (!k.ok()) return k.status().WithPrefix(name);
    if (*k == 0) break;
    got += *k;
  }
  const bool gz = got == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                  static_cast<unsigned char>(magic[1]) == 0x8b;
  std::unique_ptr<io::ByteSource> src =
      io::Concat(std::string_view(magic, got), std::move(watched));
  if (gz) src = io::Gunzip(std::move(src), name, &gzip_buf_);
  io::ByteSource* hashing_ptr = hashing.get();
  RECOUP_RETURN_IF_ERROR(IngestFrom(std::move(src), &hash, name, out, skip_records,
                                    [hashing_ptr, &hash, &raw_status]() -> Result<std::string> {
                                      // The content stopped early: read the rest of the stored
                                      // bytes.
                                      char buf[64 << 10];
                                      for (;;) {
                                        auto k = hashing_ptr->Read(buf, sizeof(buf));
                                        if (!k.ok()) {
                                          raw_status = k.status();
                                          return k.status();
                                        }
                                        if (*k == 0) break;
                                      }
                                      return hash.HexDigest();
                                    }));
  return raw_status;
}

Status FileIngester::IngestFrom(std::unique_ptr<io::ByteSource> src, Sha256* hash_ptr,
                                const std::string& path, FileResult* out, int64_t skip_records,
                                const std::function<Result<std::string>()>& rehash) {
  Sha256& hash = *hash_ptr;
  // Every rejected piece counts as a record read, so that
  // records == accepted + skipped + rejected.
  auto on_error = [out](const std::string& msg) {
    ++out->records;
    ++out->rejected;
    ++out->error_count;
    if (out->errors.size() < kMaxErrors) out->errors.push_back(msg);
  };
  // Read up to kWholeDocumentMax bytes: most evidence files fit, and one
  // parse of the whole document is much faster than splitting it.
  constexpr size_t kPad = 64;
  doc_buf_.Reserve(kWholeDocumentMax + kPad, 0);
  size_t len = 0;
  bool eof = false;
  while (len < kWholeDocumentMax) {
    auto r = src->Read(doc_buf_.data() + len, kWholeDocumentMax - len);
    if (!r.ok()) {
      out->stream_status = r.status();
      break;
    }
    if (*r == 0) {
      eof = true;
      break;
    }
    len += *r;
  }
  // Counts an accepted or skipped record.
  auto tally = [out](ParseOutcome o, const events::EventView& e) {
    ++out->records;
    if (o == ParseOutcome::kAccepted) {
      ++out->accepted;
      out->agg.Add(e);
    } else {
      ++out->skipped;
    }
  };
  events::EventView ev;
  std::string err;
  ContentHash content;
  content.Update(doc_buf_.data(), len);
  int64_t json_bytes = static_cast<int64_t>(len);
  bool done = false;
  if (auto lines = LineFormat(options_.format, std::string_view(doc_buf_.data(), len))) {
    std::unique_ptr<io::ByteSource> tail =
        eof || !out->stream_status.ok() ? io::FromMemory({}) : std::move(src);
    tail = io::Observing(std::move(tail),
                         [&content](const char* p, size_t n) { content.Update(p, n); });
    std::unique_ptr<io::ByteSource> rest =
        io::Concat(std::string_view(doc_buf_.data(), len), std::move(tail));
    const Status pending = out->stream_status;
    out->json_bytes = 0;
    IngestLines(*lines, rest.get(), path, out, skip_records);
    json_bytes = out->json_bytes;
    if (!pending.ok()) out->stream_status = pending;
    done = true;
  }
  if (!done && eof && out->stream_status.ok()) {
    std::memset(doc_buf_.data() + len, ' ', kPad);
    bool any_rejected = false;
    done = parser_.ParseDocument(
        doc_buf_.data(), len, doc_buf_.size(),
        [&](ParseOutcome o, const events::EventView& e, const std::string& msg) {
          if (out->records_yielded++ < skip_records) {
            ++out->superseded_records;
            return;
          }
          if (o == ParseOutcome::kRejected) {
            any_rejected = true;
          } else {
            tally(o, e);
          }
        });
    if (done && any_rejected) {
      // A record was rejected: redo the file record by record, so that every
      // message names the line (rare, so the second pass costs nothing).
      done = false;
      out->records = out->accepted = out->skipped = 0;
      out->records_yielded = out->superseded_records = 0;
      out->agg.Clear();
    }
  }
  if (!done) {
    // Not one valid document (JSON lines, damaged, or too large): split it
    // into records so that bad ones are isolated and the rest kept.
    std::unique_ptr<io::ByteSource> tail =
        eof || !out->stream_status.ok() ? io::FromMemory({}) : std::move(src);
    // The first `len` bytes are hashed already; hash the rest as it streams.
    tail = io::Observing(std::move(tail),
                         [&content](const char* p, size_t n) { content.Update(p, n); });
    std::unique_ptr<io::ByteSource> rest =
        io::Concat(std::string_view(doc_buf_.data(), len), std::move(tail));
    const Status pending = out->stream_status;
    RecordStream stream(rest.get(), path, on_error, 16u << 20, &record_buf_);
    RawRecord rec;
    for (;;) {
      auto more = stream.Next(&rec);
      if (!more.ok()) {
        out->stream_status = more.status();
        break;
      }
      if (!*more) break;
      if (rec.index < skip_records) {
        ++out->superseded_records;
        continue;
      }
      const ParseOutcome o = parser_.Parse(rec, &ev, &err);
      if (o == ParseOutcome::kRejected) {
        on_error(path + ": " + err);
      } else {
        tally(o, ev);
      }
    }
    json_bytes = stream.bytes_read();
    out->records_yielded = stream.records_yielded();
    if (!pending.ok()) out->stream_status = pending;
  }
  if (!out->stream_status.ok()) {
    ++out->error_count;
    if (out->errors.size() < kMaxErrors) out->errors.push_back(out->stream_status.message());
  }
  out->json_bytes = json_bytes;
  out->content_hash = content.HexDigest();
  if (out->stream_status.ok()) {
    out->sha256 = hash.HexDigest();
  } else {
    // The stream stopped early: hash the whole file on its own.
    RECOUP_ASSIGN_OR_RETURN(out->sha256, rehash());
  }
  return Status::Ok();
}

}  // namespace recoup::ingest
