#include "recoup/cli/ingest_run.h"

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
#include "recoup/core/sha256.h"
#include "recoup/ingest/file_ingester.h"
#include "recoup/io/byte_source.h"
#include "recoup/net/retry.h"

namespace recoup::cli {

namespace {

// Bytes of one S3 object body buffered between the fetch and parse threads.
constexpr size_t kS3PipeBytes = 4u << 20;
// S3 downloads in flight, and fetched objects that may wait for a parser.
constexpr int kS3Fetchers = 8;
constexpr size_t kS3Ahead = 8;

struct Item {
  ingest::FileResult result;
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
  Progress(bool enabled, int64_t total) : enabled_(enabled), total_(total) {
    start_ = std::chrono::steady_clock::now();
  }
  void Update(int64_t done, int64_t json_bytes, bool force = false) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - start_).count();
    if (!force && (secs < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.2)) return;
    last_ = now;
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
  std::chrono::steady_clock::time_point start_, last_;
};

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
                                const IngestOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> local_paths;
  std::vector<aws::S3Url> s3_urls;
  for (const std::string& p : opt.paths) {
    if (!aws::IsS3Url(p)) {
      local_paths.push_back(p);
      continue;
    }
    RECOUP_ASSIGN_OR_RETURN(aws::S3Url url, aws::ParseS3Url(p));
    s3_urls.push_back(std::move(url));
  }
  if (!s3_urls.empty() && !opt.s3.has_value()) {
    return InvalidArgument(s3_urls.front().ToString() + ": S3 access is not configured");
  }
  std::vector<Work> files;
  if (!local_paths.empty()) {
    RECOUP_ASSIGN_OR_RETURN(std::vector<std::string> local, io::ListInputFiles(local_paths));
    for (auto& f : local) files.push_back(Work{.local = std::move(f), .bucket = {}, .object = {}});
  }
  auto retry_quota = std::make_shared<net::RetryQuota>(net::RetryPolicy{}.initial_quota);
  if (!s3_urls.empty()) {
    ThreadS3 lister = MakeThreadS3(*opt.s3, retry_quota);
    std::set<std::pair<std::string, std::string>> seen;
    for (const aws::S3Url& url : s3_urls) {
      RECOUP_ASSIGN_OR_RETURN(std::vector<aws::S3Object> objects,
                              lister.client->ListAll(url.bucket, url.prefix));
      for (auto& o : objects) {
        if (SkipS3Key(o.key) || !seen.emplace(url.bucket, o.key).second) continue;
        files.push_back(Work{.local = {}, .bucket = url.bucket, .object = std::move(o)});
      }
    }
  }
  IngestSummary sum;
  sum.files = static_cast<int64_t>(files.size());
  int threads =
      opt.threads > 0 ? opt.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, std::max<int>(1, static_cast<int>(files.size()))));

  // The interval length is a property of the SLA; every catalog version
  // currently uses 5 minutes. Aggregate at the finest interval in the catalog.
  const int64_t interval_ms = catalog->FinestIntervalMs();

  std::mutex mu;
  std::condition_variable cv_ready, cv_space;
  std::deque<std::unique_ptr<Item>> ready;
  // Enough room that workers keep going while a batch commits; items hold
  // aggregates, not raw data, so this bounds memory.
  const size_t max_in_flight = 128 + static_cast<size_t>(threads) * 16;
  std::atomic<size_t> next{0};
  std::atomic<int> running{threads};
  std::atomic<bool> stop{false};

  // S3 objects: fetch threads keep several downloads in flight, each body
  // streaming into a bounded pipe that a parse worker reads; parse workers
  // stay at one per core. At most kS3Ahead fetched objects wait for a parse
  // worker, so memory stays bounded (pipes of kS3PipeBytes each).
  struct Prefetched {
    const Work* work = nullptr;
    bool already = false;  // in the ledger: nothing fetched
    std::unique_ptr<io::Pipe> pipe;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status fetched;
    std::string etag;
    int64_t received = 0;
  };
  std::vector<const Work*> s3_work;
  for (const Work& w : files) {
    if (w.local.empty()) s3_work.push_back(&w);
  }
  std::mutex pf_mu;
  std::condition_variable pf_ready, pf_space;
  std::deque<std::shared_ptr<Prefetched>> prefetched;
  std::atomic<size_t> next_s3{0};
  const int fetchers = s3_work.empty() ? 0 : std::min<int>(kS3Fetchers, s3_work.size());
  int fetchers_running = fetchers;
  auto fetcher = [&]() {
    auto ledger = storage::OpenSqliteStore(opt.store_path);
    std::optional<ThreadS3> s3;
    for (;;) {
      const size_t k = next_s3.fetch_add(1);
      if (k >= s3_work.size() || stop.load()) break;
      auto pf = std::make_shared<Prefetched>();
      pf->work = s3_work[k];
      const Work& w = *pf->work;
      if (ledger.ok()) {
        auto h = (*ledger)->HasFileAt("s3://" + w.bucket + "/" + w.object.key, w.object.size,
                                      EtagStamp(w.object.etag));
        pf->already = h.ok() && *h;
      }
      if (!pf->already) pf->pipe = std::make_unique<io::Pipe>(kS3PipeBytes);
      {
        std::unique_lock<std::mutex> lock(pf_mu);
        pf_space.wait(lock, [&] { return prefetched.size() < kS3Ahead || stop.load(); });
        if (stop.load()) break;
        prefetched.push_back(pf);
        pf_ready.notify_one();
      }
      if (pf->already) continue;
      if (!s3.has_value()) s3 = MakeThreadS3(*opt.s3, retry_quota);
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
      std::lock_guard<std::mutex> lock(pf->mu);
      pf->fetched = st;
      pf->etag = std::move(etag);
      pf->received = received;
      pf->done = true;
      pf->cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(pf_mu);
    if (--fetchers_running == 0) pf_ready.notify_all();
  };
  // The next fetched object, or nullptr when there is none left.
  auto next_prefetched = [&]() -> std::shared_ptr<Prefetched> {
    std::unique_lock<std::mutex> lock(pf_mu);
    pf_ready.wait(lock,
                  [&] { return !prefetched.empty() || fetchers_running == 0 || stop.load(); });
    if (prefetched.empty() || stop.load()) return nullptr;
    auto pf = std::move(prefetched.front());
    prefetched.pop_front();
    pf_space.notify_one();
    return pf;
  };

  auto worker = [&]() {
    // Each worker has its own read connection for ledger checks (WAL readers
    // do not block the writer).
    auto ledger = storage::OpenSqliteStore(opt.store_path);
    ingest::FileIngester ingester(catalog, opt.parser, interval_ms);
    // Hand results over in groups: one wake-up per group, not per file.
    std::vector<std::unique_ptr<Item>> pending;
    int64_t pending_bytes = 0;
    auto flush = [&]() {
      if (pending.empty()) return;
      std::unique_lock<std::mutex> lock(mu);
      cv_space.wait(lock, [&] { return ready.size() < max_in_flight || stop.load(); });
      const bool was_empty = ready.empty();
      for (auto& p : pending) ready.push_back(std::move(p));
      pending.clear();
      pending_bytes = 0;
      if (was_empty) cv_ready.notify_one();
    };
    // Parses the next fetched S3 object into `item`; false if none is left.
    auto ingest_object = [&](Item* item) -> bool {
      std::shared_ptr<Prefetched> pf = next_prefetched();
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
      std::unique_lock<std::mutex> lock(pf->mu);
      pf->cv.wait(lock, [&] { return pf->done; });
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
      // Record what was actually read (the object may have been replaced
      // since it was listed).
      if (!pf->etag.empty()) item->mtime_ns = EtagStamp(pf->etag);
      item->result.path = path;
      item->result.file_bytes = pf->received;
      if (!s.ok()) item->open_error = s;
      return true;
    };
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= files.size() || stop.load()) break;
      auto item = std::make_unique<Item>();
      if (files[i].local.empty()) {
        if (!ingest_object(item.get())) continue;
        pending_bytes += item->result.json_bytes;
        pending.push_back(std::move(item));
        if (pending.size() >= 32 || pending_bytes >= (32 << 20)) flush();
        continue;
      }
      const std::string& file = files[i].local;
      item->display_path = file;
      std::error_code ec;
      const std::filesystem::path abs = std::filesystem::absolute(file, ec);
      item->result.path = ec ? file : abs.lexically_normal().string();
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0) {
        item->open_error = NotFound(file + ": cannot read: " + std::strerror(errno));
      } else {
        item->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        item->result.file_bytes = static_cast<int64_t>(st.st_size);
        bool known = false;
        if (ledger.ok()) {
          auto h = (*ledger)->HasFileAt(item->result.path, item->result.file_bytes, item->mtime_ns);
          known = h.ok() && *h;
        }
        if (known) {
          item->already = true;
        } else {
          const int64_t size = item->result.file_bytes;
          const std::string path = item->result.path;
          // A damaged copy of this file counted its whole records already:
          // if this file starts with the same bytes, skip those records.
          int64_t skip = 0;
          if (ledger.ok()) {
            auto damaged = (*ledger)->FindDamagedFile(storage::LedgerName(path));
            if (damaged.ok() && damaged->has_value()) {
              const auto& d = **damaged;
              auto prefix = ingest::FileIngester::PrefixContentHash(file, d.json_bytes);
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
      }
      pending_bytes += item->result.json_bytes;
      pending.push_back(std::move(item));
      if (pending.size() >= 32 || pending_bytes >= (32 << 20)) flush();
    }
    flush();
    if (--running == 0) {
      std::lock_guard<std::mutex> lock(mu);
      cv_ready.notify_all();
    }
  };

  std::vector<std::thread> fetch_pool;
  for (int t = 0; t < fetchers; ++t) fetch_pool.emplace_back(fetcher);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  Progress progress(opt.progress, sum.files);
  int64_t done = 0;
  Status failure;
  // Every file with a problem is named at least once (up to kMaxFilesNamed);
  // further details are capped at opt.max_messages.
  constexpr int64_t kMaxFilesNamed = 1000;
  int64_t files_named = 0;
  auto note = [&](const std::string& m) {
    ++sum.message_count;
    if (static_cast<int>(sum.messages.size()) < opt.max_messages) sum.messages.push_back(m);
  };
  auto note_file = [&](const std::string& m) {
    ++sum.message_count;
    if (files_named++ < kMaxFilesNamed) sum.messages.push_back(m);
  };
  auto note_file_errors = [&](const ingest::FileResult& r) {
    for (size_t k = 0; k < r.errors.size(); ++k) {
      if (k == 0) {
        note_file(r.errors[k]);
      } else {
        note(r.errors[k]);
      }
    }
    sum.message_count += r.error_count - static_cast<int64_t>(r.errors.size());
  };

  std::vector<std::unique_ptr<Item>> batch;
  auto commit = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    std::vector<storage::FileBatchItem> items;
    std::vector<Item*> src;
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (auto& it : batch) {
      if (it->already || !it->open_error.ok()) continue;
      const ingest::FileResult& r = it->result;
      // Nothing accepted and something rejected: most likely the wrong
      // --format or a missing --account. Leave it out of the ledger so a
      // corrected run can ingest it (it contributed nothing to count twice).
      if (r.accepted == 0 && r.rejected > 0 && it->supersedes.empty()) {
        it->not_recorded = true;
        continue;
      }
      storage::FileBatchItem b;
      b.entry.sha256 = r.sha256;
      b.entry.content_hash = r.content_hash;
      b.entry.path = r.path;
      b.entry.mtime_ns = it->mtime_ns;
      b.entry.file_bytes = r.file_bytes;
      b.entry.json_bytes = r.json_bytes;
      b.entry.records = r.records;
      b.entry.accepted = r.accepted;
      b.entry.skipped = r.skipped;
      b.entry.rejected = r.rejected;
      b.entry.errors = r.error_count;
      b.entry.status = r.stream_status.ok() ? "ok" : r.stream_status.message();
      b.entry.records_yielded = r.records_yielded;
      b.entry.supersedes = it->supersedes;
      b.entry.ingested_at_ms = now_ms;
      b.agg = &r.agg;
      items.push_back(b);
      src.push_back(it.get());
    }
    std::vector<storage::ItemOutcome> outcomes;
    RECOUP_RETURN_IF_ERROR(store.CommitFiles(items, &outcomes));
    // Committed: now (and only now) count it.
    for (auto& it : batch) {
      ++done;
      if (!it->open_error.ok()) {
        ++sum.files_failed;
        note_file(it->open_error.message());
        continue;
      }
      if (it->already) ++sum.files_already;
    }
    for (auto& it : batch) {
      if (!it->not_recorded) continue;
      const ingest::FileResult& r = it->result;
      ++sum.files_not_recorded;
      sum.records += r.records;
      sum.rejected += r.rejected;
      sum.skipped += r.skipped;
      sum.json_bytes += r.json_bytes;
      note_file_errors(r);
      note_file(it->display_path +
                ": no record accepted; not marked as ingested, so a corrected run will read it");
    }
    for (size_t i = 0; i < src.size(); ++i) {
      const ingest::FileResult& r = src[i]->result;
      if (outcomes[i].already_ingested) {
        ++sum.files_already;  // an identical file earlier in this run
        continue;
      }
      ++sum.files_ingested;
      if (!r.stream_status.ok()) ++sum.files_damaged;
      sum.records += r.records;
      sum.accepted += r.accepted;
      sum.skipped += r.skipped;
      sum.rejected += r.rejected;
      sum.json_bytes += r.json_bytes;
      sum.file_bytes += r.file_bytes;
      sum.duplicates += outcomes[i].duplicate_failures + r.superseded_records;
      sum.cross_source += outcomes[i].cross_source_matches;
      sum.new_failures += outcomes[i].new_failures;
      note_file_errors(r);
    }
    batch.clear();
    progress.Update(done, sum.json_bytes);
    return Status::Ok();
  };

  auto last_commit = std::chrono::steady_clock::now();
  for (;;) {
    bool finished = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv_ready.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return !ready.empty() || running.load() == 0; });
      if (!ready.empty()) {
        while (!ready.empty()) {
          batch.push_back(std::move(ready.front()));
          ready.pop_front();
        }
        cv_space.notify_all();
      } else if (running.load() == 0) {
        finished = true;
      }
    }
    if (finished) break;
    const bool due = batch.size() >= 64 || std::chrono::steady_clock::now() - last_commit >
                                               std::chrono::milliseconds(500);
    if (due && !batch.empty()) {
      failure = commit();
      last_commit = std::chrono::steady_clock::now();
      if (!failure.ok()) break;
    }
  }
  if (failure.ok()) failure = commit();
  if (!failure.ok()) {
    stop = true;
    cv_space.notify_all();
    std::lock_guard<std::mutex> lock(pf_mu);
    pf_ready.notify_all();
  }
  for (auto& t : pool) t.join();
  {
    // Release fetchers still waiting for room or for a reader.
    std::lock_guard<std::mutex> lock(pf_mu);
    stop = true;
    for (auto& pf : prefetched) {
      if (pf->pipe) pf->pipe->CloseRead();
    }
    pf_space.notify_all();
  }
  for (auto& t : fetch_pool) t.join();
  progress.Update(done, sum.json_bytes, true);
  progress.Finish();
  if (!failure.ok()) return failure;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace recoup::cli
