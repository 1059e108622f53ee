// CloudTrail LookupEvents into the store (`recoup ingest cloudtrail-lookup`):
// each returned event becomes one small file holding its CloudTrail record,
// read through the batch pipeline, so the ledger knows every event by the
// SHA-256 of its record and a re-run (or an overlapping window) adds nothing
// twice, however AWS cuts the pages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "recoup/aws/cloudtrail_api.h"
#include "recoup/core/status.h"
#include "recoup/ingest/pipeline.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::ingest {

struct LookupSummary {
  int64_t pages = 0;
  int64_t events = 0;                 // events with a CloudTrail record
  int64_t events_without_record = 0;  // LookupEvents gave no CloudTrailEvent
  IngestSummary ingest;               // summed over the pages (messages: the first 20)
};

// KMS events (event source kms.amazonaws.com) in [start_ms, end_ms).
// `store_path` is where `store` lives (the pipeline's ledger readers).
// Errors are the API's (aws::AwsErrorOf) or the store's.
Result<LookupSummary> IngestLookupEvents(storage::Store& store,
                                         std::shared_ptr<const sla::Catalog> catalog,
                                         aws::CloudTrailApi& api, int64_t start_ms, int64_t end_ms,
                                         const std::string& store_path);

}  // namespace recoup::ingest
