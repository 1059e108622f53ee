// The configuration of `recoup serve`: a TOML file (packaging/recoup.toml is
// the documented example) with flags applied over it. Durations are written
// "90s", "5m", "2h", "3d" or as a number of seconds. Invalid configuration is
// INVALID_ARGUMENT naming the file and key path (e.g. "alerts.channels[1].url").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"

namespace recoup::serve {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};
// "127.0.0.1:31000", ":31000" (loopback), "31000".
Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view where);
// "90s", "5m", "2h", "3d", "250ms", or plain seconds.
Result<int64_t> ParseDurationMs(std::string_view text, std::string_view where);

struct CsmSourceConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 31000};
  std::string account;                                     // CSM datagrams carry none
  std::map<std::string, std::string> access_key_accounts;  // AccessKey -> account
  int64_t receive_buffer_bytes = 8 << 20;
  // Source addresses datagrams are taken from ("127.0.0.1", "10.1.2.0/24");
  // empty: any. Others are dropped and counted (refused_source).
  std::vector<std::string> allow_from;
};

// An IPv4 address or CIDR range ("10.1.2.0/24"), in host byte order; false
// when `text` is neither.
bool ParseIpv4Range(std::string_view text, uint32_t* net, uint32_t* mask);

// [http]: the limits of both HTTP listeners (dashboard, OTLP receiver);
// web::HttpLimits states what each means. docs/SECURITY.md lists them.
struct HttpConfig {
  int64_t max_connections = 256;
  int64_t max_connections_per_ip = 0;
  int64_t max_header_bytes = 16384;
  int64_t max_headers = 64;
  int64_t header_timeout_ms = 10000;
  int64_t read_timeout_ms = 60000;
  int64_t idle_timeout_ms = 30000;
  int64_t otlp_max_body_bytes = 8 << 20;
  std::vector<std::string> allowed_hosts;
};

struct OtlpSourceConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 4318};
  std::string account;  // for spans without cloud.account.id
};

struct JsonlSourceConfig {
  std::string path;     // the file; rotated or truncated files are followed
  std::string mapping;  // "time=ts,request_id=aws.request_id" (ingest --map syntax)
  std::string account;  // for lines without an account
  int64_t poll_ms = 250;
};

struct CloudTrailS3Config {
  std::string url;  // s3://bucket/prefix/
  int64_t every_ms = 5 * 60 * 1000;
};

struct HealthConfig {
  bool api = false;           // poll DescribeEvents
  bool organization = false;  // DescribeEventsForOrganization instead
  std::string region = "us-east-1";
  std::string sqs_queue_url;  // a queue fed by an EventBridge rule for aws.health
  int64_t every_ms = 5 * 60 * 1000;
};

// One probe: cheap calls to one service in one Region, each kept with its
// request ID. KMS: GenerateRandom, Encrypt and Decrypt of the canary key;
// DynamoDB: DescribeTable of `resource` (a table name or ARN); SQS:
// GetQueueAttributes of `resource` (a queue URL); Secrets Manager:
// DescribeSecret of `resource` (a secret name or ARN; never its value);
// S3: GetBucketLocation of `resource` (a bucket name).
struct ProbeConfig {
  std::string service = "kms";  // kms, dynamodb, sqs, secretsmanager, s3
  std::string region;
  std::string key_id;    // KMS: canary key for Encrypt/Decrypt; empty: GenerateRandom only
  std::string resource;  // the other services: what the calls name
  std::string account;
  int64_t every_ms = 60 * 1000;
  // Empty: the service's own (KMS: GenerateRandom, Encrypt, Decrypt).
  std::vector<std::string> operations;
};

// The operations a probe of `service` may call, the first being its default
// for services other than KMS; empty for a service recoup cannot probe.
std::vector<std::string> ProbeOperations(std::string_view service);
// "probe:us-east-1" (KMS) or "probe:dynamodb:us-east-1": the probe's source name.
std::string ProbeSourceName(const ProbeConfig& p);

struct ChannelConfig {
  std::string name;  // unique; notifications in the outbox refer to it
  std::string type;  // "webhook", "slack", "email", "log"
  std::string url;   // webhook, slack; email: smtp://host:port or smtps://
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password_env;  // name of the environment variable holding the password
};

struct BurnWindowConfig {
  int64_t long_ms = 0, short_ms = 0;
  std::string budget_pct;  // share of the month's budget spent in the long window, e.g. "2"
  std::string severity;    // "page", "ticket"
};

struct AlertsConfig {
  int64_t min_requests = 100;                  // in the long window, for burn-rate alerts
  std::vector<BurnWindowConfig> burn_windows;  // empty: the workbook's three
  int64_t silent_after_ms = 15 * 60 * 1000;    // a source with no event for this long
  int64_t deadline_warn_ms = 14 * 86400000LL;  // claim deadline nearer than this
  bool on_open_interval = false;  // also judge the interval still open (faster, may flap)
  std::vector<ChannelConfig> channels;
  int64_t retry_max_backoff_ms = 10 * 60 * 1000;
};

struct ServeConfig {
  std::string store_path;  // empty: the global --store
  std::string catalog_path;
  std::string account;  // default account for sources and probes that carry none
  std::string aws_profile, aws_region;
  // Late data allowance after an interval ends. Live sources (CSM, OTLP,
  // probes) deliver within seconds, so an alert comes within a minute of the
  // interval's end; a later event re-judges the interval and updates it.
  int64_t grace_ms = 30 * 1000;
  int64_t evaluate_every_ms = 1000;
  int64_t commit_every_ms = 100;  // live batches: at most this long in memory
  // Distinct (account, Region, service) series one source may create in one
  // month; events of further series are refused, counted and alerted on.
  int64_t max_series_per_source_month = 1000;
  // SERVICE.SCOPE=PATTERN rules (sla/scopes.h): resources counted in a
  // sub-scope's series ([serve] scopes).
  std::vector<std::string> scopes;
  CsmSourceConfig csm;
  OtlpSourceConfig otlp;
  std::vector<JsonlSourceConfig> jsonl;
  std::vector<CloudTrailS3Config> cloudtrail_s3;
  HealthConfig health;
  std::vector<ProbeConfig> probes;
  AlertsConfig alerts;
  bool dashboard_enabled = true;
  ListenAddress dashboard{"127.0.0.1", 8080};
  std::string dashboard_token;  // required when not bound to loopback
  HttpConfig http;
  std::string source_file;  // where it was read from
};

// Reads and validates the TOML file; "" gives the defaults.
Result<ServeConfig> LoadServeConfig(const std::string& path);

// Where `recoup serve` finds its configuration without --config, first
// match wins: $RECOUP_CONFIG (which must exist), then
// $XDG_CONFIG_HOME/recoup/recoup.toml ($HOME/.config when XDG_CONFIG_HOME is
// unset or empty), then `system_path`. "" when none exists: the defaults.
// `env` reads an environment variable (nullptr: unset).
using EnvLookup = std::function<const char*(const char*)>;
inline constexpr const char* kSystemServeConfig = "/etc/recoup/recoup.toml";
Result<std::string> FindServeConfig(const EnvLookup& env,
                                    const std::string& system_path = kSystemServeConfig);
Result<ServeConfig> ParseServeConfig(std::string_view toml_text, const std::string& origin);
// Checks cross-field rules (unique channel names, tokens off loopback, ...).
Status ValidateServeConfig(const ServeConfig& config);
// The default burn windows of the SRE workbook: (1h, 5m, 2%, page),
// (6h, 30m, 5%, page), (3d, 6h, 10%, ticket).
std::vector<BurnWindowConfig> DefaultBurnWindows();

}  // namespace recoup::serve
