#include "recoup/serve/pollers.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "recoup/aws/health_api.h"
#include "recoup/aws/sqs_api.h"
#include "recoup/aws/sts_api.h"
#include "recoup/core/time.h"
#include "recoup/health/health_event.h"
#include "recoup/health/service.h"
#include "recoup/health/sync.h"

namespace recoup::serve {

Periodic::Periodic(std::string name, int64_t every_ms, std::function<Status()> fn)
    : name_(std::move(name)), every_ms_(every_ms), fn_(std::move(fn)) {}

Periodic::~Periodic() { Stop(); }

void Periodic::Start() {
  thread_ = std::thread([this] {
    MutexLock lock(mu_);
    while (!stop_) {
      lock.Unlock();
      Status st = fn_();
      ++runs_;
      lock.Lock();
      if (!st.ok()) {
        ++failures_;
        last_error_ = st.message();
        std::fprintf(stderr, "recoup serve: %s: %s\n", name_.c_str(), st.message().c_str());
      } else {
        last_error_.clear();
      }
      {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(every_ms_);
        while (!(stop_) && lock.WaitUntil(cv_, until)) {
        }
      }
    }
  });
}

void Periodic::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Periodic::last_error() const {
  MutexLock lock(mu_);
  return last_error_;
}

// ---- probes ----

Prober::Prober(ProbeConfig config, std::string account, std::shared_ptr<const sla::Catalog> catalog,
               AwsSessionFactory sessions, LiveSink* sink)
    : config_(std::move(config)),
      account_(std::move(account)),
      catalog_(std::move(catalog)),
      sessions_(std::move(sessions)),
      sink_(sink) {}

events::Event Prober::Call(aws::ApiClient& client, net::HttpClient& http,
                           const aws::Credentials& creds, const std::string& op,
                           const nlohmann::json& input, nlohmann::json* output) {
  events::Event e;
  e.account = account_;
  e.region = config_.region;
  e.service = config_.service;
  e.operation = op;
  e.resource = ProbedResource();
  e.source = events::SourceKind::kProbe;
  const int64_t start = sink_->clock().NowMs();
  e.time_ms = start;
  auto req = IsRest() ? RestRequest(client, creds, start)
                      : client.BuildRequest(op, input.dump(), creds, start);
  if (!req.ok()) {
    e.outcome = events::OutcomeClass::kNoResponse;
    e.error_code = "RequestNotBuilt";
    return e;
  }
  net::RequestOptions ro;
  ro.timeout_ms = 10000;
  ro.idempotent = false;  // the prober never retries: each attempt is evidence
  auto resp = http.Send(*req, ro);
  e.latency_ms = sink_->clock().NowMs() - start;
  if (!resp.ok()) {
    e.outcome = events::OutcomeClass::kNoResponse;
    e.error_code = "NoResponse";
    return e;
  }
  e.http_status = resp->status;
  if (auto id = resp->Header("x-amzn-RequestId")) e.request_id = *id;
  if (e.request_id.empty()) {  // S3
    if (auto id = resp->Header("x-amz-request-id")) e.request_id = *id;
  }
  if (resp->status >= 200 && resp->status < 300) {
    e.outcome = events::OutcomeClass::kSuccess;
    if (output != nullptr) {
      *output = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
    }
    return e;
  }
  const aws::AwsError err = aws::ParseAwsErrorResponse(*resp, client.spec().protocol);
  e.error_code = err.code.empty() ? "HTTP" + std::to_string(resp->status) : err.code;
  if (e.request_id.empty()) e.request_id = err.request_id;
  const sla::ServiceTerms* terms = catalog_->Find(config_.service);
  e.outcome = terms != nullptr ? terms->Classify(e.error_code, e.http_status)
                               : events::OutcomeClass::kServerError;
  if (e.outcome == events::OutcomeClass::kServerError && e.request_id.empty()) {
    e.outcome = events::OutcomeClass::kNoResponse;
  }
  return e;
}

bool Prober::IsRest() const { return config_.service == "s3"; }

// S3 GetBucketLocation (path-style): a read-only call whose errors carry a
// code (an S3 HEAD's do not, so SlowDown and ServiceUnavailable would look
// the same).
Result<net::HttpRequest> Prober::RestRequest(aws::ApiClient& client, const aws::Credentials& creds,
                                             int64_t now_ms) const {
  return client.BuildRestRequest("GET", "/" + aws::UriEncode(config_.resource), "location", creds,
                                 now_ms);
}

// The resource the probe's calls name, as the evidence spells it: a table
// name becomes its ARN (the claim's table names read it), the KMS key and
// the queue URL and secret as given.
std::string Prober::ProbedResource() const {
  if (config_.service == "kms") return config_.key_id;
  if (config_.service == "dynamodb" && config_.resource.rfind("arn:", 0) != 0) {
    return "arn:aws:dynamodb:" + config_.region + ":" + account_ + ":table/" + config_.resource;
  }
  if (config_.service == "s3") return "arn:aws:s3:::" + config_.resource;
  return config_.resource;
}

Status Prober::RunOnce() {
  if (session_ == nullptr) {
    RECOUP_ASSIGN_OR_RETURN(session_, sessions_());
    const aws::ServiceSpec& spec = config_.service == "dynamodb" ? aws::services::kDynamoDb
                                   : config_.service == "sqs"    ? aws::services::kSqs
                                   : config_.service == "secretsmanager"
                                       ? aws::services::kSecretsManager
                                   : config_.service == "s3" ? aws::services::kS3
                                                             : aws::services::kKms;
    RECOUP_ASSIGN_OR_RETURN(client_, session_->Client(spec, config_.region));
    http_ = net::MakeCurlHttpClient();
  }
  if (config_.service != "kms") return RunResourceProbes();
  RECOUP_ASSIGN_OR_RETURN(aws::Credentials creds, session_->credentials()->Get());
  LiveBatch batch;
  batch.source = source_name();
  batch.arrival_ns = sink_->clock().MonotonicNs();
  std::string ciphertext;
  std::vector<std::string> ops = config_.operations;
  if (ops.empty()) ops = ProbeOperations("kms");
  for (const std::string& op : ops) {
    nlohmann::json in, out;
    if (op == "GenerateRandom") {
      in = {{"NumberOfBytes", 32}};
    } else if (op == "Encrypt") {
      unsigned char pt[32];
      if (RAND_bytes(pt, sizeof(pt)) != 1) return Internal("probe: no random bytes");
      in = {{"KeyId", config_.key_id},
            {"Plaintext", aws::Base64Encode(std::string(reinterpret_cast<char*>(pt), sizeof(pt)))}};
    } else {  // Decrypt: of what Encrypt just gave
      if (ciphertext.empty()) continue;
      in = {{"KeyId", config_.key_id}, {"CiphertextBlob", ciphertext}};
    }
    events::Event e = Call(*client_, *http_, creds, op, in, &out);
    if (op == "Encrypt" && e.outcome == events::OutcomeClass::kSuccess) {
      ciphertext = aws::JsonString(out, "CiphertextBlob");
    }
    batch.events.push_back(std::move(e));
  }
  if (!sink_->Submit(std::move(batch))) return Unavailable("probe: stopping");
  return Status::Ok();
}

// One read-only call per operation of the named resource.
Status Prober::RunResourceProbes() {
  RECOUP_ASSIGN_OR_RETURN(aws::Credentials creds, session_->credentials()->Get());
  LiveBatch batch;
  batch.source = source_name();
  batch.arrival_ns = sink_->clock().MonotonicNs();
  std::vector<std::string> ops = config_.operations;
  if (ops.empty()) ops = {ProbeOperations(config_.service).front()};
  for (const std::string& op : ops) {
    nlohmann::json in;
    if (IsRest()) {
      // The request is REST (RestRequest): no JSON input.
    } else if (op == "DescribeTable") {
      in = {{"TableName", config_.resource}};
    } else if (op == "GetQueueAttributes") {
      in = {{"QueueUrl", config_.resource}, {"AttributeNames", {"QueueArn"}}};
    } else {  // DescribeSecret: the secret's metadata, never its value
      in = {{"SecretId", config_.resource}};
    }
    batch.events.push_back(Call(*client_, *http_, creds, op, in, nullptr));
  }
  if (!sink_->Submit(std::move(batch))) return Unavailable("probe: stopping");
  return Status::Ok();
}

// ---- AWS Health ----

HealthPoller::HealthPoller(HealthConfig config, AwsSessionFactory sessions, storage::Store* store,
                           const Clock* clock)
    : config_(std::move(config)),
      sessions_(std::move(sessions)),
      store_(store),
      clock_(clock != nullptr ? clock : &SystemClock()) {}

Status HealthPoller::RunOnce() {
  if (session_ == nullptr) {
    RECOUP_ASSIGN_OR_RETURN(session_, sessions_());
  }
  counts_ = SourceStats{};
  Status api = config_.api ? PollApi() : Status::Ok();
  Status queue = config_.sqs_queue_url.empty() ? Status::Ok() : PollQueue();
  if (counter_) counter_(counts_);
  return api.ok() ? queue : api;
}

void HealthPoller::Count(const health::HealthEvent& h, bool changed) {
  ++(changed ? counts_.events_in : counts_.duplicates);
  counts_.last_event_ms = std::max(counts_.last_event_ms, h.last_updated_ms);
}

Status HealthPoller::PollApi() {
  RECOUP_ASSIGN_OR_RETURN(auto client, session_->Client(aws::services::kHealth, config_.region));
  aws::HealthApi api(client.get());
  aws::HealthEventFilter f;
  f.services = services_;
  f.start_from_ms = clock_->NowMs() - 90 * kMsPerDay;
  auto fetched = health::FetchFromApi(api, f, config_.organization);
  if (!fetched.ok()) return fetched.status().WithPrefix("health api");
  for (const health::HealthEvent& h : fetched->events) {
    RECOUP_ASSIGN_OR_RETURN(bool changed, store_->PutHealthEvent(h));
    Count(h, changed);
  }
  // What the read covered: the caller's account (every account in the
  // organization view); without an identity it counts as no check.
  std::string account = "*";
  if (!config_.organization) {
    RECOUP_ASSIGN_OR_RETURN(auto sts_client, session_->Client(aws::services::kSts, config_.region));
    auto who = aws::StsApi(sts_client.get()).GetCallerIdentity();
    if (!who.ok()) {
      std::fprintf(stderr,
                   "recoup serve: health api: GetCallerIdentity: %s (this read is not counted as "
                   "a check of AWS Health)\n",
                   who.status().message().c_str());
      return Status::Ok();
    }
    account = who->account;
  }
  return health::RecordApiCoverage(*store_, account, config_.organization, {}, clock_->NowMs());
}

namespace {
// The account in a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME);
// empty when it has none.
std::string QueueAccount(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return std::string();
  const size_t end = url.find('/', path + 1);
  std::string account =
      url.substr(path + 1, end == std::string::npos ? std::string::npos : end - path - 1);
  if (account.size() != 12 ||
      !std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::string();
  }
  return account;
}
}  // namespace

Status HealthPoller::PollQueue() {
  RECOUP_ASSIGN_OR_RETURN(auto client, session_->Client(aws::services::kSqs, config_.region));
  aws::SqsApi sqs(client.get());
  bool drained = false;
  for (int round = 0; round < 10; ++round) {
    aws::ReceiveMessageInput in;
    in.queue_url = config_.sqs_queue_url;
    in.max_messages = 10;
    RECOUP_ASSIGN_OR_RETURN(auto msgs, sqs.ReceiveMessage(in));
    if (msgs.empty()) {
      drained = true;
      break;
    }
    for (const aws::SqsMessage& m : msgs) {
      auto j = nlohmann::json::parse(m.body, nullptr, /*allow_exceptions=*/false);
      // SNS-wrapped deliveries carry the event in "Message".
      if (j.is_object() && j.contains("Message") && j["Message"].is_string()) {
        j = nlohmann::json::parse(j["Message"].get<std::string>(), nullptr, false);
      }
      auto h = HealthEventFromEventBridge(j);
      if (h.ok()) {
        h->source = "sqs";
        // Stored before deleted: a crash in between re-reads it (PutHealthEvent is idempotent).
        RECOUP_ASSIGN_OR_RETURN(bool changed, store_->PutHealthEvent(*h));
        Count(*h, changed);
      } else {
        ++counts_.rejected;
        std::fprintf(stderr, "recoup serve: health queue: message %s skipped: %s\n",
                     m.message_id.c_str(), h.status().message().c_str());
      }
      RECOUP_RETURN_IF_ERROR(sqs.DeleteMessage(config_.sqs_queue_url, m.receipt_handle));
    }
  }
  // A drained queue holds nothing more that was delivered to it since the
  // last poll: the interval up to now is covered (queue retention is longer).
  const std::string account = QueueAccount(config_.sqs_queue_url);
  if (drained && !account.empty()) {
    const int64_t now = clock_->NowMs();
    RECOUP_RETURN_IF_ERROR(store_->PutHealthCoverage(
        {"sqs", account, config_.region, now - config_.every_ms - 60 * kMsPerSecond, now}));
  }
  return Status::Ok();
}

namespace {
int64_t HealthTime(const nlohmann::json& d, const char* key) {
  if (!d.contains(key) || !d[key].is_string()) return 0;
  const std::string s = d[key].get<std::string>();
  if (auto t = ParseRfc1123Ms(s); t.ok()) return *t;
  if (auto t = ParseTimestampMs(s); t.ok()) return *t;
  return 0;
}
}  // namespace

namespace {

Result<health::HealthEvent> ReadHealthEvent(const nlohmann::json& j) {
  if (!j.is_object() || j.value("source", "") != "aws.health" || !j.contains("detail") ||
      !j["detail"].is_object()) {
    return NotFound("not an aws.health event");
  }
  const nlohmann::json& d = j["detail"];
  health::HealthEvent h;
  h.arn = d.value("eventArn", "");
  if (h.arn.empty()) return NotFound("aws.health event without detail.eventArn");
  h.service = d.value("service", "");
  h.event_type_code = d.value("eventTypeCode", "");
  h.event_type_category = d.value("eventTypeCategory", "");
  h.region = d.value("eventRegion", j.value("region", ""));
  h.status = d.value("statusCode", "");
  std::transform(h.status.begin(), h.status.end(), h.status.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  h.start_ms = HealthTime(d, "startTime");
  h.end_ms = HealthTime(d, "endTime");
  h.last_updated_ms = HealthTime(d, "lastUpdatedTime");
  if (h.last_updated_ms == 0) h.last_updated_ms = HealthTime(j, "time");
  if (d.contains("eventDescription") && d["eventDescription"].is_array() &&
      !d["eventDescription"].empty()) {
    h.description = d["eventDescription"][0].value("latestDescription", "");
  }
  if (d.contains("affectedAccount") && d["affectedAccount"].is_string()) {
    h.accounts.push_back(d["affectedAccount"].get<std::string>());
  }
  RECOUP_RETURN_IF_ERROR(health::ValidateHealthEvent(h));
  return h;
}

}  // namespace

Result<health::HealthEvent> HealthEventFromEventBridge(const nlohmann::json& j) {
  // A field of the wrong JSON type (value() throws) is a rejected message.
  try {
    return ReadHealthEvent(j);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("aws.health event: a field of the wrong type (") + e.what() +
                           ")");
  }
}

}  // namespace recoup::serve
