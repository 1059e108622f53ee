// The HTTP side of `recoup serve`: the dashboard and JSON API (default
// 127.0.0.1:8080) and the OTLP/HTTP trace receiver (default 127.0.0.1:4318).
//
// Both are embedded HTTP/1.1 servers (libmicrohttpd, event-driven: a slow or
// idle connection holds no thread) running on their own threads. They bind
// the loopback address unless told otherwise; bound to any other address they
// refuse to start without a bearer token, and then every request must carry
// "Authorization: Bearer <token>" (compared in constant time). Tokens and
// Authorization headers are never logged nor echoed.
//
// Every connection is bounded before anything is authenticated (HttpLimits):
// header bytes and lines, body bytes, the time to send the headers and the
// whole request, idle time, and the number of connections. Every request's
// Host header must name this machine exactly (localhost, 127.0.0.1, [::1],
// with or without a port) or one of HttpLimits::allowed_hosts, so that a web
// page cannot reach either server through DNS rebinding.
//
// The serve runtime owns everything live and hands it in through hooks:
//   * WebOptions::live_state: open alerts and per-source health, called on
//     each request that needs them (from server threads: must be thread-safe);
//   * OtlpOptions::sink: receives the events decoded from one /v1/traces
//     request and returns OK only once they are durable; the receiver answers
//     200 only after that (4xx for bad input, 503 when the sink fails).
// The dashboard reads the evidence store itself (its own connection to
// store_path, read-only use), so the numbers are the ones `recoup report`
// gives for the same store.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recoup/core/clock.h"
#include "recoup/core/status.h"
#include "recoup/events/event.h"
#include "recoup/sla/catalog.h"

namespace recoup::web {

// ---- live state, filled by the serve runtime ----

// One alert as the dashboard shows it. Money and percentages are already
// formatted (exact decimal strings, as the report prints them).
struct AlertView {
  std::string id;        // stable across updates
  std::string kind;      // "tier_crossed", "burn_rate", "source_silent", "claim_deadline", ...
  std::string severity;  // "critical", "warning", "info"
  std::string state;     // "open", "resolved"
  std::string account, region, service;
  std::string month;             // "YYYY-MM", empty if not about a month
  std::string source;            // source name for source alerts, else empty
  std::string summary;           // one human line
  std::string mup_pct;           // MUP so far, may be empty
  std::string credit_pct;        // tier, may be empty
  std::string credit_usd;        // credit so far in dollars and cents, may be empty
  std::string credit_usd_exact;  // the same, exact, may be empty
  int64_t opened_ms = 0;         // first raised
  int64_t updated_ms = 0;        // last changed
};

// Health of one live source (CSM listener, OTLP receiver, file tail, S3 poll,
// Health poll, probes).
struct SourceHealth {
  std::string name;       // configured name, unique, e.g. "csm", "otlp", "tail:/var/log/app.jsonl"
  std::string kind;       // "csm", "otlp", "jsonl", "cloudtrail_s3", "health", "probe"
  std::string state;      // "running", "stopped", "error", "silent"
  int64_t events_in = 0;  // events accepted and stored, since start
  int64_t rejected = 0;   // inputs refused (malformed, unknown service, ...)
  int64_t unattributed = 0;  // kept without an account (attributed later), since start
  int64_t duplicates = 0;    // inputs already stored (re-sent batches, known items)
  int64_t series_refused =
      0;                // events refused over the series bound (serve.max_series_per_source_month)
  int64_t lag_ms = -1;  // now minus the newest event time seen; -1 unknown
  int64_t last_event_ms = 0;  // time of the newest event; 0 none yet
  std::string last_error;     // empty when healthy (never holds secrets)
};

// Records a source keeps until it knows their account (CSM datagrams of an
// unmapped access key).
struct UnattributedKey {
  std::string source;      // "csm"
  std::string access_key;  // masked: "AKIA...MPLE"
  int64_t records = 0;
};

struct LiveState {
  std::vector<AlertView> alerts;  // open (and recently resolved) alerts
  std::vector<SourceHealth> sources;
  std::vector<UnattributedKey> unattributed;  // waiting for an account now
  int64_t started_ms = 0;                     // when serve started; 0 unknown
};

using LiveStateProvider = std::function<LiveState()>;

// ---- what both servers share ----

// Per-listener limits (docs/SECURITY.md, "Listeners", states the defaults).
struct HttpLimits {
  int max_connections = 256;          // open at once; more are closed on accept
  int max_connections_per_ip = 0;     // 0: no per-address limit beyond max_connections
  size_t max_header_bytes = 16384;    // request line + header lines; more: 431
  int max_headers = 64;               // header lines; more: 431
  int64_t header_timeout_ms = 10000;  // connect (or last answer) to the end of the headers
  int64_t read_timeout_ms = 60000;    // connect (or last answer) to the end of the body
  int64_t idle_timeout_ms = 30000;    // no byte received for this long: closed
  // Host names answered besides localhost, 127.0.0.1 and [::1] (exact,
  // case-insensitive, any port), e.g. the name the machine is reached by.
  std::vector<std::string> allowed_hosts;
};

// True when `host` (a Host header's value: name or address, an optional
// port, IPv6 in brackets) names exactly localhost, 127.0.0.1, [::1] or one
// of `allowed`.
bool HostHeaderAllowed(std::string_view host, const std::vector<std::string>& allowed);

// An HTTP server answering on its own threads; WebServer and OtlpReceiver
// are the two kinds.
class HttpListener {
 public:
  virtual ~HttpListener();  // stops
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and starts serving on a background thread. UNAVAILABLE if the
  // address cannot be bound (message names bind:port).
  Status Start();
  // Stops accepting, finishes in-flight requests, joins. Idempotent.
  void Stop();
  // The bound port (the chosen one when the options' port was 0); 0 before
  // Start.
  int port() const;

  class Impl;

 protected:
  explicit HttpListener(std::unique_ptr<Impl> impl);
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// ---- dashboard + API ----

struct WebOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: pick a free port (see WebServer::port())
  // Required when `bind` is not a loopback address ("127.0.0.1", "::1",
  // "localhost"); at least 16 characters. When set, also enforced on
  // loopback, for /api/* and /metrics (the page and its assets hold no data).
  // Without a token, only requests with a loopback Host name are answered.
  std::string token;
  std::string store_path;                       // the evidence store (SQLite path)
  std::shared_ptr<const sla::Catalog> catalog;  // nullptr: the built-in catalog
  size_t max_request_bytes = 64 * 1024;         // request body limit
  int threads = 4;
  HttpLimits limits;
  LiveStateProvider live_state;  // may be empty: no alerts, no sources
  // Labels of recoup_build_info (version, commit, build_type, ...); the
  // catalog version is added.
  std::vector<std::pair<std::string, std::string>> build_info;
  // "Now" for the current month and the days left to claim; nullptr: the
  // system clock. Must outlive the server.
  const Clock* clock = nullptr;
  // Log lines (no trailing newline); empty: stderr. Never receives secrets.
  std::function<void(const std::string&)> log;
};

class WebServer final : public HttpListener {
 public:
  // Validates the options (token rule, port range); does not bind yet.
  static Result<std::unique_ptr<WebServer>> Create(WebOptions options);

  class Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
};

// ---- OTLP/HTTP receiver ----

// Receives the events decoded from one request. Must return OK only once they
// are durable (stored); any error makes the receiver answer 503 so the
// exporter retries. Called from server threads, one request at a time per
// thread: must be thread-safe.
using EventsSink = std::function<Status(std::vector<events::Event>)>;
// The same, with the request's idempotency key: the SHA-256 (hex) of the
// decoded request body. An exporter that re-sends a request whose answer it
// lost sends the same body, so storing the key with the batch
// (storage::LiveBatchItem::batch_key) keeps a retry from counting twice.
using KeyedEventsSink =
    std::function<Status(std::vector<events::Event>, const std::string& batch_key)>;

struct OtlpOptions {
  std::string bind = "127.0.0.1";
  int port = 4318;                          // 0: pick a free port
  std::string token;                        // same rule as WebOptions::token
  size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413 (after gzip decoding too)
  // All bodies being received at once, together: past it a request gets 503
  // (Retry-After), so that many connections cannot each hold a full body.
  size_t max_bodies_in_flight_bytes = 64 * 1024 * 1024;
  int max_json_depth = 64;  // JSON nesting deeper than this: 400 before parsing
  // The parsed JSON of one body may take at most this much memory (estimated
  // from its values before parsing): 400 past it.
  size_t json_memory_budget_bytes = 32 * 1024 * 1024;
  int threads = 4;
  HttpLimits limits;
  std::string default_account;                  // when a span has no cloud.account.id
  std::shared_ptr<const sla::Catalog> catalog;  // nullptr: the built-in catalog
  EventsSink sink;                              // one of sink and keyed_sink is required;
  KeyedEventsSink keyed_sink;                   // keyed_sink wins when both are set
  std::function<void(const std::string&)> log;  // empty: stderr
  const Clock* clock = nullptr;  // "now" for the spans' time bound; nullptr: the system clock
};

struct OtlpStats {
  int64_t requests = 0;           // /v1/traces requests answered
  int64_t spans = 0;              // spans seen in accepted requests
  int64_t events_in = 0;          // AWS SDK spans turned into events and stored
  int64_t ignored_spans = 0;      // spans that are not AWS SDK calls (or not KMS-known services)
  int64_t rejected_requests = 0;  // 4xx answers (bad body, auth, size, content type)
  int64_t sink_failures = 0;      // 503 answers
  int64_t last_event_ms = 0;      // newest event time accepted; 0 none
};

class OtlpReceiver final : public HttpListener {
 public:
  // Validates the options (token rule, port range, a sink); does not bind yet.
  static Result<std::unique_ptr<OtlpReceiver>> Create(OtlpOptions options);

  OtlpStats stats() const;  // thread-safe snapshot

  class Impl;

 private:
  explicit OtlpReceiver(std::unique_ptr<Impl> impl);
};

// True for "127.0.0.1" (any IPv4 literal 127.x.y.z), "::1" and "localhost".
bool IsLoopback(const std::string& bind);

}  // namespace recoup::web
