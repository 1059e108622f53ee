// The batch ingest pipeline (`recoup ingest`): local files and S3 objects are
// read and aggregated on worker threads (S3 bodies stream from fetch threads
// through bounded pipes), and one committer writes each batch of files to the
// store in one transaction. Counts are reported only once committed, so a
// kill -9 at any point loses nothing reported and a re-run never counts twice.
//
// This is a service: the CLI parses flags into IngestOptions, calls
// RunIngest and prints the IngestSummary.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/core/clock.h"
#include "recoup/core/status.h"
#include "recoup/ingest/record_parser.h"
#include "recoup/net/http_client.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::ingest {

// How to reach S3 for s3://bucket/prefix arguments.
struct S3Settings {
  std::shared_ptr<aws::CredentialsProvider> credentials;  // thread-safe, shared
  std::shared_ptr<net::HttpClient> credentials_http;      // what `credentials` uses
  aws::Endpoint endpoint;
  bool path_style = false;
};

// S3 access for a profile (empty: AWS_PROFILE, else "default") and Region
// (empty: the config chain's); INVALID_ARGUMENT with `missing_region` when
// there is none. An endpoint override means path-style addressing.
Result<S3Settings> ResolveS3Settings(const std::string& profile, const std::string& region,
                                     const std::string& missing_region);

struct IngestOptions {
  // Local files or folders, and s3://bucket/prefix URLs (every object under
  // the prefix; needs `s3`).
  std::vector<std::string> paths;
  std::optional<S3Settings> s3;
  ParserOptions parser;
  int threads = 0;  // 0: all cores
  // Where `store` lives: each worker opens its own read connection to it for
  // ledger checks (WAL readers do not block the committer).
  std::string store_path;
  bool progress = false;  // draw a progress bar on stderr
  int max_messages = 20;  // rejection messages kept in the summary
  // Ledger times, commit pacing, progress and the run's duration; not owned.
  // nullptr: the system clock.
  const Clock* clock = nullptr;
};

struct IngestSummary {
  int64_t files = 0;               // files found
  int64_t files_ingested = 0;      // new files committed
  int64_t files_already = 0;       // skipped: already in the ledger
  int64_t files_damaged = 0;       // truncated/corrupt streams (records before the damage kept)
  int64_t files_not_recorded = 0;  // every record rejected: left out of the ledger
  int64_t files_failed = 0;        // could not be read at all
  // Entries of walked folders that are not regular files (devices, FIFOs,
  // sockets, dangling links, link loops, links to folders): never opened.
  int64_t files_skipped = 0;
  std::vector<std::string> skipped_messages;  // "PATH: skipped: WHY", the first 100
  int64_t records = 0, accepted = 0, skipped = 0, rejected = 0;
  int64_t duplicates = 0;    // failing requests a source had already given
  int64_t cross_source = 0;  // failing requests matched across sources
  int64_t new_failures = 0;
  int64_t json_bytes = 0, file_bytes = 0;
  double seconds = 0;
  std::vector<std::string> messages;  // first rejection/damage messages
  int64_t message_count = 0;
};

// Reads every file and object of `options.paths` into `store`.
Result<IngestSummary> RunIngest(storage::Store& store, std::shared_ptr<const sla::Catalog> catalog,
                                const IngestOptions& options);

}  // namespace recoup::ingest
