// Test harness: runs the dashboard (WebServer) and the OTLP receiver against
// an evidence store, as `recoup serve` wires them, without the rest of serve.
// Used by tests/integration/test_web*.py (Prometheus, a real OpenTelemetry
// pipeline, headless Chromium).
//
//   recoup_web_harness --store PATH [--web-port N] [--otlp-port N]
//                      [--default-account ID] [--token T] [--alerts FILE]
//                      [--health FILE] [--unattributed FILE]
//
// --alerts: a JSON array of alerts for the live-state hook; --health: a JSON
// array of AWS Health events written to the store (Store::PutHealthEvent)
// before the servers start; --unattributed: a JSON array of
// {"source","access_key","records","last_event_ms"} shown as records kept
// without an account (and a "csm" source counting them).
//
// OTLP events are committed to the store (Store::CommitLive) before the
// receiver answers. Prints one JSON line {"web_port":..,"otlp_port":..} once
// both listen, then runs until stdin closes or SIGTERM/SIGINT.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "recoup/aggregation/aggregator.h"
#include "recoup/storage/store.h"
#include "recoup/web/server.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

int Usage(const std::string& why) {
  std::fprintf(stderr, "recoup_web_harness: %s\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_path, token, default_account, alerts_file, health_file, unattributed_file;
  int web_port = 0, otlp_port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::exit(Usage(a + " needs a value"));
      }
      return argv[++i];
    };
    if (a == "--store") {
      store_path = next();
    } else if (a == "--web-port") {
      web_port = std::atoi(next().c_str());
    } else if (a == "--otlp-port") {
      otlp_port = std::atoi(next().c_str());
    } else if (a == "--token") {
      token = next();
    } else if (a == "--default-account") {
      default_account = next();
    } else if (a == "--alerts") {
      alerts_file = next();
    } else if (a == "--health") {
      health_file = next();
    } else if (a == "--unattributed") {
      unattributed_file = next();
    } else {
      return Usage("unknown argument " + a);
    }
  }
  if (store_path.empty()) return Usage("--store is required");

  std::vector<recoup::web::AlertView> alerts;
  if (!alerts_file.empty()) {
    std::ifstream in(alerts_file);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return Usage(alerts_file + ": not a JSON array");
    for (const auto& x : j) {
      recoup::web::AlertView a;
      a.id = x.value("id", "");
      a.kind = x.value("kind", "");
      a.severity = x.value("severity", "");
      a.state = x.value("state", "open");
      a.account = x.value("account", "");
      a.region = x.value("region", "");
      a.service = x.value("service", "kms");
      a.month = x.value("month", "");
      a.summary = x.value("summary", "");
      a.mup_pct = x.value("mup_pct", "");
      a.credit_pct = x.value("credit_pct", "");
      a.credit_usd = x.value("credit_usd", "");
      a.opened_ms = x.value("opened_ms", int64_t{0});
      alerts.push_back(a);
    }
  }

  std::vector<recoup::web::UnattributedKey> unattributed;
  int64_t csm_last_event_ms = 0;
  if (!unattributed_file.empty()) {
    std::ifstream in(unattributed_file);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return Usage(unattributed_file + ": not a JSON array");
    for (const auto& x : j) {
      unattributed.push_back(
          {x.value("source", "csm"), x.value("access_key", ""), x.value("records", int64_t{0})});
      csm_last_event_ms = std::max(csm_last_event_ms, x.value("last_event_ms", int64_t{0}));
    }
  }

  // The receiver's sink: one store connection, one batch per request.
  auto store = recoup::storage::OpenSqliteStore(store_path);
  if (!store.ok()) return Usage(store.status().ToString());
  std::mutex store_mu;
  if (!health_file.empty()) {
    std::ifstream in(health_file);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return Usage(health_file + ": not a JSON array");
    for (const auto& x : j) {
      recoup::health::HealthEvent e;
      e.arn = x.value("arn", "");
      e.service = x.value("service", "KMS");
      e.event_type_code = x.value("event_type_code", "AWS_KMS_OPERATIONAL_ISSUE");
      e.event_type_category = x.value("event_type_category", "issue");
      e.region = x.value("region", "");
      e.status = x.value("status", "closed");
      e.start_ms = x.value("start_ms", int64_t{0});
      e.end_ms = x.value("end_ms", int64_t{0});
      e.last_updated_ms = x.value("last_updated_ms", e.end_ms);
      e.description = x.value("description", "");
      e.source = "health-api";
      auto put = (*store)->PutHealthEvent(e);
      if (!put.ok()) return Usage(health_file + ": " + put.status().ToString());
    }
  }
  recoup::web::OtlpOptions oo;
  oo.port = otlp_port;
  oo.token = token;
  oo.default_account = default_account;
  oo.keyed_sink = [&](std::vector<recoup::events::Event> evs,
                      const std::string& key) -> recoup::Status {
    recoup::aggregation::Aggregator agg;
    for (const auto& e : evs) agg.Add(e.View());
    recoup::storage::LiveBatchItem item;
    item.agg = &agg;
    item.batch_key = "otlp:" + key;
    std::vector<recoup::storage::ItemOutcome> outcomes;
    std::lock_guard<std::mutex> lock(store_mu);
    return (*store)->CommitLive({item}, &outcomes);
  };
  auto otlp = recoup::web::OtlpReceiver::Create(std::move(oo));
  if (!otlp.ok()) return Usage(otlp.status().ToString());

  const int64_t started = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  recoup::web::OtlpReceiver* rx = otlp->get();
  recoup::web::WebOptions wo;
  wo.port = web_port;
  wo.token = token;
  wo.store_path = store_path;
  wo.live_state = [rx, alerts, started, unattributed, csm_last_event_ms] {
    recoup::web::LiveState s;
    s.started_ms = started;
    s.alerts = alerts;
    s.unattributed = unattributed;
    if (!unattributed.empty()) {
      recoup::web::SourceHealth csm;
      csm.name = csm.kind = "csm";
      csm.state = "running";
      for (const auto& u : unattributed) csm.unattributed += u.records;
      csm.last_event_ms = csm_last_event_ms;
      s.sources.push_back(csm);
    }
    const recoup::web::OtlpStats st = rx->stats();
    recoup::web::SourceHealth h;
    h.name = "otlp";
    h.kind = "otlp";
    h.state = "running";
    h.events_in = st.events_in;
    h.rejected = st.rejected_requests;
    h.last_event_ms = st.last_event_ms;
    if (st.last_event_ms > 0) {
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      h.lag_ms = std::max<int64_t>(0, now - st.last_event_ms);
    }
    s.sources.push_back(h);
    return s;
  };
  auto web = recoup::web::WebServer::Create(std::move(wo));
  if (!web.ok()) return Usage(web.status().ToString());

  if (auto st = (*otlp)->Start(); !st.ok()) return Usage(st.ToString());
  if (auto st = (*web)->Start(); !st.ok()) return Usage(st.ToString());
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::cout << nlohmann::json{{"web_port", (*web)->port()}, {"otlp_port", (*otlp)->port()}}.dump()
            << std::endl;
  // Stop when stdin closes (the test process died) or on a signal.
  std::thread watch([] {
    char buf[256];
    while (std::fread(buf, 1, sizeof buf, stdin) > 0) {
    }
    g_stop = true;
  });
  watch.detach();
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*web)->Stop();
  (*otlp)->Stop();
  return 0;
}
