// `recoup serve`: the long-running service (live sources, streaming
// evaluation, alerts). Configuration: a TOML file (--config) with flags over
// it; see docs/SERVE.md and packaging/recoup.toml.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "recoup/aws/config.h"
#include "recoup/aws/credentials.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/common.h"
#include "recoup/core/clock.h"
#include "recoup/core/sha256.h"
#include "recoup/ingest/pipeline.h"
#include "recoup/serve/config.h"
#include "recoup/serve/service.h"
#include "recoup/storage/store.h"
#include "recoup/web/server.h"

#ifndef RECOUP_VERSION
#define RECOUP_VERSION "0.1.0"
#endif
#ifndef RECOUP_COMMIT
#define RECOUP_COMMIT "unknown"
#endif
#ifndef RECOUP_BUILD_TYPE
#define RECOUP_BUILD_TYPE "unknown"
#endif

namespace recoup::cli {

namespace {

struct ServeArgs {
  std::string config;
  std::string account;
  std::string csm_listen;
  std::string csm_allow;  // comma-separated addresses or ranges
  std::string dashboard_listen;
  std::string otlp_listen;
  bool no_csm = false;
  int stats_every = 0;  // seconds; 0: only at exit
};

class ContextSession final : public serve::AwsSession {
 public:
  explicit ContextSession(std::unique_ptr<AwsContext> ctx) : ctx_(std::move(ctx)) {}
  Result<std::unique_ptr<aws::ApiClient>> Client(const aws::ServiceSpec& spec,
                                                 const std::string& region) override {
    return ctx_->Client(spec, region);
  }
  std::shared_ptr<aws::CredentialsProvider> credentials() override { return ctx_->credentials(); }

 private:
  std::unique_ptr<AwsContext> ctx_;
};

Result<ingest::S3Settings> ServeS3Settings(const serve::ServeConfig& c) {
  return ingest::ResolveS3Settings(
      c.aws_profile, c.aws_region,
      "sources.cloudtrail_s3 needs a Region: set aws.region (or AWS_REGION)");
}

// The dashboard's view of the live state: firing and resolved alerts, and
// the sources' counters.
web::LiveState LiveStateOf(serve::Service& svc, int64_t started_ms, const web::OtlpReceiver* otlp) {
  web::LiveState st;
  st.started_ms = started_ms;
  for (const serve::AlertRecord& a : svc.evaluator().FiringAlerts()) {
    web::AlertView v;
    v.id = a.key;
    v.kind = a.kind == "tier"       ? "tier_crossed"
             : a.kind == "burn"     ? "burn_rate"
             : a.kind == "silent"   ? "source_silent"
             : a.kind == "deadline" ? "claim_deadline"
                                    : a.kind;
    v.severity = a.severity == "page" ? "critical" : "warning";
    v.state = a.state == "firing" ? "open" : "resolved";
    v.account = a.account;
    v.region = a.region;
    v.service = a.service;
    v.summary = a.summary;
    auto d = nlohmann::json::parse(a.detail_json, nullptr, false);
    if (d.is_object()) {
      // Unknown values are null in the alert's JSON.
      auto text = [&d](const char* k) {
        return d.contains(k) && d[k].is_string() ? d[k].get<std::string>() : std::string();
      };
      v.month = text("month");
      v.source = text("source");
      v.mup_pct = text("mup_pct");
      v.credit_pct = text("credit_pct");
      v.credit_usd = text("credit_usd");
      v.credit_usd_exact = text("credit_usd_exact");
    }
    v.opened_ms = a.opened_ms;
    v.updated_ms = a.updated_ms;
    st.alerts.push_back(std::move(v));
  }
  const int64_t now = SystemClock().NowMs();
  for (const auto& [name, s] : svc.sink().Stats()) {
    web::SourceHealth h;
    h.name = name;
    h.kind = name.substr(0, name.find(':'));
    h.state = "running";
    h.events_in = s.events_in;
    h.rejected = s.rejected;
    h.unattributed = s.unattributed;
    h.duplicates = s.duplicates;
    h.series_refused = s.series_refused;
    h.last_event_ms = s.last_event_ms;
    h.lag_ms = s.last_event_ms > 0 ? now - s.last_event_ms : -1;
    st.sources.push_back(std::move(h));
  }
  for (const auto& [key, n] : svc.UnattributedPending()) {
    st.unattributed.push_back({"csm", serve::MaskAccessKey(key), n});
  }
  if (otlp != nullptr) {
    const web::OtlpStats os = otlp->stats();
    bool found = false;
    for (auto& h : st.sources) {
      if (h.name == "otlp") {
        h.rejected += os.rejected_requests;
        found = true;
      }
    }
    if (!found) {
      web::SourceHealth h;
      h.name = h.kind = "otlp";
      h.state = "running";
      h.rejected = os.rejected_requests;
      st.sources.push_back(std::move(h));
    }
  }
  return st;
}

// OTLP spans into the live commit path; OK only once committed. A request
// re-sent after a lost answer decodes to the same events: when every event
// has a request ID, their digest is the batch's idempotency key.
Status CommitOtlp(serve::LiveSink& sink, std::vector<events::Event> evs) {
  serve::LiveBatch b;
  b.source = "otlp";
  bool all_ids = !evs.empty();
  std::string digest_input;
  for (const events::Event& e : evs) {
    if (e.request_id.empty()) all_ids = false;
    digest_input += e.request_id + "|" + std::to_string(e.time_ms) + "|" + e.operation + "|" +
                    std::to_string(static_cast<int>(e.outcome)) + "\n";
  }
  if (all_ids) b.batch_key = "otlp:" + Sha256::Hex(digest_input);
  b.events = std::move(evs);
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  b.done = [done](const Status& st) { done->set_value(st); };
  if (!sink.Submit(std::move(b))) return Unavailable("recoup serve is stopping");
  return result.get();
}

// The config file with the command line's overrides, validated.
Result<serve::ServeConfig> EffectiveConfig(const ServeArgs& a) {
  std::string path = a.config;
  if (path.empty()) {
    RECOUP_ASSIGN_OR_RETURN(path, serve::FindServeConfig([](const char* n) { return getenv(n); }));
  }
  if (!path.empty()) std::fprintf(stderr, "recoup serve: configuration %s\n", path.c_str());
  RECOUP_ASSIGN_OR_RETURN(serve::ServeConfig c, serve::LoadServeConfig(path));
  if (!a.account.empty()) c.account = a.account;
  if (a.no_csm) c.csm.enabled = false;
  if (!a.csm_listen.empty()) {
    RECOUP_ASSIGN_OR_RETURN(c.csm.listen, serve::ParseListenAddress(a.csm_listen, "--csm-listen"));
  }
  if (!a.csm_allow.empty()) {
    c.csm.allow_from.clear();
    std::string_view rest = a.csm_allow;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      uint32_t net = 0, mask = 0;
      if (!serve::ParseIpv4Range(item, &net, &mask)) {
        return InvalidArgument("--csm-allow: '" + std::string(item) +
                               "' is not an IPv4 address or range (e.g. 127.0.0.1, 10.1.2.0/24)");
      }
      c.csm.allow_from.emplace_back(item);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (!a.otlp_listen.empty()) {
    RECOUP_ASSIGN_OR_RETURN(c.otlp.listen,
                            serve::ParseListenAddress(a.otlp_listen, "--otlp-listen"));
  }
  if (!a.dashboard_listen.empty()) {
    RECOUP_ASSIGN_OR_RETURN(c.dashboard, serve::ParseListenAddress(a.dashboard_listen, "--listen"));
  }
  RECOUP_RETURN_IF_ERROR(serve::ValidateServeConfig(c));
  return c;
}

// The CloudTrail-in-S3 poll: one batch ingest of the prefix per call.
serve::S3PollFn MakeS3Poll(const std::string& store_path,
                           const std::shared_ptr<const sla::Catalog>& catalog,
                           const std::string& account, const ingest::S3Settings& settings) {
  return [store_path, catalog, account, settings](const std::string& url,
                                                  serve::SourceStats* counts) -> Status {
    RECOUP_ASSIGN_OR_RETURN(auto store, storage::OpenSqliteStore(store_path));
    ingest::IngestOptions opt;
    opt.paths = {url};
    opt.s3 = settings;
    opt.parser.default_account = account;
    opt.threads = 1;
    opt.store_path = store_path;
    opt.max_messages = 0;
    RECOUP_ASSIGN_OR_RETURN(ingest::IngestSummary s, ingest::RunIngest(*store, catalog, opt));
    counts->events_in += s.accepted;
    counts->rejected += s.rejected;
    counts->duplicates += s.files_already + s.duplicates;
    ++counts->batches;
    if (s.accepted > 0) counts->last_event_ms = SystemClock().NowMs();
    if (s.files_ingested > 0) {
      std::fprintf(stderr, "recoup serve: %s: %lld new files, %lld records\n", url.c_str(),
                   static_cast<long long>(s.files_ingested), static_cast<long long>(s.accepted));
    }
    return Status::Ok();
  };
}

// What the runtime needs from outside: catalog, store, AWS sessions, S3 polls.
Result<serve::ServeDeps> MakeDeps(const serve::ServeConfig& c, const Globals& g,
                                  const std::shared_ptr<const sla::Catalog>& catalog) {
  serve::ServeDeps deps;
  deps.catalog = catalog;
  deps.store_path = !c.store_path.empty() && !g.store_given ? c.store_path : g.store_path;
  deps.clock = &SystemClock();
  const AwsContextOptions aws_opt{c.aws_profile, c.aws_region, false};
  deps.aws = [aws_opt]() -> Result<std::unique_ptr<serve::AwsSession>> {
    RECOUP_ASSIGN_OR_RETURN(auto ctx, AwsContext::Create(aws_opt));
    return std::unique_ptr<serve::AwsSession>(new ContextSession(std::move(ctx)));
  };
  if (!c.cloudtrail_s3.empty()) {
    RECOUP_ASSIGN_OR_RETURN(ingest::S3Settings s3, ServeS3Settings(c));
    deps.s3_poll = MakeS3Poll(deps.store_path, catalog, c.account, s3);
  }
  return deps;
}

// [http] as the servers take it.
web::HttpLimits LimitsOf(const serve::HttpConfig& h) {
  web::HttpLimits l;
  l.max_connections = static_cast<int>(std::min<int64_t>(h.max_connections, 1 << 20));
  l.max_connections_per_ip = static_cast<int>(std::min<int64_t>(h.max_connections_per_ip, 1 << 20));
  l.max_header_bytes = static_cast<size_t>(h.max_header_bytes);
  l.max_headers = static_cast<int>(std::min<int64_t>(h.max_headers, 1 << 20));
  l.header_timeout_ms = h.header_timeout_ms;
  l.read_timeout_ms = h.read_timeout_ms;
  l.idle_timeout_ms = h.idle_timeout_ms;
  l.allowed_hosts = h.allowed_hosts;
  return l;
}

// The HTTP side: the OTLP receiver feeding the live commit path, and the
// dashboard reading the store and the live state. Started, or an error
// naming the section (nothing left running).
struct HttpSide {
  std::unique_ptr<web::OtlpReceiver> otlp;
  std::unique_ptr<web::WebServer> dashboard;
  void Stop() {
    if (otlp) otlp->Stop();
    if (dashboard) dashboard->Stop();
  }
};

Result<HttpSide> StartHttp(const serve::ServeConfig& c, const serve::ServeDeps& deps,
                           serve::Service* svc, int64_t started_ms) {
  HttpSide http;
  if (c.otlp.enabled) {
    web::OtlpOptions oo;
    oo.bind = c.otlp.listen.host;
    oo.port = c.otlp.listen.port;
    oo.token = c.dashboard_token;
    oo.limits = LimitsOf(c.http);
    oo.max_body_bytes = static_cast<size_t>(c.http.otlp_max_body_bytes);
    oo.max_bodies_in_flight_bytes = std::max(oo.max_bodies_in_flight_bytes, oo.max_body_bytes);
    oo.default_account = c.otlp.account.empty() ? c.account : c.otlp.account;
    oo.catalog = deps.catalog;
    oo.clock = deps.clock;
    oo.sink = [svc](std::vector<events::Event> evs) {
      return CommitOtlp(svc->sink(), std::move(evs));
    };
    auto r = web::OtlpReceiver::Create(std::move(oo));
    Status os = r.ok() ? (*r)->Start() : r.status();
    if (!os.ok()) return os.WithPrefix("sources.otlp");
    http.otlp = std::move(r).value();
  }
  if (c.dashboard_enabled) {
    web::WebOptions wo;
    wo.bind = c.dashboard.host;
    wo.port = c.dashboard.port;
    wo.token = c.dashboard_token;
    wo.limits = LimitsOf(c.http);
    wo.store_path = deps.store_path;
    wo.catalog = deps.catalog;
    const web::OtlpReceiver* otlp_ptr = http.otlp.get();
    wo.live_state = [svc, started_ms, otlp_ptr] { return LiveStateOf(*svc, started_ms, otlp_ptr); };
    wo.build_info = {
        {"version", RECOUP_VERSION}, {"commit", RECOUP_COMMIT}, {"build_type", RECOUP_BUILD_TYPE}};
    auto r = web::WebServer::Create(std::move(wo));
    Status ws = r.ok() ? (*r)->Start() : r.status();
    if (!ws.ok()) {
      http.Stop();
      return ws.WithPrefix("dashboard");
    }
    http.dashboard = std::move(r).value();
    std::fprintf(stderr, "recoup serve: dashboard on http://%s:%d/\n", c.dashboard.host.c_str(),
                 http.dashboard->port());
  }
  if (http.otlp) {
    std::fprintf(stderr, "recoup serve: OTLP/HTTP on http://%s:%d/v1/traces\n",
                 c.otlp.listen.host.c_str(), http.otlp->port());
  }
  return http;
}

// Prints the runtime's counters every `every_s` seconds until `done`.
std::thread StatsPrinter(serve::Service* svc, const std::atomic<bool>& done, int every_s) {
  return std::thread([svc, &done, every_s] {
    const Clock& clock = SystemClock();
    int64_t next = clock.MonotonicMs();
    while (!done) {
      next += every_s * 1000LL;
      while (!done && clock.MonotonicMs() < next) clock.SleepFor(50);
      if (!done) std::fprintf(stderr, "recoup serve: stats %s\n", svc->StatsJson().c_str());
    }
  });
}

int RunServe(const ServeArgs& a, const Globals& g) {
  // SIGTERM and SIGINT are taken by this thread only (sigwait): every other
  // thread starts with them blocked. Blocked first thing, so that a stop
  // asked for while recoup is still starting is a clean stop once it has.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto config = EffectiveConfig(a);
  if (!config.ok()) return Fail(config.status());
  const serve::ServeConfig& c = *config;
  Globals eff = g;
  if (!c.catalog_path.empty()) eff.catalog_path = c.catalog_path;
  auto catalog = LoadCatalog(eff);
  if (!catalog.ok()) return Fail(catalog.status());
  auto deps = MakeDeps(c, g, *catalog);
  if (!deps.ok()) return Fail(deps.status());

  auto service = serve::Service::Create(c, *deps);
  if (!service.ok()) return Fail(service.status());
  serve::Service* svc = service->get();
  if (Status st = svc->Start(); !st.ok()) {
    svc->Stop();
    return Fail(st);
  }
  auto http = StartHttp(c, *deps, svc, SystemClock().NowMs());
  if (!http.ok()) {
    svc->Stop();
    return Fail(http.status());
  }
  std::fprintf(
      stderr, "recoup serve: running (store %s%s%s)\n", deps->store_path.c_str(),
      c.csm.enabled ? ", CSM on udp " : "",
      c.csm.enabled ? (c.csm.listen.host + ":" + std::to_string(svc->csm_port())).c_str() : "");

  std::atomic<bool> done{false};
  std::thread stats_thread;
  if (a.stats_every > 0) stats_thread = StatsPrinter(svc, done, a.stats_every);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "recoup serve: %s received: stopping\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  done = true;
  if (stats_thread.joinable()) stats_thread.join();
  // Receivers first (an accepted OTLP request is answered after its commit),
  // then the sources, the last commit, evaluation and the outbox.
  http->Stop();
  svc->Stop();
  std::cout << svc->StatsJson() << std::endl;
  return kExitOk;
}

}  // namespace

void RegisterServeCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run as a service: live sources (CSM, OTLP, log files, S3, Health, probes), running MUP, "
      "alerts");
  cmd->add_option("--config", a->config,
                  "TOML configuration file (see packaging/recoup.toml); default: $RECOUP_CONFIG, "
                  "else $XDG_CONFIG_HOME/recoup/recoup.toml, else /etc/recoup/recoup.toml");
  cmd->add_option("--account", a->account,
                  "Account ID for sources that carry none (CSM datagrams, probes); without it, "
                  "CSM datagrams are attributed by access key (sources.csm.access_keys, else "
                  "sts:GetAccessKeyInfo) and kept until they can be");
  cmd->add_option("--csm-listen", a->csm_listen,
                  "UDP address of the CSM listener (default 127.0.0.1:31000)");
  cmd->add_option("--csm-allow", a->csm_allow,
                  "Source addresses the CSM listener takes datagrams from, comma-separated "
                  "(e.g. 127.0.0.1,10.1.2.0/24; default: any; sources.csm.allow_from)");
  cmd->add_flag("--no-csm", a->no_csm, "Do not listen for CSM datagrams");
  cmd->add_option("--otlp-listen", a->otlp_listen,
                  "OTLP/HTTP receiver address (default 127.0.0.1:4318)");
  cmd->add_option("--listen", a->dashboard_listen,
                  "Dashboard and API address (default 127.0.0.1:8080)");
  cmd->add_option("--stats-every", a->stats_every,
                  "Print the live counters to stderr every N seconds")
      ->check(CLI::NonNegativeNumber);
  reg.Add(cmd, [a, &g] { return RunServe(*a, g); });
}

}  // namespace recoup::cli
