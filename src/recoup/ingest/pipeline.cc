#include "recoup/ingest/pipeline.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "recoup/aws/s3_client.h"
#include "recoup/core/mutex.h"
#include "recoup/core/sha256.h"
#include "recoup/ingest/file_ingester.h"
#include "recoup/io/byte_source.h"
#include "recoup/net/retry.h"

namespace recoup::ingest {

namespace {

// Bytes of one S3 object body buffered between the fetch and parse threads.
constexpr size_t kS3PipeBytes = 4u << 20;
// S3 downloads in flight, and fetched objects that may wait for a parser.
constexpr int kS3Fetchers = 8;
constexpr size_t kS3Ahead = 8;
// A worker hands results to the committer in groups of this many files or bytes.
constexpr size_t kHandOverFiles = 32;
constexpr int64_t kHandOverBytes = 32 << 20;
// The committer commits a batch of this many files, or after this long.
constexpr size_t kCommitFiles = 64;
constexpr int64_t kCommitEveryMs = 500;
// Every file with a problem is named at least once (up to this many);
// further details are capped at IngestOptions::max_messages.
constexpr int64_t kMaxFilesNamed = 1000;

struct Item {
  FileResult result;
  std::string display_path;   // as the user gave it, for messages
  bool already = false;       // seen in the ledger before parsing
  bool not_recorded = false;  // every record rejected: not put in the ledger
  std::string supersedes;     // sha256 of the damaged copy this file repairs
  int64_t mtime_ns = 0;
  Status open_error;
};

// One unit of work: a local file, or an S3 object.
struct Work {
  std::string local;   // empty for an S3 object
  std::string bucket;  // S3 only
  aws::S3Object object;
};

// An S3 object on its way from a fetch thread to a parse worker.
struct Prefetched {
  const Work* work = nullptr;
  bool already = false;  // in the ledger: nothing fetched
  std::unique_ptr<io::Pipe> pipe;
  Mutex mu;
  std::condition_variable_any cv;
  bool done GUARDED_BY(mu) = false;
  Status fetched GUARDED_BY(mu);
  std::string etag GUARDED_BY(mu);
  int64_t received GUARDED_BY(mu) = 0;
};

// The ledger's modification-time field for an S3 object: its ETag hashed
// (an object's ETag changes whenever its bytes do).
int64_t EtagStamp(const std::string& etag) {
  Sha256 h;
  h.Update(etag);
  const std::string hex = h.HexDigest();
  return static_cast<int64_t>(std::stoull(hex.substr(0, 15), nullptr, 16));
}

// Keys the local walk would skip too: folder markers, hidden entries and
// CloudTrail digest files.
bool SkipS3Key(const std::string& key) {
  if (key.empty() || key.back() == '/') return true;
  if (key.find("CloudTrail-Digest/") != std::string::npos) return true;
  size_t start = 0;
  for (;;) {
    if (start < key.size() && key[start] == '.') return true;
    const size_t slash = key.find('/', start);
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

// An S3 client for one thread (curl handle + standard retries).
struct ThreadS3 {
  std::unique_ptr<net::HttpClient> curl;
  std::unique_ptr<net::RetryingClient> retrying;
  std::unique_ptr<aws::S3Client> client;
};

ThreadS3 MakeThreadS3(const S3Settings& s3, std::shared_ptr<net::RetryQuota> quota) {
  ThreadS3 t;
  t.curl = net::MakeCurlHttpClient();
  t.retrying = std::make_unique<net::RetryingClient>(t.curl.get(), net::RetryPolicy{},
                                                     net::RetryHooks{}, std::move(quota));
  t.client = std::make_unique<aws::S3Client>(
      t.retrying.get(), s3.credentials.get(),
      aws::S3ClientOptions{.endpoint = s3.endpoint, .path_style = s3.path_style, .clock = {}});
  return t;
}

class Progress {
 public:
  Progress(bool enabled, int64_t total, const Clock& clock)
      : enabled_(enabled), total_(total), clock_(clock), start_ms_(clock.MonotonicMs()) {}
  void Update(int64_t done, int64_t json_bytes, bool force = false) {
    if (!enabled_) return;
    const int64_t now = clock_.MonotonicMs();
    const double secs = static_cast<double>(now - start_ms_) / 1000.0;
    if (!force && (secs < 1.0 || now - last_ms_ < 200)) return;
    last_ms_ = now;
    const int width = 30;
    const int fill = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::string bar(static_cast<size_t>(fill), '=');
    bar.resize(width, ' ');
    std::fprintf(stderr, "\r[%s] %lld/%lld files  %.1f MB  %.0f MB/s", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), json_bytes / 1e6,
                 secs > 0 ? json_bytes / 1e6 / secs : 0.0);
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  int64_t total_;
  const Clock& clock_;
  int64_t start_ms_, last_ms_ = 0;
};

// One run of the pipeline. Threads: `fetchers` S3 fetch threads, `threads`
// parse workers, and the caller's thread as the committer.
class Pipeline {
 public:
  Pipeline(storage::Store& store, std::shared_ptr<const sla::Catalog> catalog,
           const IngestOptions& opt)
      : store_(store),
        catalog_(std::move(catalog)),
        opt_(opt),
        clock_(opt.clock != nullptr ? *opt.clock : SystemClock()),
        retry_quota_(std::make_shared<net::RetryQuota>(net::RetryPolicy{}.initial_quota)) {}

  Result<IngestSummary> Run();

 private:
  Status ListWork();
  void StartThreads();
  void StopThreads(const Status& failure);

  // Fetch threads.
  void FetchLoop();
  std::shared_ptr<Prefetched> NextPrefetched();

  // Parse workers.
  void WorkerLoop();
  bool IngestObject(FileIngester& ingester, Item* item);
  void IngestLocal(FileIngester& ingester, storage::Store* ledger, const std::string& file,
                   Item* item);
  void HandOver(std::vector<std::unique_ptr<Item>>& pending);

  // The committer.
  Status CommitLoop();
  Status Commit();
  void CountCommitted(const std::vector<Item*>& recorded,
                      const std::vector<storage::ItemOutcome>& outcomes);
  void Note(const std::string& m);
  void NoteFile(const std::string& m);
  void NoteFileErrors(const FileResult& r);

  storage::Store& store_;
  std::shared_ptr<const sla::Catalog> catalog_;
  const IngestOptions& opt_;
  const Clock& clock_;
  std::shared_ptr<net::RetryQuota> retry_quota_;
  std::vector<Work> files_;
  IngestSummary sum_;
  int threads_ = 1;
  int64_t interval_ms_ = 0;
  std::atomic<bool> stop_{false};

  // Workers -> committer.
  Mutex mu_;
  std::condition_variable_any cv_ready_, cv_space_;
  std::deque<std::unique_ptr<Item>> ready_ GUARDED_BY(mu_);
  size_t max_in_flight_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<int> running_{0};

  // Fetchers -> workers.
  std::vector<const Work*> s3_work_;
  Mutex pf_mu_;
  std::condition_variable_any pf_ready_, pf_space_;
  std::deque<std::shared_ptr<Prefetched>> prefetched_ GUARDED_BY(pf_mu_);
  std::atomic<size_t> next_s3_{0};
  int fetchers_running_ GUARDED_BY(pf_mu_) = 0;

  std::vector<std::thread> fetch_pool_, pool_;

  // Committer only.
  std::vector<std::unique_ptr<Item>> batch_;
  std::unique_ptr<Progress> progress_;
  int64_t done_ = 0;
  int64_t files_named_ = 0;
};

Status Pipeline::ListWork() {
  std::vector<std::string> local_paths;
  std::vector<aws::S3Url> s3_urls;
  for (const std::string& p : opt_.paths) {
    if (!aws::IsS3Url(p)) {
      local_paths.push_back(p);
      continue;
    }
    RECOUP_ASSIGN_OR_RETURN(aws::S3Url url, aws::ParseS3Url(p));
    s3_urls.push_back(std::move(url));
  }
  if (!s3_urls.empty() && !opt_.s3.has_value()) {
    return InvalidArgument(s3_urls.front().ToString() + ": S3 access is not configured");
  }
  if (!local_paths.empty()) {
    std::vector<io::SkippedEntry> skipped;
    RECOUP_ASSIGN_OR_RETURN(std::vector<std::string> local,
                            io::ListInputFiles(local_paths, &skipped));
    sum_.files_skipped = static_cast<int64_t>(skipped.size());
    for (const io::SkippedEntry& e : skipped) {
      if (sum_.skipped_messages.size() >= 100) break;
      sum_.skipped_messages.push_back(e.Message());
    }
    for (auto& f : local) files_.push_back(Work{.local = std::move(f), .bucket = {}, .object = {}});
  }
  if (!s3_urls.empty()) {
    ThreadS3 lister = MakeThreadS3(*opt_.s3, retry_quota_);
    std::set<std::pair<std::string, std::string>> seen;
    for (const aws::S3Url& url : s3_urls) {
      RECOUP_ASSIGN_OR_RETURN(std::vector<aws::S3Object> objects,
                              lister.client->ListAll(url.bucket, url.prefix));
      for (auto& o : objects) {
        if (SkipS3Key(o.key) || !seen.emplace(url.bucket, o.key).second) continue;
        files_.push_back(Work{.local = {}, .bucket = url.bucket, .object = std::move(o)});
      }
    }
  }
  for (const Work& w : files_) {
    if (w.local.empty()) s3_work_.push_back(&w);
  }
  return Status::Ok();
}

// S3 objects: fetch threads keep several downloads in flight, each body
// streaming into a bounded pipe that a parse worker reads; parse workers stay
// at one per core. At most kS3Ahead fetched objects wait for a parse worker,
// so memory stays bounded (pipes of kS3PipeBytes each).
void Pipeline::FetchLoop() {
  auto ledger = storage::OpenSqliteStore(opt_.store_path);
  std::optional<ThreadS3> s3;
  for (;;) {
    const size_t k = next_s3_.fetch_add(1);
    if (k >= s3_work_.size() || stop_.load()) break;
    auto pf = std::make_shared<Prefetched>();
    pf->work = s3_work_[k];
    const Work& w = *pf->work;
    if (ledger.ok()) {
      auto h = (*ledger)->HasFileAt("s3://" + w.bucket + "/" + w.object.key, w.object.size,
                                    EtagStamp(w.object.etag));
      pf->already = h.ok() && *h;
    }
    if (!pf->already) pf->pipe = std::make_unique<io::Pipe>(kS3PipeBytes);
    {
      MutexLock lock(pf_mu_);
      while (!(prefetched_.size() < kS3Ahead || stop_.load())) lock.Wait(pf_space_);
      if (stop_.load()) break;
      prefetched_.push_back(pf);
      pf_ready_.notify_one();
    }
    if (pf->already) continue;
    if (!s3.has_value()) s3 = MakeThreadS3(*opt_.s3, retry_quota_);
    std::string etag;
    int64_t received = 0;
    Status st = s3->client->GetObject(
        w.bucket, w.object.key,
        [&](const char* p, size_t n) {
          received += static_cast<int64_t>(n);
          return pf->pipe->Write(p, n);
        },
        &etag);
    pf->pipe->CloseWrite(st.ok() ? Status::Ok() : st);
    MutexLock lock(pf->mu);
    pf->fetched = st;
    pf->etag = std::move(etag);
    pf->received = received;
    pf->done = true;
    pf->cv.notify_all();
  }
  MutexLock lock(pf_mu_);
  if (--fetchers_running_ == 0) pf_ready_.notify_all();
}

// The next fetched object, or nullptr when there is none left.
std::shared_ptr<Prefetched> Pipeline::NextPrefetched() {
  MutexLock lock(pf_mu_);
  while (!(!prefetched_.empty() || fetchers_running_ == 0 || stop_.load())) lock.Wait(pf_ready_);
  if (prefetched_.empty() || stop_.load()) return nullptr;
  auto pf = std::move(prefetched_.front());
  prefetched_.pop_front();
  pf_space_.notify_one();
  return pf;
}

// Hands results over in groups: one wake-up per group, not per file.
void Pipeline::HandOver(std::vector<std::unique_ptr<Item>>& pending) {
  if (pending.empty()) return;
  MutexLock lock(mu_);
  while (!(ready_.size() < max_in_flight_ || stop_.load())) lock.Wait(cv_space_);
  const bool was_empty = ready_.empty();
  for (auto& p : pending) ready_.push_back(std::move(p));
  pending.clear();
  if (was_empty) cv_ready_.notify_one();
}

// Parses the next fetched S3 object into `item`; false if none is left.
bool Pipeline::IngestObject(FileIngester& ingester, Item* item) {
  std::shared_ptr<Prefetched> pf = NextPrefetched();
  if (pf == nullptr) return false;
  const Work& w = *pf->work;
  item->display_path = item->result.path = "s3://" + w.bucket + "/" + w.object.key;
  item->result.file_bytes = w.object.size;
  item->mtime_ns = EtagStamp(w.object.etag);
  if (pf->already) {
    item->already = true;
    return true;
  }
  const std::string path = item->result.path;
  Status s = ingester.IngestStream(pf->pipe.get(), path, &item->result);
  pf->pipe->CloseRead();
  MutexLock lock(pf->mu);
  while (!(pf->done)) lock.Wait(pf->cv);
  if (!pf->fetched.ok()) {
    // A transfer that failed is not damage in the object: nothing is
    // recorded, and the next run reads it again.
    item->result.records = item->result.accepted = item->result.skipped = 0;
    item->result.rejected = item->result.error_count = 0;
    item->result.errors.clear();
    item->result.agg.Clear();
    item->result.path = path;
    item->open_error = pf->fetched;
    return true;
  }
  // Record what was actually read (the object may have been replaced since
  // it was listed).
  if (!pf->etag.empty()) item->mtime_ns = EtagStamp(pf->etag);
  item->result.path = path;
  item->result.file_bytes = pf->received;
  if (!s.ok()) item->open_error = s;
  return true;
}

// Reads one local file into `item`, unless the ledger (`ledger`, may be
// null) already has it.
void Pipeline::IngestLocal(FileIngester& ingester, storage::Store* ledger, const std::string& file,
                           Item* item) {
  item->display_path = file;
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(file, ec);
  item->result.path = ec ? file : abs.lexically_normal().string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    item->open_error = NotFound(file + ": cannot read: " + std::strerror(errno));
    return;
  }
  item->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  item->result.file_bytes = static_cast<int64_t>(st.st_size);
  if (ledger != nullptr) {
    auto h = ledger->HasFileAt(item->result.path, item->result.file_bytes, item->mtime_ns);
    if (h.ok() && *h) {
      item->already = true;
      return;
    }
  }
  const int64_t size = item->result.file_bytes;
  const std::string path = item->result.path;
  // A damaged copy of this file counted its whole records already: if this
  // file starts with the same bytes, skip those records.
  int64_t skip = 0;
  if (ledger != nullptr) {
    auto damaged = ledger->FindDamagedFile(storage::LedgerName(path));
    if (damaged.ok() && damaged->has_value()) {
      const auto& d = **damaged;
      auto prefix = FileIngester::PrefixContentHash(file, d.json_bytes);
      if (prefix.ok() && *prefix == d.content_hash) {
        skip = d.records_yielded;
        item->supersedes = d.sha256;
      }
    }
  }
  Status s = ingester.Ingest(file, &item->result, skip);
  item->result.path = path;
  item->result.file_bytes = size;
  if (!s.ok()) item->open_error = s;
}

void Pipeline::WorkerLoop() {
  // Each worker has its own read connection for ledger checks (WAL readers
  // do not block the writer).
  auto ledger = storage::OpenSqliteStore(opt_.store_path);
  storage::Store* ledger_store = ledger.ok() ? ledger->get() : nullptr;
  ParserOptions parser_options = opt_.parser;
  if (parser_options.clock == nullptr) parser_options.clock = &clock_;
  FileIngester ingester(catalog_, parser_options, interval_ms_);
  std::vector<std::unique_ptr<Item>> pending;
  int64_t pending_bytes = 0;
  for (;;) {
    const size_t i = next_.fetch_add(1);
    if (i >= files_.size() || stop_.load()) break;
    auto item = std::make_unique<Item>();
    if (files_[i].local.empty()) {
      if (!IngestObject(ingester, item.get())) continue;
    } else {
      IngestLocal(ingester, ledger_store, files_[i].local, item.get());
    }
    pending_bytes += item->result.json_bytes;
    pending.push_back(std::move(item));
    if (pending.size() >= kHandOverFiles || pending_bytes >= kHandOverBytes) {
      HandOver(pending);
      pending_bytes = 0;
    }
  }
  HandOver(pending);
  if (--running_ == 0) {
    MutexLock lock(mu_);
    cv_ready_.notify_all();
  }
}

void Pipeline::Note(const std::string& m) {
  ++sum_.message_count;
  if (static_cast<int>(sum_.messages.size()) < opt_.max_messages) sum_.messages.push_back(m);
}

void Pipeline::NoteFile(const std::string& m) {
  ++sum_.message_count;
  if (files_named_++ < kMaxFilesNamed) sum_.messages.push_back(m);
}

void Pipeline::NoteFileErrors(const FileResult& r) {
  for (size_t k = 0; k < r.errors.size(); ++k) {
    if (k == 0) {
      NoteFile(r.errors[k]);
    } else {
      Note(r.errors[k]);
    }
  }
  sum_.message_count += r.error_count - static_cast<int64_t>(r.errors.size());
}

storage::FileBatchItem LedgerItem(const Item& it, int64_t now_ms) {
  const FileResult& r = it.result;
  storage::FileBatchItem b;
  b.entry.sha256 = r.sha256;
  b.entry.content_hash = r.content_hash;
  b.entry.path = r.path;
  b.entry.mtime_ns = it.mtime_ns;
  b.entry.file_bytes = r.file_bytes;
  b.entry.json_bytes = r.json_bytes;
  b.entry.records = r.records;
  b.entry.accepted = r.accepted;
  b.entry.skipped = r.skipped;
  b.entry.rejected = r.rejected;
  b.entry.errors = r.error_count;
  b.entry.status = r.stream_status.ok() ? "ok" : r.stream_status.message();
  b.entry.records_yielded = r.records_yielded;
  b.entry.supersedes = it.supersedes;
  b.entry.ingested_at_ms = now_ms;
  b.agg = &r.agg;
  return b;
}

// Commits the batch in one transaction, then (and only then) counts it.
Status Pipeline::Commit() {
  if (batch_.empty()) return Status::Ok();
  std::vector<storage::FileBatchItem> items;
  std::vector<Item*> recorded;
  const int64_t now_ms = clock_.NowMs();
  for (auto& it : batch_) {
    if (it->already || !it->open_error.ok()) continue;
    const FileResult& r = it->result;
    // Nothing accepted and something rejected: most likely the wrong
    // --format or a missing --account. Leave it out of the ledger so a
    // corrected run can ingest it (it contributed nothing to count twice).
    if (r.accepted == 0 && r.rejected > 0 && it->supersedes.empty()) {
      it->not_recorded = true;
      continue;
    }
    items.push_back(LedgerItem(*it, now_ms));
    recorded.push_back(it.get());
  }
  std::vector<storage::ItemOutcome> outcomes;
  RECOUP_RETURN_IF_ERROR(store_.CommitFiles(items, &outcomes));
  CountCommitted(recorded, outcomes);
  batch_.clear();
  progress_->Update(done_, sum_.json_bytes);
  return Status::Ok();
}

void Pipeline::CountCommitted(const std::vector<Item*>& recorded,
                              const std::vector<storage::ItemOutcome>& outcomes) {
  for (auto& it : batch_) {
    ++done_;
    if (!it->open_error.ok()) {
      ++sum_.files_failed;
      NoteFile(it->open_error.message());
      continue;
    }
    if (it->already) ++sum_.files_already;
  }
  for (auto& it : batch_) {
    if (!it->not_recorded) continue;
    const FileResult& r = it->result;
    ++sum_.files_not_recorded;
    sum_.records += r.records;
    sum_.rejected += r.rejected;
    sum_.skipped += r.skipped;
    sum_.json_bytes += r.json_bytes;
    NoteFileErrors(r);
    NoteFile(it->display_path +
             ": no record accepted; not marked as ingested, so a corrected run will read it");
  }
  for (size_t i = 0; i < recorded.size(); ++i) {
    const FileResult& r = recorded[i]->result;
    if (outcomes[i].already_ingested) {
      ++sum_.files_already;  // an identical file earlier in this run
      continue;
    }
    ++sum_.files_ingested;
    if (!r.stream_status.ok()) ++sum_.files_damaged;
    sum_.records += r.records;
    sum_.accepted += r.accepted;
    sum_.skipped += r.skipped;
    sum_.rejected += r.rejected;
    sum_.json_bytes += r.json_bytes;
    sum_.file_bytes += r.file_bytes;
    sum_.duplicates += outcomes[i].duplicate_failures + r.superseded_records;
    sum_.cross_source += outcomes[i].cross_source_matches;
    sum_.new_failures += outcomes[i].new_failures;
    NoteFileErrors(r);
  }
}

// Takes what the workers hand over and commits it in batches of
// kCommitFiles files or kCommitEveryMs, until the workers are done.
Status Pipeline::CommitLoop() {
  int64_t last_commit_ms = clock_.MonotonicMs();
  for (;;) {
    bool finished = false;
    {
      MutexLock lock(mu_);
      {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
        while (!(!ready_.empty() || running_.load() == 0) && lock.WaitUntil(cv_ready_, until)) {
        }
      }
      if (!ready_.empty()) {
        while (!ready_.empty()) {
          batch_.push_back(std::move(ready_.front()));
          ready_.pop_front();
        }
        cv_space_.notify_all();
      } else if (running_.load() == 0) {
        finished = true;
      }
    }
    if (finished) break;
    const bool due =
        batch_.size() >= kCommitFiles || clock_.MonotonicMs() - last_commit_ms > kCommitEveryMs;
    if (due && !batch_.empty()) {
      Status st = Commit();
      last_commit_ms = clock_.MonotonicMs();
      if (!st.ok()) return st;
    }
  }
  return Commit();
}

void Pipeline::StartThreads() {
  const int fetchers =
      s3_work_.empty() ? 0 : std::min<int>(kS3Fetchers, static_cast<int>(s3_work_.size()));
  {
    MutexLock lock(pf_mu_);  // before any fetcher runs, but the analysis cannot know that
    fetchers_running_ = fetchers;
  }
  running_ = threads_;
  for (int t = 0; t < fetchers; ++t) fetch_pool_.emplace_back([this] { FetchLoop(); });
  for (int t = 0; t < threads_; ++t) pool_.emplace_back([this] { WorkerLoop(); });
}

void Pipeline::StopThreads(const Status& failure) {
  if (!failure.ok()) {
    stop_ = true;
    cv_space_.notify_all();
    MutexLock lock(pf_mu_);
    pf_ready_.notify_all();
  }
  for (auto& t : pool_) t.join();
  {
    // Release fetchers still waiting for room or for a reader.
    MutexLock lock(pf_mu_);
    stop_ = true;
    for (auto& pf : prefetched_) {
      if (pf->pipe) pf->pipe->CloseRead();
    }
    pf_space_.notify_all();
  }
  for (auto& t : fetch_pool_) t.join();
}

Result<IngestSummary> Pipeline::Run() {
  const int64_t t0_ns = clock_.MonotonicNs();
  RECOUP_RETURN_IF_ERROR(ListWork());
  sum_.files = static_cast<int64_t>(files_.size());
  threads_ =
      opt_.threads > 0 ? opt_.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads_ =
      std::max(1, std::min<int>(threads_, std::max<int>(1, static_cast<int>(files_.size()))));
  // Aggregate at the finest interval of the catalog.
  interval_ms_ = catalog_->FinestIntervalMs();
  // Enough room that workers keep going while a batch commits; items hold
  // aggregates, not raw data, so this bounds memory.
  max_in_flight_ = 128 + static_cast<size_t>(threads_) * 16;
  progress_ = std::make_unique<Progress>(opt_.progress, sum_.files, clock_);

  StartThreads();
  const Status failure = CommitLoop();
  StopThreads(failure);
  progress_->Update(done_, sum_.json_bytes, true);
  progress_->Finish();
  if (!failure.ok()) return failure;
  sum_.seconds = static_cast<double>(clock_.MonotonicNs() - t0_ns) / 1e9;
  return sum_;
}

}  // namespace

Result<S3Settings> ResolveS3Settings(const std::string& profile, const std::string& region,
                                     const std::string& missing_region) {
  aws::AwsConfig::Options co;
  if (!profile.empty()) co.profile = profile;
  RECOUP_ASSIGN_OR_RETURN(aws::AwsConfig config, aws::AwsConfig::Load(co));
  std::string r = region;
  if (r.empty()) {
    auto configured = config.Region();
    if (!configured.ok()) return InvalidArgument(missing_region);
    r = *configured;
  }
  S3Settings s3;
  RECOUP_ASSIGN_OR_RETURN(s3.endpoint, config.ResolveEndpoint("S3", r));
  s3.path_style = s3.endpoint.source != "default";
  s3.credentials_http = net::MakeCurlHttpClient();
  s3.credentials = aws::MakeDefaultCredentialsProvider(
      config, aws::ProviderDeps{.http = s3.credentials_http.get(), .clock = {}});
  return s3;
}

Result<IngestSummary> RunIngest(storage::Store& store, std::shared_ptr<const sla::Catalog> catalog,
                                const IngestOptions& options) {
  Pipeline pipeline(store, std::move(catalog), options);
  return pipeline.Run();
}

}  // namespace recoup::ingest
