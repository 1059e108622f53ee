// The evidence store: the only durable state recoup has.
//
// Store is the port; SqliteStore (storage/sqlite) is the embedded backend and a
// PostgreSQL backend will implement the same contract (one conformance suite,
// tests/store_conformance, runs against every backend).
//
// Contract:
//   * CommitFiles is atomic: a file's ledger entry and everything it
//     contributed land together or not at all, so a kill -9 at any point
//     loses nothing that was reported as ingested and re-running never
//     double counts. A file whose SHA-256 is already in the ledger contributes
//     nothing (re-ingest is a no-op).
//   * Failing requests are de-duplicated by (series, request ID) across files
//     and sources; each remembers which sources saw it.
// A Store is used from one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aggregation/aggregator.h"
#include "recoup/aggregation/combine.h"
#include "recoup/billing/charge.h"
#include "recoup/claims/record.h"
#include "recoup/core/clock.h"
#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"
#include "recoup/events/series.h"
#include "recoup/health/record.h"
#include "recoup/serve/alert.h"

namespace recoup::storage {

// The series key the store is organized by (events/series.h).
using SeriesMonth = events::SeriesMonth;

struct FileLedgerEntry {
  std::string sha256;        // of the stored bytes
  std::string content_hash;  // of the uncompressed content (same records, other wrapping)
  std::string path;          // absolute
  int64_t mtime_ns = 0;      // modification time when read
  int64_t file_bytes = 0, json_bytes = 0;
  int64_t records = 0, accepted = 0, skipped = 0, rejected = 0, errors = 0;
  std::string status;           // "ok" or the stream error (e.g. truncated gzip)
  int64_t records_yielded = 0;  // whole records found in the file
  std::string supersedes;       // sha256 of a damaged copy whose records this one repeats
  int64_t ingested_at_ms = 0;
};

struct FileBatchItem {
  FileLedgerEntry entry;
  const aggregation::Aggregator* agg = nullptr;
};

struct ItemOutcome {
  bool already_ingested = false;     // the ledger had this SHA-256 or content: nothing added
  int64_t new_failures = 0;          // failing requests first seen now
  int64_t duplicate_failures = 0;    // failing requests this source had already given
  int64_t cross_source_matches = 0;  // failing requests another source had already given
};

struct SeriesFilter {
  std::optional<std::string> account, region, service;
  std::optional<YearMonth> month;
};

// ---- types of section "health" ----
struct HealthEventFilter {
  std::optional<std::string> region, service;  // service as Health names it ("KMS")
  // Events whose [start, end or now) overlaps [start_ms, end_ms).
  std::optional<int64_t> start_ms, end_ms;
};
// ---- end of types of section "health" ----

// ---- types of section "serve" ----
// What `recoup serve` keeps: live batches committed with their sources'
// checkpoints, the alerts it raised, and the notifications still to send.

// A live batch: events a source acknowledged, folded into `agg`. The batch,
// its checkpoints and its key land in one transaction, so a source resuming
// from its checkpoint after a crash never counts an event twice.
// A record a live source could not attribute to an account yet (a CSM
// datagram whose access key is not mapped), kept whole until it can be.
struct UnattributedRecord {
  int64_t id = 0;           // assigned by the store
  std::string source;       // "csm"
  std::string access_key;   // the datagram's AccessKey; empty: none
  int64_t received_ms = 0;  // wall time it arrived
  std::string record;       // the raw record (JSON)
};

struct LiveBatchItem {
  const aggregation::Aggregator* agg = nullptr;
  // Source positions written with the batch: key -> value (e.g. a tailed
  // file's "device:inode:offset").
  std::vector<std::pair<std::string, std::string>> checkpoints;
  // Idempotency key (e.g. the digest of a re-sendable request body): a batch
  // whose key is already stored contributes nothing. Empty: no key.
  std::string batch_key;
  // Records kept for later attribution, and ids of kept records whose events
  // are in `agg` now (removed in the same transaction, so each counts once).
  std::vector<UnattributedRecord> unattributed;
  std::vector<int64_t> attributed_ids;
};
// Alerts and notifications: serve/alert.h.
// ---- end of types of section "serve" ----

struct StoreTotals {
  int64_t files = 0, records = 0, accepted = 0, rejected = 0, failures = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<bool> HasFile(const std::string& sha256) = 0;
  // Fast pre-check before reading a file: true if a file with this absolute
  // path, size and modification time is in the ledger.
  virtual Result<bool> HasFileAt(const std::string& path, int64_t size, int64_t mtime_ns) = 0;

  // A damaged (e.g. truncated) file of the same name, not yet superseded: its
  // whole records were counted, so a repaired copy must skip them.
  struct DamagedFile {
    std::string sha256;
    int64_t json_bytes = 0;       // uncompressed bytes read before the damage
    std::string content_hash;     // of those bytes
    int64_t records_yielded = 0;  // whole records counted from it
  };
  virtual Result<std::optional<DamagedFile>> FindDamagedFile(const std::string& file_name) = 0;
  // One transaction for the whole batch; `outcomes` gets one entry per item.
  virtual Status CommitFiles(const std::vector<FileBatchItem>& items,
                             std::vector<ItemOutcome>* outcomes) = 0;

  virtual Result<std::vector<SeriesMonth>> ListSeriesMonths(const SeriesFilter& filter) = 0;
  // Per-source cells and per-interval distinct failures in [start_ms, end_ms).
  virtual Result<std::vector<aggregation::SourceCell>> LoadSourceCells(const std::string& account,
                                                                       const std::string& region,
                                                                       const std::string& service,
                                                                       int64_t start_ms,
                                                                       int64_t end_ms) = 0;
  virtual Result<std::map<int64_t, int64_t>> LoadFailureUnion(const std::string& account,
                                                              const std::string& region,
                                                              const std::string& service,
                                                              int64_t start_ms, int64_t end_ms) = 0;
  // Failing requests (all of them, ordered by time then request ID), with
  // `source` set to the lowest source that saw each.
  virtual Result<std::vector<events::Event>> LoadFailures(const std::string& account,
                                                          const std::string& region,
                                                          const std::string& service,
                                                          int64_t start_ms, int64_t end_ms,
                                                          int64_t limit) = 0;
  virtual Result<std::vector<events::Event>> LoadSamples(const std::string& account,
                                                         const std::string& region,
                                                         const std::string& service,
                                                         int64_t start_ms, int64_t end_ms) = 0;

  virtual Status PutCharge(const billing::ChargeRecord& charge) = 0;
  // The charge for a month: a manual figure wins over the CUR's.
  virtual Result<std::optional<billing::ChargeRecord>> GetCharge(const std::string& account,
                                                                 const std::string& region,
                                                                 const std::string& service,
                                                                 YearMonth month) = 0;
  virtual Result<std::vector<billing::ChargeRecord>> ListCharges(const SeriesFilter& filter) = 0;

  virtual Result<StoreTotals> Totals() = 0;

  // An opaque stamp of the store's contents: two equal stamps from one handle
  // mean nothing was committed in between, by this handle or any other
  // process. Readers key caches of derived figures on it.
  virtual Result<std::string> ChangeStamp() = 0;

  // ---- section "health" (migration 2) ----
  // Inserts or replaces by ARN; an event whose last_updated_ms is older than
  // the stored one changes nothing. Returns true if anything changed.
  virtual Result<bool> PutHealthEvent(const health::HealthEvent& event) = 0;
  // Ordered by start time, then ARN.
  virtual Result<std::vector<health::HealthEvent>> ListHealthEvents(
      const HealthEventFilter& filter) = 0;
  // Health coverage (migration 5): what a Health source looked at. Coverage
  // of the same source, account and Region that overlaps or touches stored
  // coverage is merged with it into one row. INVALID_ARGUMENT for an empty
  // source, account or Region, or end_ms < start_ms.
  virtual Status PutHealthCoverage(const health::HealthCoverage& coverage) = 0;
  // The coverage that applies to `account` in `region`: rows of that account
  // or "*", and of that Region or "*"; ordered by start, then source.
  virtual Result<std::vector<health::HealthCoverage>> ListHealthCoverage(
      const std::string& account, const std::string& region) = 0;
  // ---- end of section "health" ----

  // ---- section "claims" (migration 3) ----
  // Creates or replaces a claim's row. A new claim's creation is logged as a
  // transition from "" to its state with `reason`, at created_ms. An existing
  // claim keeps its state (state changes go through TransitionClaim).
  virtual Status PutClaim(const claims::ClaimRecord& claim, const std::string& reason) = 0;
  virtual Result<std::optional<claims::ClaimRecord>> GetClaim(const std::string& id) = 0;
  // Ordered by deadline, then ID.
  virtual Result<std::vector<claims::ClaimRecord>> ListClaims() = 0;
  // Atomically: if the claim (which must exist) is in `from_state`, sets it to
  // `to_state` (and any other fields of `updated`, whose id must match) and
  // appends the transition; otherwise FAILED_PRECONDITION naming the state it
  // is in.
  virtual Status TransitionClaim(const claims::ClaimRecord& updated, const std::string& from_state,
                                 const std::string& reason, int64_t at_ms) = 0;
  // In order.
  virtual Result<std::vector<claims::ClaimTransition>> ListClaimTransitions(
      const std::string& claim_id) = 0;
  // Filing record per claim; PutClaimFiling is durable when it returns.
  virtual Status PutClaimFiling(const claims::ClaimFiling& filing) = 0;
  virtual Result<std::optional<claims::ClaimFiling>> GetClaimFiling(
      const std::string& claim_id) = 0;
  // Stores a message once (same case, time, author and body: no-op).
  // Returns true if it was new.
  virtual Result<bool> PutClaimCommunication(const claims::ClaimCommunication& c) = 0;
  // Ordered by time_created, then insertion.
  virtual Result<std::vector<claims::ClaimCommunication>> ListClaimCommunications(
      const std::string& claim_id) = 0;
  // ---- end of section "claims" ----

  // ---- section "serve" (migration 4) ----
  // One transaction for all items and their checkpoints. `outcomes` gets one
  // entry per item (already_ingested: the batch key was already stored).
  virtual Status CommitLive(const std::vector<LiveBatchItem>& items,
                            std::vector<ItemOutcome>* outcomes) = 0;
  // Checkpoints whose key starts with `prefix` (empty: all).
  virtual Result<std::map<std::string, std::string>> LoadCheckpoints(const std::string& prefix) = 0;
  // Unattributed records kept, by access key: key -> count.
  virtual Result<std::map<std::string, int64_t>> CountUnattributed() = 0;
  // Kept records of one access key, oldest first, at most `limit`.
  virtual Result<std::vector<UnattributedRecord>> ListUnattributed(const std::string& access_key,
                                                                   int64_t limit) = 0;
  // Alerts by key; `firing_only` leaves resolved ones out. Ordered by opened_ms, key.
  virtual Result<std::vector<serve::AlertRecord>> ListAlerts(bool firing_only) = 0;
  // Upserts `alerts` (by key) and queues `notifications`, in one transaction.
  virtual Status SaveAlerts(const std::vector<serve::AlertRecord>& alerts,
                            const std::vector<serve::OutboxItem>& notifications) = 0;
  // Pending notifications due at `now_ms`, oldest first.
  virtual Result<std::vector<serve::OutboxItem>> DueNotifications(int64_t now_ms,
                                                                  int64_t limit) = 0;
  // Records an attempt: state, attempts, next_attempt_ms, sent_ms, last_error.
  virtual Status UpdateNotification(const serve::OutboxItem& item) = 0;
  // Every notification of an alert (for the dashboard and tests), by id.
  virtual Result<std::vector<serve::OutboxItem>> ListNotifications(
      const std::string& alert_key) = 0;
  // ---- end of section "serve" ----
};

// The name a file is known by across copies: its base name without the
// suffixes of partial downloads (".part", ".partial", ".tmp", ".download",
// ".crdownload").
std::string LedgerName(const std::string& path);

struct StoreOptions {
  bool sync_full = false;  // fsync every commit (power-loss safe), not just process-crash safe
  int sample_limit = 20;   // evidence samples kept per (series, interval, class)
  // The times the store stamps itself (checkpoint updates); not owned.
  // nullptr: the system clock.
  const Clock* clock = nullptr;
  // Open without writing anything: no file or folder is created, nothing is
  // migrated, and every write fails. A store in a folder this process may
  // not write is read as it stands (SQLite's immutable mode).
  bool read_only = false;
};

// Opens (creating and migrating) the store at `path`. A folder or file this
// process may not write is PERMISSION_DENIED, said as such.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options = {});

// Opens an existing store for the commands that only read: NOT_FOUND if
// there is none (its folder is not created), PERMISSION_DENIED if it cannot
// be read; read-only (options.read_only) when this process may not write it.
Result<std::unique_ptr<Store>> OpenSqliteStoreForReading(const std::string& path,
                                                         StoreOptions options = {});

}  // namespace recoup::storage
