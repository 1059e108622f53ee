// Periodic live sources: recoup's own KMS probes, CloudTrail in S3 and AWS
// Health (API or an SQS queue of aws.health EventBridge events).
//
// AWS access comes through an AwsSession made by the wiring layer (the CLI's
// credentials chain and endpoint overrides); each poller thread makes its own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/aws/credentials.h"
#include "recoup/core/clock.h"
#include "recoup/core/mutex.h"
#include "recoup/core/status.h"
#include "recoup/serve/config.h"
#include "recoup/serve/live_sink.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

class AwsSession {
 public:
  virtual ~AwsSession() = default;
  virtual Result<std::unique_ptr<aws::ApiClient>> Client(const aws::ServiceSpec& spec,
                                                         const std::string& region) = 0;
  virtual std::shared_ptr<aws::CredentialsProvider> credentials() = 0;
};
using AwsSessionFactory = std::function<Result<std::unique_ptr<AwsSession>>()>;

// Ingests new objects under an s3:// prefix into the store (the batch ingest
// path: its file ledger makes a second look at the same object a no-op).
// `counts` receives what the poll read (accepted, rejected, duplicates).
using S3PollFn = std::function<Status(const std::string& url, SourceStats* counts)>;

// Runs `fn` every `every_ms` on its own thread until stopped; the first run
// is immediate. Errors are logged with `name` and counted.
class Periodic {
 public:
  Periodic(std::string name, int64_t every_ms, std::function<Status()> fn);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;
  void Start();
  void Stop();
  const std::string& name() const { return name_; }
  int64_t runs() const { return runs_.load(); }
  int64_t failures() const { return failures_.load(); }
  std::string last_error() const;

 private:
  std::string name_;
  int64_t every_ms_;
  std::function<Status()> fn_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::string last_error_ GUARDED_BY(mu_);
  std::atomic<int64_t> runs_{0}, failures_{0};
  std::thread thread_;
};

// One round of probes of one service in one Region (serve/config.h,
// ProbeConfig): KMS GenerateRandom, then Encrypt and Decrypt of a small
// random plaintext against the canary key; DynamoDB DescribeTable, SQS
// GetQueueAttributes, Secrets Manager DescribeSecret, S3 GetBucketLocation
// of the named resource.
// Each call is sent once (no retries: every attempt is evidence) and
// recorded with its request ID, HTTP status and error code as a kProbe event
// of that service.
class Prober {
 public:
  Prober(ProbeConfig config, std::string account, std::shared_ptr<const sla::Catalog> catalog,
         AwsSessionFactory sessions, LiveSink* sink);
  Status RunOnce();
  std::string source_name() const { return ProbeSourceName(config_); }

 private:
  events::Event Call(aws::ApiClient& client, net::HttpClient& http, const aws::Credentials& creds,
                     const std::string& op, const nlohmann::json& input, nlohmann::json* output);
  Status RunResourceProbes();
  std::string ProbedResource() const;
  bool IsRest() const;
  Result<net::HttpRequest> RestRequest(aws::ApiClient& client, const aws::Credentials& creds,
                                       int64_t now_ms) const;

  ProbeConfig config_;
  std::string account_;
  std::shared_ptr<const sla::Catalog> catalog_;
  AwsSessionFactory sessions_;
  LiveSink* sink_;
  std::unique_ptr<AwsSession> session_;
  std::unique_ptr<aws::ApiClient> client_;
  std::unique_ptr<net::HttpClient> http_;
};

// One poll of AWS Health: the API (account or organization view) and/or an
// SQS queue of aws.health events; every KMS event is stored (PutHealthEvent).
class HealthPoller {
 public:
  // `clock`: not owned; nullptr: the system clock.
  HealthPoller(HealthConfig config, AwsSessionFactory sessions, storage::Store* store,
               const Clock* clock = nullptr);
  Status RunOnce();
  // Receives each poll's counts: events stored (accepted), already stored
  // unchanged (duplicates), queue messages that are not Health events
  // (rejected), the newest lastUpdatedTime.
  void SetCounter(std::function<void(const SourceStats&)> counter) {
    counter_ = std::move(counter);
  }
  // AWS Health's names of the services to ask about (sla::HealthServices);
  // default: KMS.
  void SetServices(std::vector<std::string> services) { services_ = std::move(services); }

 private:
  Status PollApi();
  Status PollQueue();
  void Count(const health::HealthEvent& h, bool changed);

  HealthConfig config_;
  std::vector<std::string> services_{"KMS"};
  std::function<void(const SourceStats&)> counter_;
  SourceStats counts_;  // of the poll in progress
  AwsSessionFactory sessions_;
  storage::Store* store_;
  const Clock* clock_;
  std::unique_ptr<AwsSession> session_;
};

// An aws.health EventBridge event ({"source":"aws.health","detail":{...}})
// as recoup keeps it; NOT_FOUND if `json` is not one.
Result<health::HealthEvent> HealthEventFromEventBridge(const nlohmann::json& event);

}  // namespace recoup::serve
