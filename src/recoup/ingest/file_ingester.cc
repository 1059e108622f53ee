#include "recoup/ingest/file_ingester.h"

#include "recoup/core/sha256.h"
#include "recoup/io/byte_source.h"

namespace recoup::ingest {

FileIngester::FileIngester(std::shared_ptr<const sla::Catalog> catalog, ParserOptions options,
                           int64_t interval_ms)
    : parser_(std::move(catalog), std::move(options)), interval_ms_(interval_ms) {}

Result<std::string> FileIngester::HashFile(const std::string& path, int64_t* size) {
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<io::ByteSource> src, io::OpenFile(path));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  int64_t total = 0;
  for (;;) {
    RECOUP_ASSIGN_OR_RETURN(size_t k, src->Read(buf.data(), buf.size()));
    if (k == 0) break;
    h.Update(buf.data(), k);
    total += static_cast<int64_t>(k);
  }
  if (size != nullptr) *size = total;
  return h.HexDigest();
}

Status FileIngester::Ingest(const std::string& path, FileResult* out) {
  out->path = path;
  out->agg = aggregation::Aggregator(interval_ms_);
  RECOUP_ASSIGN_OR_RETURN(std::unique_ptr<io::ByteSource> src, io::OpenMaybeGzip(path));
  auto on_error = [out](const std::string& msg) {
    ++out->rejected;
    ++out->error_count;
    if (out->errors.size() < kMaxErrors) out->errors.push_back(msg);
  };
  RecordStream stream(src.get(), path, on_error);
  RawRecord rec;
  events::EventView ev;
  std::string err;
  for (;;) {
    auto more = stream.Next(&rec);
    if (!more.ok()) {
      out->stream_status = more.status();
      ++out->error_count;
      if (out->errors.size() < kMaxErrors) out->errors.push_back(more.status().message());
      break;
    }
    if (!*more) break;
    ++out->records;
    switch (parser_.Parse(rec, &ev, &err)) {
      case ParseOutcome::kAccepted:
        ++out->accepted;
        out->agg.Add(ev);
        break;
      case ParseOutcome::kSkipped:
        ++out->skipped;
        break;
      case ParseOutcome::kRejected:
        on_error(path + ": " + err);
        break;
    }
  }
  out->json_bytes = stream.bytes_read();
  return Status::Ok();
}

}  // namespace recoup::ingest
