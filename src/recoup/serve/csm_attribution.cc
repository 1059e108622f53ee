#include "recoup/serve/csm_attribution.h"

#include <chrono>
#include <cstdio>
#include <future>
#include <utility>
#include <vector>

#include "recoup/ingest/record_parser.h"

namespace recoup::serve {

namespace {
constexpr int64_t kDrainBatch = 4096;
constexpr size_t kPadding = 64;  // the JSON parser reads past the end
}  // namespace

std::string MaskAccessKey(std::string_view key) {
  if (key.empty()) return "(none)";
  if (key.size() <= 8) return std::string(key.substr(0, 2)) + "...";
  return std::string(key.substr(0, 4)) + "..." + std::string(key.substr(key.size() - 4));
}

CsmAttributor::CsmAttributor(AttributionOptions options, std::unique_ptr<storage::Store> store,
                             std::shared_ptr<const sla::Catalog> catalog, LiveSink* sink)
    : opt_(std::move(options)),
      store_(std::move(store)),
      catalog_(std::move(catalog)),
      sink_(sink) {}

CsmAttributor::~CsmAttributor() { Stop(); }

void CsmAttributor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CsmAttributor::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> CsmAttributor::KnownLocked(const std::string& key) {
  if (auto it = opt_.mapping.find(key); it != opt_.mapping.end()) return it->second;
  if (!opt_.default_account.empty()) return opt_.default_account;
  if (auto it = resolved_.find(key); it != resolved_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> CsmAttributor::AccountOf(const std::string& access_key) {
  MutexLock lock(mu_);
  if (auto known = KnownLocked(access_key)) return known;
  if (access_key.empty() || !opt_.lookup || wanted_.count(access_key)) return std::nullopt;
  if (wanted_.size() >= opt_.max_lookup_keys) {
    if (!warned_keys_) {
      std::fprintf(stderr,
                   "recoup serve: csm: more than %zu distinct access keys: no more "
                   "GetAccessKeyInfo lookups this run; map keys in sources.csm.access_keys\n",
                   opt_.max_lookup_keys);
      warned_keys_ = true;
    }
    return std::nullopt;
  }
  wanted_.insert(access_key);
  wake_ = true;
  lock.Unlock();
  cv_.notify_all();
  return std::nullopt;
}

bool CsmAttributor::MayKeep() {
  MutexLock lock(mu_);
  if (pending_total_ + kept_since_scan_ >= opt_.max_kept) return false;
  ++kept_since_scan_;
  return true;
}

std::map<std::string, int64_t> CsmAttributor::Pending() const {
  MutexLock lock(mu_);
  return pending_;
}

int64_t CsmAttributor::pending_total() const {
  MutexLock lock(mu_);
  return pending_total_;
}

int64_t CsmAttributor::attributed() const {
  MutexLock lock(mu_);
  return attributed_;
}

int64_t CsmAttributor::lookups() const {
  MutexLock lock(mu_);
  return lookups_;
}

void CsmAttributor::Run() {
  for (;;) {
    Lookups();
    if (Status st = Scan(); !st.ok()) {
      std::fprintf(stderr, "recoup serve: csm attribution: %s\n", st.message().c_str());
    }
    MutexLock lock(mu_);
    if (stop_) return;
    if (!wake_) lock.WaitFor(cv_, std::chrono::milliseconds(opt_.scan_every_ms));
    wake_ = false;
    if (stop_) return;
  }
}

// One GetAccessKeyInfo per key asked for and not answered yet (a failure is
// asked again after retry_lookup_ms).
void CsmAttributor::Lookups() {
  if (!opt_.lookup) return;
  const int64_t now = sink_->clock().MonotonicMs();
  std::vector<std::string> keys;
  {
    MutexLock lock(mu_);
    for (const std::string& k : wanted_) {
      if (resolved_.count(k)) continue;
      auto r = retry_at_.find(k);
      if (r != retry_at_.end() && now < r->second) continue;
      keys.push_back(k);
    }
  }
  for (const std::string& k : keys) {
    {
      MutexLock lock(mu_);
      if (stop_) return;
      ++lookups_;
    }
    Result<std::string> account = opt_.lookup(k);
    MutexLock lock(mu_);
    if (account.ok() && !account->empty()) {
      resolved_[k] = *account;
      retry_at_.erase(k);
      std::fprintf(stderr, "recoup serve: csm: access key %s belongs to account %s\n",
                   MaskAccessKey(k).c_str(), account->c_str());
      continue;
    }
    retry_at_[k] = now + opt_.retry_lookup_ms;
    if (warned_.insert(k).second) {
      std::fprintf(stderr,
                   "recoup serve: csm: access key %s: account unknown (%s); its datagrams are "
                   "kept and counted as unattributed: map it in sources.csm.access_keys\n",
                   MaskAccessKey(k).c_str(),
                   account.ok() ? "empty answer" : account.status().message().c_str());
    }
  }
}

// Counts what is kept; attributes what now can be.
Status CsmAttributor::Scan() {
  RECOUP_ASSIGN_OR_RETURN(auto counts, store_->CountUnattributed());
  std::vector<std::pair<std::string, std::string>> ready;
  bool want_more = false;
  {
    MutexLock lock(mu_);
    for (const auto& [key, n] : counts) {
      if (auto account = KnownLocked(key)) {
        ready.emplace_back(key, *account);
      } else if (!key.empty() && opt_.lookup && !wanted_.count(key) &&
                 wanted_.size() < opt_.max_lookup_keys) {
        wanted_.insert(key);
        want_more = true;  // kept by an earlier run
      }
    }
    pending_ = counts;
    for (const auto& [key, account] : ready) pending_.erase(key);
    pending_total_ = 0;
    for (const auto& [key, n] : pending_) pending_total_ += n;
    kept_since_scan_ = 0;
    if (want_more) wake_ = true;
  }
  for (const auto& [key, account] : ready) RECOUP_RETURN_IF_ERROR(Drain(key, account));
  return Status::Ok();
}

// Parses the kept records of `key` as `account`'s and commits them as events,
// removing them in the same transaction.
Status CsmAttributor::Drain(const std::string& key, const std::string& account) {
  ingest::ParserOptions po;
  po.format = ingest::InputFormat::kCsm;
  po.default_account = account;
  ingest::RecordParser parser(catalog_, po);
  std::string buf, error;
  for (;;) {
    {
      MutexLock lock(mu_);
      if (stop_) return Status::Ok();
    }
    RECOUP_ASSIGN_OR_RETURN(auto kept, store_->ListUnattributed(key, kDrainBatch));
    if (kept.empty()) return Status::Ok();
    LiveBatch batch;
    batch.source = "csm";
    for (const storage::UnattributedRecord& r : kept) {
      batch.attributed_ids.push_back(r.id);
      buf.assign(r.record);
      buf.resize(r.record.size() + kPadding, '\0');
      ingest::RawRecord rec;
      rec.json = std::string_view(buf.data(), r.record.size());
      rec.capacity = buf.size();
      rec.line = 1;
      events::EventView v;
      if (parser.Parse(rec, &v, &error) == ingest::ParseOutcome::kAccepted) {
        batch.events.push_back(events::Event::From(v));
      } else {
        ++batch.rejected;  // accepted when kept; cannot happen with the same catalog
      }
    }
    const int64_t n = static_cast<int64_t>(kept.size());
    auto done = std::make_shared<std::promise<Status>>();
    std::future<Status> committed = done->get_future();
    batch.done = [done](const Status& st) { done->set_value(st); };
    if (!sink_->Submit(std::move(batch))) return Status::Ok();  // stopping
    RECOUP_RETURN_IF_ERROR(committed.get());
    MutexLock lock(mu_);
    attributed_ += n;
  }
}

}  // namespace recoup::serve
