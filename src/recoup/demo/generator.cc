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
};

CellsOutput GenerateCells(const std::vector<Cell>& cells, const Windows& w, uint64_t seed,
                          const fs::path& ct_root) {
  CellsOutput out;
  out.traffic.resize(cells.size());
  out.files.resize(cells.size());
  out.status.resize(cells.size());
  auto work = [&](size_t first, size_t step) {
    for (size_t i = first; i < cells.size(); i += step) {
      out.traffic[i] = GenerateTraffic(cells[i], w, seed);
      out.status[i] =
          WriteCloudTrail(cells[i], w, seed, ct_root, &out.traffic[i].records, &out.files[i]);
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
Result<std::vector<int64_t>> WriteCurFile(const fs::path& out, const DemoOptions& options,
                                          const std::vector<Cell>& cells,
                                          const std::vector<CellResult>& traffic, const Windows& w,
                                          DemoManifest* m) {
  RECOUP_ASSIGN_OR_RETURN(Cur cur, BuildCur(cells, traffic, w, options.seed));
  m->cur_rows = cur.rows;
  RECOUP_ASSIGN_OR_RETURN(const std::string gz, Gzip(cur.csv, 6));
  m->cur_file = (out / "cur" / ("cur-" + options.month.ToString() + ".csv.gz")).string();
  RECOUP_RETURN_IF_ERROR(WriteFile(m->cur_file, gz));
  m->bytes_written += static_cast<int64_t>(gz.size());
  return std::move(cur.kms_charges);
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
  CellsOutput generated = GenerateCells(cells, w, options.seed, m.cloudtrail_dir);
  RECOUP_RETURN_IF_ERROR(CollectCloudTrail(generated, &m));
  RECOUP_RETURN_IF_ERROR(WriteCsmFile(out, &generated.traffic[0], &m));
  RECOUP_ASSIGN_OR_RETURN(const std::vector<int64_t> charges,
                          WriteCurFile(out, options, cells, generated.traffic, w, &m));
  RECOUP_RETURN_IF_ERROR(
      WriteTruthFile(out, {&options, &w, &cells, &generated.traffic, &charges, &m}, &m));
  return m;
}

}  // namespace recoup::demo
