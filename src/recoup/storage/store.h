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
#include "recoup/core/clock.h"
#include "recoup/core/exact.h"
#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/events/event.h"

namespace recoup::storage {

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

struct SeriesMonth {
  std::string account, region, service;
  YearMonth month;
};

struct SeriesFilter {
  std::optional<std::string> account, region, service;
  std::optional<YearMonth> month;
};

struct ChargeRecord {
  std::string account, region, service;
  YearMonth month;
  std::string origin;  // "manual" or "cur"
  Rational amount;     // the credit base in USD
  std::optional<Rational> net_amount;
  Rational credits, tax;
  std::string currency = "USD";
  std::string source;  // file or note it came from
};

// ---- types of section "health" ----
// An AWS Health event as recoup keeps it (from the Health API, an aws.health
// EventBridge event, or an SQS message carrying one). One row per ARN; a
// newer lastUpdatedTime replaces an older one.
struct HealthEvent {
  std::string arn;                  // unique
  std::string service;              // Health's service name, e.g. "KMS"
  std::string event_type_code;      // "AWS_KMS_OPERATIONAL_ISSUE"
  std::string event_type_category;  // "issue", "accountNotification", "scheduledChange"
  std::string region;               // "us-east-1" (or "global")
  std::string status;               // "open", "closed", "upcoming"
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 while still open
  int64_t last_updated_ms = 0;
  std::string description;            // latest description text, may be empty
  std::vector<std::string> accounts;  // affected accounts (organization view); empty: all/own
  std::string source;                 // "health-api", "health-org-api", "eventbridge", "sqs"
};

struct HealthEventFilter {
  std::optional<std::string> region, service;  // service as Health names it ("KMS")
  // Events whose [start, end or now) overlaps [start_ms, end_ms).
  std::optional<int64_t> start_ms, end_ms;
};
// ---- end of types of section "health" ----

// ---- types of section "claims" ----
// A claim: one per (account, Region, service, month) that breached. The
// claims module owns its life cycle; others (dashboard, reminders) read it.
struct ClaimRecord {
  std::string id;  // stable, e.g. "111122223333-us-east-1-kms-2026-10"
  std::string account, region, service;
  YearMonth month;
  // detected, ready, filed, awaiting-customer, approved, denied, credited,
  // expired, withdrawn
  std::string state;
  std::string mup_pct;     // as reported (truncated decimal)
  std::string credit_pct;  // tier, e.g. "10"
  Rational credit_asked;   // USD
  std::optional<Rational> credit_received;
  int64_t deadline_ms = 0;  // last millisecond a claim may be filed
  std::string case_id;      // AWS Support case ID once filed
  std::string sla_version;
  int64_t created_ms = 0, updated_ms = 0;
  // Filled by the claims module as the claim moves on.
  std::optional<Rational> charges_usd;  // the credit base the credit was computed from
  int64_t failed_requests = 0;          // server errors counted against the SLA
  int64_t failing_intervals = 0;
  std::string package_sha256;  // of the last built package's manifest
  std::string case_status;     // AWS Support's status of the case ("opened", "resolved", ...)
  std::string display_id;      // the case number shown in the console
  int64_t filed_ms = 0;
  int64_t credited_ms = 0;
};

// One move of a claim from one state to another (append only).
struct ClaimTransition {
  std::string claim_id;
  int64_t seq = 0;  // 1, 2, ... per claim
  int64_t at_ms = 0;
  std::string from_state;  // "" for the first record (creation)
  std::string to_state;
  std::string reason;
};

// What was about to be, or was, sent to AWS Support for a claim. Written
// BEFORE CreateCase so that a crash between the request and the reply is
// noticed and reconciled (DescribeCases) instead of filing twice.
struct ClaimFiling {
  std::string claim_id;  // primary key
  // "intent": about to call CreateCase (the case may or may not exist);
  // "filed": case_id known; "manual": prepared for filing in the console.
  std::string status;
  std::string subject;  // carries the claim ID: the reconciliation key
  std::string attachment_set_id;
  std::string case_id;
  int64_t attempts = 0;  // CreateCase calls made
  int64_t created_ms = 0, updated_ms = 0;
};

// A message on a claim's case, from AWS or from the customer.
struct ClaimCommunication {
  std::string claim_id;
  std::string case_id;
  std::string time_created;  // as AWS gives it
  std::string submitted_by;
  std::string body;
  std::vector<std::string> attachments;  // file names
};
// ---- end of types of section "claims" ----

// ---- types of section "serve" ----
// What `recoup serve` keeps: live batches committed with their sources'
// checkpoints, the alerts it raised, and the notifications still to send.

// A live batch: events a source acknowledged, folded into `agg`. The batch,
// its checkpoints and its key land in one transaction, so a source resuming
// from its checkpoint after a crash never counts an event twice.
struct LiveBatchItem {
  const aggregation::Aggregator* agg = nullptr;
  // Source positions written with the batch: key -> value (e.g. a tailed
  // file's "device:inode:offset").
  std::vector<std::pair<std::string, std::string>> checkpoints;
  // Idempotency key (e.g. the digest of a re-sendable request body): a batch
  // whose key is already stored contributes nothing. Empty: no key.
  std::string batch_key;
};

// An alert as raised, updated and resolved by the live evaluator.
struct AlertRecord {
  std::string key;       // unique: "<kind>/<account>/<region>/<service>/<month or window>"
  std::string kind;      // "tier", "burn", "silent", "deadline"
  std::string state;     // "firing" or "resolved"
  std::string severity;  // "page", "ticket", "info"
  std::string account, region, service;
  std::string summary;      // one line for people
  std::string detail_json;  // the figures: MUP, tier, credit so far, windows, ...
  std::string fingerprint;  // a change of fingerprint is an update worth sending
  int64_t opened_ms = 0, updated_ms = 0, resolved_ms = 0;
};

// One notification of one alert change to one channel (the outbox).
struct OutboxItem {
  int64_t id = 0;  // assigned by the store
  std::string alert_key;
  std::string channel;  // the configured channel's name
  std::string action;   // "firing", "updated", "resolved"
  std::string payload_json;
  std::string state = "pending";  // "pending", "sent", "failed"
  int64_t attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t created_ms = 0, sent_ms = 0;
  std::string last_error;  // secret-free
};
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

  virtual Status PutCharge(const ChargeRecord& charge) = 0;
  // The charge for a month: a manual figure wins over the CUR's.
  virtual Result<std::optional<ChargeRecord>> GetCharge(const std::string& account,
                                                        const std::string& region,
                                                        const std::string& service,
                                                        YearMonth month) = 0;
  virtual Result<std::vector<ChargeRecord>> ListCharges(const SeriesFilter& filter) = 0;

  virtual Result<StoreTotals> Totals() = 0;

  // An opaque stamp of the store's contents: two equal stamps from one handle
  // mean nothing was committed in between, by this handle or any other
  // process. Readers key caches of derived figures on it.
  virtual Result<std::string> ChangeStamp() = 0;

  // ---- section "health" (migration 2) ----
  // Inserts or replaces by ARN; an event whose last_updated_ms is older than
  // the stored one changes nothing. Returns true if anything changed.
  virtual Result<bool> PutHealthEvent(const HealthEvent& event) = 0;
  // Ordered by start time, then ARN.
  virtual Result<std::vector<HealthEvent>> ListHealthEvents(const HealthEventFilter& filter) = 0;
  // ---- end of section "health" ----

  // ---- section "claims" (migration 3) ----
  // Creates or replaces a claim's row. A new claim's creation is logged as a
  // transition from "" to its state with `reason`, at created_ms. An existing
  // claim keeps its state (state changes go through TransitionClaim).
  virtual Status PutClaim(const ClaimRecord& claim, const std::string& reason) = 0;
  virtual Result<std::optional<ClaimRecord>> GetClaim(const std::string& id) = 0;
  // Ordered by deadline, then ID.
  virtual Result<std::vector<ClaimRecord>> ListClaims() = 0;
  // Atomically: if the claim (which must exist) is in `from_state`, sets it to
  // `to_state` (and any other fields of `updated`, whose id must match) and
  // appends the transition; otherwise FAILED_PRECONDITION naming the state it
  // is in.
  virtual Status TransitionClaim(const ClaimRecord& updated, const std::string& from_state,
                                 const std::string& reason, int64_t at_ms) = 0;
  // In order.
  virtual Result<std::vector<ClaimTransition>> ListClaimTransitions(
      const std::string& claim_id) = 0;
  // Filing record per claim; PutClaimFiling is durable when it returns.
  virtual Status PutClaimFiling(const ClaimFiling& filing) = 0;
  virtual Result<std::optional<ClaimFiling>> GetClaimFiling(const std::string& claim_id) = 0;
  // Stores a message once (same case, time, author and body: no-op).
  // Returns true if it was new.
  virtual Result<bool> PutClaimCommunication(const ClaimCommunication& c) = 0;
  // Ordered by time_created, then insertion.
  virtual Result<std::vector<ClaimCommunication>> ListClaimCommunications(
      const std::string& claim_id) = 0;
  // ---- end of section "claims" ----

  // ---- section "serve" (migration 4) ----
  // One transaction for all items and their checkpoints. `outcomes` gets one
  // entry per item (already_ingested: the batch key was already stored).
  virtual Status CommitLive(const std::vector<LiveBatchItem>& items,
                            std::vector<ItemOutcome>* outcomes) = 0;
  // Checkpoints whose key starts with `prefix` (empty: all).
  virtual Result<std::map<std::string, std::string>> LoadCheckpoints(const std::string& prefix) = 0;
  // Alerts by key; `firing_only` leaves resolved ones out. Ordered by opened_ms, key.
  virtual Result<std::vector<AlertRecord>> ListAlerts(bool firing_only) = 0;
  // Upserts `alerts` (by key) and queues `notifications`, in one transaction.
  virtual Status SaveAlerts(const std::vector<AlertRecord>& alerts,
                            const std::vector<OutboxItem>& notifications) = 0;
  // Pending notifications due at `now_ms`, oldest first.
  virtual Result<std::vector<OutboxItem>> DueNotifications(int64_t now_ms, int64_t limit) = 0;
  // Records an attempt: state, attempts, next_attempt_ms, sent_ms, last_error.
  virtual Status UpdateNotification(const OutboxItem& item) = 0;
  // Every notification of an alert (for the dashboard and tests), by id.
  virtual Result<std::vector<OutboxItem>> ListNotifications(const std::string& alert_key) = 0;
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
};

// Opens (creating and migrating) the store at `path`.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options = {});

}  // namespace recoup::storage
