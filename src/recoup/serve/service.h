// The `recoup serve` runtime: opens the store (one connection per thread),
// starts the live sources, the committer, the streaming evaluator and the
// notifier, and stops them in order (sources first, then the last commit,
// then evaluation and the outbox) so a graceful stop loses nothing.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/serve/config.h"
#include "recoup/serve/csm_attribution.h"
#include "recoup/serve/csm_listener.h"
#include "recoup/serve/live_evaluator.h"
#include "recoup/serve/live_sink.h"
#include "recoup/serve/notifier.h"
#include "recoup/serve/pollers.h"
#include "recoup/serve/tail_source.h"
#include "recoup/sla/catalog.h"

namespace recoup::serve {

struct ServeDeps {
  std::shared_ptr<const sla::Catalog> catalog;
  std::string store_path;
  AwsSessionFactory aws;  // needed by probes and Health
  S3PollFn s3_poll;       // needed by cloudtrail_s3 sources
  // Every "now" of the runtime (sink, evaluator, notifier, pollers); not
  // owned, outlives the service. nullptr: the system clock.
  const Clock* clock = nullptr;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> Create(ServeConfig config, ServeDeps deps);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  Status Start();
  void Stop();

  // The live commit path, for receivers started by the wiring layer (OTLP).
  LiveSink& sink() { return *sink_; }
  LiveEvaluator& evaluator() { return *evaluator_; }
  const ServeConfig& config() const { return config_; }
  int csm_port() const { return csm_ ? csm_->bound_port() : 0; }
  // CSM records kept without an account, by access key (empty without CSM).
  std::map<std::string, int64_t> UnattributedPending() const;
  // One JSON object: per-source counters, latency, alerts, notifications.
  std::string StatsJson() const;

 private:
  Service(ServeConfig config, ServeDeps deps)
      : config_(std::move(config)), deps_(std::move(deps)) {}

  ServeConfig config_;
  ServeDeps deps_;
  std::unique_ptr<LiveSink> sink_;
  std::unique_ptr<LiveEvaluator> evaluator_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<CsmAttributor> attributor_;
  std::unique_ptr<CsmListener> csm_;
  std::vector<std::unique_ptr<TailSource>> tails_;
  std::vector<std::unique_ptr<Prober>> probers_;
  std::unique_ptr<storage::Store> health_store_;
  std::unique_ptr<HealthPoller> health_;
  std::vector<std::unique_ptr<Periodic>> periodic_;
  int64_t started_ms_ = 0;
  bool started_ = false, stopped_ = false;
};

}  // namespace recoup::serve
