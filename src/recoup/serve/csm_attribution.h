// Attribution of CSM datagrams to accounts. A datagram carries the access
// key ID the SDK signed with, not the account. Its account is, in order: the
// configured mapping (sources.csm.access_keys), the default account
// (serve.account / --account), else the answer of sts:GetAccessKeyInfo for
// that key (asked once per new key, on this object's thread, never on the
// listener's). A datagram none of these attributes yet is kept whole in the
// store (Store::CommitLive, with the live batch it came in) and counted as
// unattributed; as soon as its key's account is known (a lookup answers, or
// a restart with a mapping or an account) the kept datagrams are parsed
// again and committed as events, their rows removed in the same transaction.
//
// Thread-safe: AccountOf is called by the listener, the rest by the service.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/serve/live_sink.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

// The account owning an access key ID (sts:GetAccessKeyInfo).
using AccessKeyLookup = std::function<Result<std::string>(const std::string& access_key)>;

// "AKIAIOSFODNN7EXAMPLE" -> "AKIA...MPLE": enough to recognise a key in a
// log or on the dashboard.
std::string MaskAccessKey(std::string_view key);

struct AttributionOptions {
  std::map<std::string, std::string> mapping;  // access key -> account
  std::string default_account;                 // empty: none
  AccessKeyLookup lookup;                      // empty: no AWS access
  int64_t scan_every_ms = 1000;                // how often kept records are looked at
  int64_t retry_lookup_ms = 5 * 60 * 1000;     // a failed lookup is asked again after this
  // Bounds against a flood of made-up keys on the CSM port: distinct keys
  // looked up per run, and records kept at once (beyond it a datagram is
  // rejected, counted and logged, rather than filling the disk).
  size_t max_lookup_keys = 1000;
  int64_t max_kept = 1'000'000;
};

class CsmAttributor {
 public:
  // `store` is this object's own connection; `sink` receives the attributed
  // events (source "csm").
  CsmAttributor(AttributionOptions options, std::unique_ptr<storage::Store> store,
                std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink);
  ~CsmAttributor();
  CsmAttributor(const CsmAttributor&) = delete;
  CsmAttributor& operator=(const CsmAttributor&) = delete;

  void Start();
  // Before the sink stops: the last attribution in flight is committed.
  void Stop();

  // The account of `access_key` if known now; otherwise asks for it (once)
  // and returns nullopt.
  std::optional<std::string> AccountOf(const std::string& access_key);
  // False once max_kept records wait (as of the last scan, plus those kept since).
  bool MayKeep();

  // Kept records waiting for an account, by access key, as of the last scan.
  std::map<std::string, int64_t> Pending() const;
  int64_t pending_total() const;
  int64_t attributed() const;  // kept records attributed since start
  int64_t lookups() const;     // GetAccessKeyInfo calls made

 private:
  void Run();
  // Known account of a key: mapping, default account, answered lookup.
  std::optional<std::string> KnownLocked(const std::string& key) REQUIRES(mu_);
  Status Scan();
  Status Drain(const std::string& key, const std::string& account);
  void Lookups();

  const AttributionOptions opt_;
  std::unique_ptr<storage::Store> store_;  // the thread's only
  std::shared_ptr<const sla::Catalog> catalog_;
  LiveSink* sink_;

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool wake_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::string> resolved_ GUARDED_BY(mu_);  // answered lookups
  std::set<std::string> wanted_ GUARDED_BY(mu_);                 // keys to look up
  std::map<std::string, int64_t> retry_at_ GUARDED_BY(mu_);      // failed: monotonic ms
  std::set<std::string> warned_ GUARDED_BY(mu_);
  std::map<std::string, int64_t> pending_ GUARDED_BY(mu_);
  int64_t kept_since_scan_ GUARDED_BY(mu_) = 0;
  int64_t pending_total_ GUARDED_BY(mu_) = 0;
  bool warned_keys_ GUARDED_BY(mu_) = false;
  int64_t attributed_ GUARDED_BY(mu_) = 0;
  int64_t lookups_ GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace recoup::serve
