#include "recoup/serve/service.h"

#include <nlohmann/json.hpp>

#include "recoup/aws/sts_api.h"
#include "recoup/storage/store.h"

namespace recoup::serve {

Result<std::unique_ptr<Service>> Service::Create(ServeConfig config, ServeDeps deps) {
  if (deps.catalog == nullptr) deps.catalog = sla::Catalog::Default();
  if (!config.probes.empty() || config.health.api || !config.health.sqs_queue_url.empty()) {
    if (!deps.aws) return InvalidArgument("probes and Health polling need AWS access");
  }
  if (!config.cloudtrail_s3.empty() && !deps.s3_poll) {
    return InvalidArgument("cloudtrail_s3 sources need S3 access");
  }
  return std::unique_ptr<Service>(new Service(std::move(config), std::move(deps)));
}

Service::~Service() { Stop(); }

Status Service::Start() {
  const Clock* clock = deps_.clock != nullptr ? deps_.clock : &SystemClock();
  started_ms_ = clock->NowMs();
  auto open = [&]() { return storage::OpenSqliteStore(deps_.store_path); };
  RECOUP_ASSIGN_OR_RETURN(auto sink_store, open());
  RECOUP_ASSIGN_OR_RETURN(auto eval_store, open());
  RECOUP_ASSIGN_OR_RETURN(auto outbox_store, open());
  RECOUP_ASSIGN_OR_RETURN(auto tail_store, open());
  sink_ = std::make_unique<LiveSink>(std::move(sink_store), config_.commit_every_ms,
                                     deps_.catalog->FinestIntervalMs(), 2'000'000, clock);
  sink_->SetSeriesLimit(config_.max_series_per_source_month);
  if (!config_.scopes.empty()) {
    auto scopes = std::make_shared<sla::ScopeMap>();
    for (const std::string& rule : config_.scopes) {
      RECOUP_RETURN_IF_ERROR(scopes->Add(*deps_.catalog, rule, "serve.scopes"));
    }
    sink_->SetScopes(std::move(scopes));
  }

  std::vector<std::string> watch;
  if (config_.csm.enabled) watch.push_back("csm");
  for (const auto& p : config_.probes) watch.push_back(ProbeSourceName(p));
  for (const auto& j : config_.jsonl) {
    TailSource t(j, "", deps_.catalog, nullptr);
    watch.push_back(t.source_name());
  }
  LiveSink* sink = sink_.get();
  evaluator_ = std::make_unique<LiveEvaluator>(
      std::move(eval_store), deps_.catalog, config_, [sink] { return sink->Stats(); }, watch,
      clock);
  notifier_ = std::make_unique<Notifier>(std::move(outbox_store), config_.alerts, clock);
  LiveEvaluator* ev = evaluator_.get();
  sink_->SetListener([ev](CommitNotice n) { ev->OnCommit(std::move(n)); });
  sink_->Start();
  RECOUP_RETURN_IF_ERROR(evaluator_->Start());
  notifier_->Start();
  started_ = true;

  // Every configured source is listed from the start, events or not.
  for (const std::string& name : watch) sink_->RegisterSource(name);
  if (config_.otlp.enabled) sink_->RegisterSource("otlp");
  for (const auto& s3 : config_.cloudtrail_s3) sink_->RegisterSource("cloudtrail_s3:" + s3.url);
  if (config_.health.api || !config_.health.sqs_queue_url.empty()) sink_->RegisterSource("health");

  if (config_.csm.enabled) {
    AttributionOptions ao;
    ao.mapping = config_.csm.access_key_accounts;
    ao.default_account = config_.csm.account.empty() ? config_.account : config_.csm.account;
    if (deps_.aws) {
      // sts:GetAccessKeyInfo with recoup's own credentials ([aws]).
      const std::string region = config_.aws_region.empty() ? "us-east-1" : config_.aws_region;
      AwsSessionFactory sessions = deps_.aws;
      ao.lookup = [sessions, region](const std::string& key) -> Result<std::string> {
        RECOUP_ASSIGN_OR_RETURN(auto session, sessions());
        RECOUP_ASSIGN_OR_RETURN(auto client, session->Client(aws::services::kSts, region));
        aws::StsApi sts(client.get());
        return sts.GetAccessKeyInfo(key);
      };
    }
    RECOUP_ASSIGN_OR_RETURN(auto attribution_store, open());
    attributor_ = std::make_unique<CsmAttributor>(std::move(ao), std::move(attribution_store),
                                                  deps_.catalog, sink);
    attributor_->Start();
    csm_ = std::make_unique<CsmListener>(config_.csm, config_.account, deps_.catalog, sink,
                                         attributor_.get());
    RECOUP_RETURN_IF_ERROR(csm_->Start());
  }
  for (const auto& j : config_.jsonl) {
    auto t = std::make_unique<TailSource>(j, config_.account, deps_.catalog, sink);
    RECOUP_RETURN_IF_ERROR(t->Start(*tail_store));
    tails_.push_back(std::move(t));
  }
  for (const auto& p : config_.probes) {
    const std::string account = p.account.empty() ? config_.account : p.account;
    if (account.empty()) {
      return InvalidArgument("probes: region " + p.region +
                             ": no account (set probes.account or serve.account)");
    }
    auto prober = std::make_unique<Prober>(p, account, deps_.catalog, deps_.aws, sink);
    Prober* raw = prober.get();
    periodic_.push_back(std::make_unique<Periodic>(raw->source_name(), p.every_ms,
                                                   [raw] { return raw->RunOnce(); }));
    probers_.push_back(std::move(prober));
  }
  for (const auto& s3 : config_.cloudtrail_s3) {
    S3PollFn poll = deps_.s3_poll;
    const std::string url = s3.url;
    const std::string name = "cloudtrail_s3:" + url;
    periodic_.push_back(std::make_unique<Periodic>(name, s3.every_ms, [poll, url, name, sink] {
      SourceStats counts;
      Status st = poll(url, &counts);
      sink->AddStats(name, counts);
      return st;
    }));
  }
  if (config_.health.api || !config_.health.sqs_queue_url.empty()) {
    RECOUP_ASSIGN_OR_RETURN(health_store_, open());
    health_ = std::make_unique<HealthPoller>(config_.health, deps_.aws, health_store_.get(), clock);
    health_->SetServices(sla::HealthServices(*deps_.catalog));
    HealthPoller* hp = health_.get();
    hp->SetCounter([sink](const SourceStats& counts) { sink->AddStats("health", counts); });
    periodic_.push_back(std::make_unique<Periodic>("health", config_.health.every_ms,
                                                   [hp] { return hp->RunOnce(); }));
  }
  for (auto& p : periodic_) p->Start();
  return Status::Ok();
}

void Service::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  // Sources first, so that everything they handed over is committed.
  if (csm_) csm_->Stop();
  if (attributor_) attributor_->Stop();  // its last attribution commits
  for (auto& t : tails_) t->Stop();
  for (auto& p : periodic_) p->Stop();
  sink_->Stop();
  evaluator_->Stop();
  notifier_->Stop();
}

std::map<std::string, int64_t> Service::UnattributedPending() const {
  if (!attributor_) return {};
  return attributor_->Pending();
}

std::string Service::StatsJson() const {
  nlohmann::ordered_json j;
  j["started"] = FormatTimestamp(started_ms_);
  nlohmann::ordered_json sources = nlohmann::json::object();
  if (sink_) {
    for (const auto& [name, s] : sink_->Stats()) {
      sources[name] = {{"events_in", s.events_in},
                       {"rejected", s.rejected},
                       {"unattributed", s.unattributed},
                       {"duplicates", s.duplicates},
                       {"batches", s.batches},
                       {"lag_ms", s.lag_ms},
                       {"last_event_ms", s.last_event_ms}};
      sources[name]["series_refused"] = s.series_refused;
    }
    j["commit_failures"] = sink_->commit_failures();
  }
  j["sources"] = sources;
  if (csm_) {
    j["csm"] = {{"port", csm_->bound_port()},
                {"datagrams", csm_->datagrams()},
                {"rejected", csm_->rejected()},
                {"skipped", csm_->skipped()},
                {"refused_source", csm_->refused_source()},
                {"unattributed", csm_->unattributed()}};
  }
  if (attributor_) {
    j["unattributed"] = {{"pending", attributor_->pending_total()},
                         {"attributed", attributor_->attributed()},
                         {"lookups", attributor_->lookups()}};
  }
  if (evaluator_) {
    const LatencyStats l = evaluator_->Latency();
    j["event_to_mup_latency"] = {{"events", l.events},
                                 {"p50_ms", static_cast<double>(l.p50_us) / 1000.0},
                                 {"p99_ms", static_cast<double>(l.p99_us) / 1000.0},
                                 {"max_ms", static_cast<double>(l.max_us) / 1000.0}};
    j["evaluations"] = evaluator_->evaluations();
    nlohmann::ordered_json series = nlohmann::json::array();
    for (const SeriesLive& s : evaluator_->Series()) {
      series.push_back({{"account", s.key.account},
                        {"region", s.key.region},
                        {"service", s.key.service},
                        {"month", s.key.month.ToString()},
                        {"mup_pct", FormatFixed(s.running.mup_pct, 12, Rounding::kTruncate)},
                        {"requests", s.running.requests},
                        {"failed_requests", s.running.failed_requests}});
    }
    j["series"] = series;
    j["firing_alerts"] = evaluator_->FiringAlerts().size();
  }
  if (notifier_) {
    j["notifications_sent"] = notifier_->sent();
    j["notification_failures"] = notifier_->failed_attempts();
  }
  return j.dump();
}

}  // namespace recoup::serve
