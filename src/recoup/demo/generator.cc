// GenerateDemo composes the stages: the world (world.h), each cell's traffic
// (traffic.h, records.h), and the files (writers.h, cur.h, truth.h).
#include "recoup/demo/generator.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "recoup/demo/cur.h"
#include "recoup/demo/random.h"
#include "recoup/demo/services.h"
#include "recoup/demo/text.h"
#include "recoup/demo/traffic.h"
#include "recoup/demo/truth.h"
#include "recoup/demo/world.h"
#include "recoup/demo/writers.h"

namespace recoup::demo {
namespace {

namespace fs = std::filesystem;

Status CheckOptions(const DemoOptions& options) {
  if (options.out_dir.empty()) return InvalidArgument("demo: no output directory given");
  if (options.month.year < 2000 || options.month.year > 2999 || options.month.month < 1 ||
      options.month.month > 12) {
    return InvalidArgument("demo: month " + options.month.ToString() + " is out of range");
  }
  return Status::Ok();
}

// Creates `out` unless it is already an empty directory.
Status PrepareOutDir(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) {
      return FailedPrecondition("demo: " + out.string() + " exists and is not a directory");
    }
    if (!fs::is_empty(out, ec)) {
      return FailedPrecondition("demo: " + out.string() +
                                " is not empty; choose a new or empty directory");
    }
  }
  fs::create_directories(out, ec);
  if (ec) return Unavailable("demo: cannot create " + out.string() + ": " + ec.message());
  return Status::Ok();
}

// Every cell's traffic and CloudTrail files. Cells are independent (own
// random streams), so two workers give the same bytes as one.
struct CellsOutput {
  std::vector<CellResult> traffic;
  std::vector<CloudTrailFiles> files;
  std::vector<Status> status;
  std::vector<ServicesCell> services;
  std::vector<CloudTrailFiles> data_event_files;
  std::vector<int64_t> data_event_records;
};

CellsOutput GenerateCells(const std::vector<Cell>& cells, const Windows& w, uint64_t seed,
                          const fs::path& ct_root, const fs::path& data_root) {
  CellsOutput out;
  out.traffic.resize(cells.size());
  out.files.resize(cells.size());
  out.status.resize(cells.size());
  out.services.resize(cells.size());
  out.data_event_files.resize(cells.size());
  out.data_event_records.resize(cells.size());
  auto work = [&](size_t first, size_t step) {
    for (size_t i = first; i < cells.size(); i += step) {
      out.traffic[i] = GenerateTraffic(cells[i], w, seed);
      out.status[i] =
          WriteCloudTrail(cells[i], w, seed, ct_root, &out.traffic[i].records, &out.files[i]);
      // The other services' month: its own streams, its own trail.
      out.services[i] = GenerateServices(cells[i], w, seed);
      out.data_event_records[i] = static_cast<int64_t>(out.services[i].data_events.size());
      Status st = WriteCloudTrail(cells[i], w, HashString(seed, "data-events"), data_root,
                                  &out.services[i].data_events, &out.data_event_files[i]);
      if (out.status[i].ok()) out.status[i] = st;
    }
  };
  std::thread helper(work, 1, 2);
  work(0, 2);
  helper.join();
  return out;
}

// The CloudTrail part of the manifest; the first cell's error, if any.
Status CollectCloudTrail(const CellsOutput& cells, DemoManifest* m) {
  for (size_t i = 0; i < cells.traffic.size(); ++i) {
    RECOUP_RETURN_IF_ERROR(cells.status[i]);
    const CellResult& r = cells.traffic[i];
    m->cloudtrail_files.insert(m->cloudtrail_files.end(), cells.files[i].files.begin(),
                               cells.files[i].files.end());
    m->kms_records += r.kms_records;
    m->other_service_records += r.other_service_records;
    m->bytes_written += cells.files[i].bytes;
  }
  std::sort(m->cloudtrail_files.begin(), m->cloudtrail_files.end());
  m->cloudtrail_records = m->kms_records + m->other_service_records;
  for (size_t i = 0; i < cells.services.size(); ++i) {
    m->data_event_records += cells.data_event_records[i];
    m->bytes_written += cells.data_event_files[i].bytes;
  }
  return Status::Ok();
}

// S3 server access logs: one object per bucket and hour, named as S3
// delivers them (TargetPrefix + YYYY-mm-DD-HH-MM-SS-UniqueString), under a
// folder per account (S3 names the bucket owner by canonical ID, so each
// account's logs are ingested with --account).
Status WriteS3AccessLogs(const fs::path& out, const std::vector<Cell>& cells,
                         std::vector<ServicesCell>* services, uint64_t seed, DemoManifest* m) {
  std::vector<std::string> accounts;
  for (size_t i = 0; i < cells.size(); ++i) {
    auto& lines = (*services)[i].s3_log_lines;
    std::sort(lines.begin(), lines.end());
    Rng rng(HashString(seed, "s3-access-logs/" + cells[i].bucket));
    const fs::path dir = out / "s3-access-logs" / cells[i].account / cells[i].bucket;
    size_t k = 0;
    while (k < lines.size()) {
      const int64_t hour = lines[k].first / kHourMs * kHourMs;
      std::string body;
      for (; k < lines.size() && lines[k].first / kHourMs * kHourMs == hour; ++k) {
        body += lines[k].second;
        body += '\n';
      }
      // Delivered some minutes after the hour.
      const std::string at = Iso(hour + kHourMs + rng.Range(60, 900) * 1000);
      const std::string name = at.substr(0, 10) + "-" + at.substr(11, 2) + "-" + at.substr(14, 2) +
                               "-" + at.substr(17, 2) + "-" +
                               RandomChars(rng, "0123456789ABCDEF", 16);
      RECOUP_RETURN_IF_ERROR(WriteFile(dir / name, body));
      m->bytes_written += static_cast<int64_t>(body.size());
    }
    m->s3_log_lines += static_cast<int64_t>(lines.size());
    lines.clear();
    if (std::find(accounts.begin(), accounts.end(), cells[i].account) == accounts.end()) {
      accounts.push_back(cells[i].account);
      m->s3_access_log_dirs.emplace_back(cells[i].account,
                                         (out / "s3-access-logs" / cells[i].account).string());
    }
  }
  return Status::Ok();
}

// API Gateway access logs: one gzipped JSON-lines file per API for the month.
Status WriteApiGatewayLogs(const fs::path& out, const std::vector<Cell>& cells,
                           std::vector<ServicesCell>* services, const DemoOptions& options,
                           DemoManifest* m) {
  m->apigateway_dir = (out / "apigateway").string();
  for (size_t i = 0; i < cells.size(); ++i) {
    auto& lines = (*services)[i].apigateway_lines;
    if (lines.empty()) continue;
    std::sort(lines.begin(), lines.end());
    std::string body;
    for (const auto& [ms, line] : lines) {
      body += line;
      body += '\n';
    }
    RECOUP_ASSIGN_OR_RETURN(const std::string gz, Gzip(body, 6));
    RECOUP_RETURN_IF_ERROR(WriteFile(out / "apigateway" / cells[i].account / cells[i].region /
                                         ("access-" + options.month.ToString() + ".jsonl.gz"),
                                     gz));
    m->bytes_written += static_cast<int64_t>(gz.size());
    m->apigateway_log_lines += static_cast<int64_t>(lines.size());
    lines.clear();
  }
  return Status::Ok();
}

// The order service's CSM file (payments, us-east-1: cell 0).
Status WriteServicesCsm(const fs::path& out, ServicesCell* cell0, DemoManifest* m) {
  m->services_csm_file = (out / "csm" / "orders-app.csm.jsonl").string();
  RECOUP_ASSIGN_OR_RETURN(const int64_t bytes, WriteCsm(m->services_csm_file, &cell0->csm));
  m->bytes_written += bytes;
  return Status::Ok();
}

// The CSM file: the payments application in us-east-1 (cell 0).
Status WriteCsmFile(const fs::path& out, CellResult* csm_cell, DemoManifest* m) {
  m->csm_file = (out / "csm" / (std::string(kCsmClientId) + ".csm.jsonl")).string();
  RECOUP_ASSIGN_OR_RETURN(const int64_t bytes, WriteCsm(m->csm_file, &csm_cell->csm));
  m->csm_lines = static_cast<int64_t>(csm_cell->csm.size());
  m->csm_attempts = csm_cell->csm_truth.attempts;
  m->bytes_written += bytes;
  return Status::Ok();
}

// The CUR file; returns each cell's KMS usage charges.
Result<Cur> WriteCurFile(const fs::path& out, const DemoOptions& options,
                         const std::vector<Cell>& cells, const std::vector<CellResult>& traffic,
                         const std::vector<ServicesCell>& services, const Windows& w,
                         DemoManifest* m) {
  RECOUP_ASSIGN_OR_RETURN(Cur cur, BuildCur(cells, traffic, services, w, options.seed));
  m->cur_rows = cur.rows;
  RECOUP_ASSIGN_OR_RETURN(const std::string gz, Gzip(cur.csv, 6));
  m->cur_file = (out / "cur" / ("cur-" + options.month.ToString() + ".csv.gz")).string();
  RECOUP_RETURN_IF_ERROR(WriteFile(m->cur_file, gz));
  m->bytes_written += static_cast<int64_t>(gz.size());
  cur.csv.clear();
  return cur;
}

Status WriteTruthFile(const fs::path& out, const TruthInputs& in, DemoManifest* m) {
  const std::string truth = RenderTruth(in);
  m->truth_file = (out / "truth.json").string();
  RECOUP_RETURN_IF_ERROR(WriteFile(m->truth_file, truth));
  m->bytes_written += static_cast<int64_t>(truth.size());
  return Status::Ok();
}

}  // namespace

Result<DemoManifest> GenerateDemo(const DemoOptions& options) {
  RECOUP_RETURN_IF_ERROR(CheckOptions(options));
  const fs::path out(options.out_dir);
  RECOUP_RETURN_IF_ERROR(PrepareOutDir(out));

  const Windows w = MakeWindows(options.month, options.seed);
  const std::vector<Cell> cells = BuildWorld(options.seed);
  DemoManifest m;
  m.out_dir = out.string();
  m.cloudtrail_dir = (out / "cloudtrail").string();
  m.data_events_dir = (out / "data-events").string();
  CellsOutput generated =
      GenerateCells(cells, w, options.seed, m.cloudtrail_dir, m.data_events_dir);
  RECOUP_RETURN_IF_ERROR(CollectCloudTrail(generated, &m));
  RECOUP_RETURN_IF_ERROR(WriteCsmFile(out, &generated.traffic[0], &m));
  RECOUP_RETURN_IF_ERROR(WriteServicesCsm(out, &generated.services[0], &m));
  RECOUP_RETURN_IF_ERROR(WriteS3AccessLogs(out, cells, &generated.services, options.seed, &m));
  RECOUP_RETURN_IF_ERROR(WriteApiGatewayLogs(out, cells, &generated.services, options, &m));
  RECOUP_ASSIGN_OR_RETURN(const Cur cur, WriteCurFile(out, options, cells, generated.traffic,
                                                      generated.services, w, &m));
  RECOUP_RETURN_IF_ERROR(WriteTruthFile(out,
                                        {&options, &w, &cells, &generated.traffic, &cur.kms_charges,
                                         &m, &generated.services, &cur.usage_by_product},
                                        &m));
  return m;
}

}  // namespace recoup::demo
