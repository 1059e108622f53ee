// The demo's files: CloudTrail log files in an organization trail's layout,
// the CSM datagram file, and the gzip and write primitives the CUR and truth
// files use too. Internal to recoup_demo.
//
// Gzip output carries a zero mtime, so equal input gives equal bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/demo/traffic.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

// Writes `data` to `path`, creating its parent directories. UNAVAILABLE when
// a directory or the file cannot be created or written.
Status WriteFile(const std::filesystem::path& path, std::string_view data);

// `data` as one gzip member at compression `level` (1-9). INTERNAL on a zlib
// failure.
Result<std::string> Gzip(std::string_view data, int level);

struct CloudTrailFiles {
  std::vector<std::string> files;  // in the order written
  int64_t bytes = 0;               // compressed, as stored
};

// Writes a cell's records under `root` as
// AWSLogs/<org>/<account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/<name>.json.gz,
// one file per hour of eventTime (a share of an hour's last 90 seconds going
// to the next hour's file), named after a delivery 3-9 minutes after its
// newest record. Sorts `records` and releases them when done. On error,
// `out` holds the files written before it.
Status WriteCloudTrail(const Cell& cell, const Windows& w, uint64_t seed,
                       const std::filesystem::path& root, std::vector<CtRecord>* records,
                       CloudTrailFiles* out);

// Writes `lines` to `path`, one datagram a line in emission order (sorting
// them); returns the bytes written.
Result<int64_t> WriteCsm(const std::filesystem::path& path, std::vector<CsmLine>* lines);

}  // namespace recoup::demo
