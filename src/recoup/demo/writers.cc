#include "recoup/demo/writers.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

#include "recoup/demo/generator.h"
#include "recoup/demo/random.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

namespace fs = std::filesystem;

// Which records (indices into the sorted `recs`) go into each hour's file.
std::vector<std::vector<size_t>> AssignToHours(const std::vector<CtRecord>& recs, const Windows& w,
                                               Rng& rng) {
  const int64_t hours = (w.month_end - w.month_start) / kHourMs;
  std::vector<std::vector<size_t>> files(static_cast<size_t>(hours));
  for (size_t i = 0; i < recs.size(); ++i) {
    int64_t h = (recs[i].ms - w.month_start) / kHourMs;
    const int64_t into_hour = recs[i].ms - w.month_start - h * kHourMs;
    if (into_hour >= kHourMs - 90'000 && h + 1 < hours && rng.Chance(3, 10)) ++h;
    files[static_cast<size_t>(h)].push_back(i);
  }
  return files;
}

// {"Records":[...]} of the given records; sets `newest` to the latest eventTime.
std::string RecordsBody(const std::vector<CtRecord>& recs, const std::vector<size_t>& file,
                        int64_t* newest) {
  std::string body = "{\"Records\":[";
  *newest = 0;
  for (size_t k = 0; k < file.size(); ++k) {
    if (k > 0) body += ',';
    body += recs[file[k]].json;
    *newest = std::max(*newest, recs[file[k]].ms);
  }
  body += "]}";
  return body;
}

}  // namespace

Status WriteFile(const fs::path& path, std::string_view data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Unavailable("cannot create " + path.parent_path().string() + ": " + ec.message());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Unavailable("cannot open " + path.string() + " for writing");
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return Unavailable("cannot write " + path.string());
  return Status::Ok();
}

Result<std::string> Gzip(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const uLong written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Internal("deflate failed");
  out.resize(written);
  return out;
}

Status WriteCloudTrail(const Cell& cell, const Windows& w, uint64_t seed, const fs::path& root,
                       std::vector<CtRecord>* records, CloudTrailFiles* out) {
  std::vector<CtRecord>& recs = *records;
  std::sort(recs.begin(), recs.end(), [](const CtRecord& a, const CtRecord& b) {
    return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq;
  });
  Rng rng(HashString(seed, "delivery/" + cell.account + "/" + cell.region));
  const fs::path dir =
      root / "AWSLogs" / std::string(kOrganizationId) / cell.account / "CloudTrail" / cell.region;
  for (const std::vector<size_t>& file : AssignToHours(recs, w, rng)) {
    if (file.empty()) continue;
    int64_t newest;
    const std::string body = RecordsBody(recs, file, &newest);
    const int64_t delivered = newest + rng.Range(3 * kMsPerMinute, 9 * kMsPerMinute);
    const std::string name = cell.account + "_CloudTrail_" + cell.region + "_" +
                             CompactMinute(delivered) + "_" + RandomChars(rng, kAlnum, 16) +
                             ".json.gz";
    const fs::path path = dir / DatePath(delivered) / name;
    RECOUP_ASSIGN_OR_RETURN(const std::string gz, Gzip(body, 1));
    RECOUP_RETURN_IF_ERROR(WriteFile(path, gz));
    out->bytes += static_cast<int64_t>(gz.size());
    out->files.push_back(path.string());
  }
  recs.clear();
  recs.shrink_to_fit();
  return Status::Ok();
}

Result<int64_t> WriteCsm(const fs::path& path, std::vector<CsmLine>* lines) {
  std::sort(lines->begin(), lines->end(), [](const CsmLine& a, const CsmLine& b) {
    return a.emit_ms != b.emit_ms ? a.emit_ms < b.emit_ms : a.seq < b.seq;
  });
  std::string body;
  for (const CsmLine& l : *lines) {
    body += l.json;
    body += '\n';
  }
  RECOUP_RETURN_IF_ERROR(WriteFile(path, body));
  return static_cast<int64_t>(body.size());
}

}  // namespace recoup::demo
