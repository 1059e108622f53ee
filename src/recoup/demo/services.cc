#include "recoup/demo/services.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "recoup/demo/generator.h"
#include "recoup/demo/random.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kOutageIntervals = 30;  // 06:50-09:20 UTC
constexpr const char* kUserAgent =
    "Boto3/1.40.11 md/Botocore#1.43.11 ua/2.1 os/linux#5.10.240-238.959.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE "
    "cfg/retry-mode#standard Botocore/1.43.11";
constexpr const char* kOrdersClient = "orders-app";

// What one request came to.
enum class Outcome { kOk, kServerError, kThrottled, kClientError };

bool Payments(const Cell& c) { return c.account == kPaymentsAccount; }

// "USE1", "EU", "APS2": the usage-type prefix of a Region.
std::string UsagePrefix(const std::string& region) {
  if (region == "us-east-1") return "USE1";
  if (region == "eu-west-1") return "EU";
  if (region == "ap-southeast-2") return "APS2";
  return region;
}

int64_t OutageBegin(const Windows& w) {
  return w.month_start + (kServicesOutageDay - 1) * kMsPerDay + 6 * kHourMs + 50 * kMsPerMinute;
}

// The resources a cell's callers use.
struct Names {
  std::string table, function, queue, queue_url, api_id, role, owner_id, access_key;
};

Names NamesOf(const Cell& c, uint64_t seed) {
  Rng rng(HashString(seed, "services-names/" + c.account + "/" + c.region));
  Names n;
  const bool pay = Payments(c);
  n.table =
      "arn:aws:dynamodb:" + c.region + ":" + c.account + ":table/" + (pay ? "orders" : "jobs");
  n.function = "arn:aws:lambda:" + c.region + ":" + c.account +
               ":function:" + (pay ? "checkout" : "etl-trigger");
  n.queue = "arn:aws:sqs:" + c.region + ":" + c.account + ":settlements";
  n.queue_url = "https://sqs." + c.region + ".amazonaws.com/" + c.account + "/settlements";
  n.api_id = RandomChars(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 10);
  n.role = pay ? "orders-api" : "etl-jobs";
  n.owner_id = RandomChars(rng, kHex, 64);
  n.access_key = "AKIA" + RandomChars(rng, kBase32, 16);
  return n;
}

// The error code and message of a failure of `service`.
std::pair<const char*, const char*> ErrorOf(const std::string& service, Outcome o) {
  if (service == "dynamodb") {
    if (o == Outcome::kServerError) return {"InternalServerError", "Internal server error"};
    if (o == Outcome::kThrottled) {
      return {"ProvisionedThroughputExceededException",
              "The level of configured provisioned throughput for the table was exceeded. "
              "Consider increasing your provisioning level with the UpdateTable API."};
    }
    return {"ConditionalCheckFailedException", "The conditional request failed"};
  }
  if (service == "lambda") {
    if (o == Outcome::kServerError)
      return {"ServiceException", "Lambda encountered an internal error."};
    if (o == Outcome::kThrottled) return {"TooManyRequestsException", "Rate Exceeded."};
    return {"ResourceConflictException", "The operation cannot be performed at this time."};
  }
  if (o == Outcome::kServerError) {
    return {"InternalError", "We encountered an internal error. Please try again."};
  }
  if (o == Outcome::kThrottled) return {"RequestThrottled", "Request is throttled."};
  return {"InvalidParameterValue", "Value for parameter MessageBody is invalid."};
}

class CellServicesGen {
 public:
  CellServicesGen(const Cell& cell, const Windows& w, uint64_t seed)
      : cell_(cell),
        w_(w),
        names_(NamesOf(cell, seed)),
        rng_(HashString(seed, "services/" + cell.account + "/" + cell.region)) {}

  ServicesCell Run() {
    const std::vector<std::string> services = CellServices(cell_);
    for (const std::string& s : services) {
      ServiceTruth t;
      t.account = cell_.account;
      t.region = cell_.region;
      t.service = s;
      out_.truth.push_back(std::move(t));
    }
    counts_.resize(services.size());
    const int64_t n = w_.Intervals();
    const int64_t outage0 = (OutageBegin(w_) - w_.month_start) / kIntervalMs;
    for (int64_t iv = 0; iv < n; ++iv) {
      const int oi = static_cast<int>(iv - outage0);
      const bool in_outage = cell_.region == "us-east-1" && oi >= 0 && oi < kOutageIntervals;
      for (size_t k = 0; k < services.size(); ++k) {
        if (in_outage) {
          Outage(services[k], k, iv, oi);
        } else {
          Background(services[k], k, iv);
        }
      }
    }
    CollectFailing();
    AddCharges(services);
    return std::move(out_);
  }

 private:
  // Calls per outage interval: the applications keep calling (and retrying).
  static int OutageCalls(const std::string& s) {
    if (s == "dynamodb") return 24;
    if (s == "apigateway") return 16;
    if (s == "s3") return 20;
    if (s == "lambda") return 12;
    return 10;  // sqs
  }

  void Outage(const std::string& s, size_t k, int64_t iv, int oi) {
    const int calls = OutageCalls(s);
    const int failing = calls * ServicesOutagePercent(s, oi) / 100;
    for (int c = 0; c < calls; ++c) {
      Request(s, k, iv, c < failing ? Outcome::kServerError : Outcome::kOk, true);
    }
  }

  void Background(const std::string& s, size_t k, int64_t iv) {
    if (!rng_.Chance(1, 4)) return;
    Outcome o = Outcome::kOk;
    // Analytics' batch jobs run over their provisioned capacity.
    bool throttled = s == "dynamodb" && !Payments(cell_) && rng_.Chance(8, 100);
    if (!throttled && rng_.Chance(1, 100)) {
      o = Outcome::kClientError;
    } else if (!throttled) {
      throttled = s == "s3" && rng_.Chance(1, 200);  // SlowDown
    }
    if (throttled) o = Outcome::kThrottled;
    Request(s, k, iv, o, false);
  }

  void Count(size_t k, int64_t iv, Outcome o) {
    ServiceTruth& t = out_.truth[k];
    if (o == Outcome::kThrottled) {
      ++t.throttled;
      return;
    }
    if (o == Outcome::kClientError) {
      ++t.client_errors;
      return;
    }
    ++t.requests;
    std::pair<int64_t, int64_t>& c = counts_[k][iv];
    ++c.first;
    if (o == Outcome::kServerError) {
      ++t.server_errors;
      ++c.second;
    }
  }

  void Request(const std::string& s, size_t k, int64_t iv, Outcome o, bool outage) {
    const int64_t ms =
        w_.month_start + iv * kIntervalMs + static_cast<int64_t>(rng_.Below(300'000));
    if (s == "s3") {
      S3Line(ms, o);
    } else if (s == "apigateway") {
      ApiLine(ms, o);
    } else {
      CloudTrail(s, ms, o, outage);
    }
    Count(k, iv, o);
  }

  // Every interval with a server error, into the truth.
  void CollectFailing() {
    for (size_t k = 0; k < out_.truth.size(); ++k) {
      for (const auto& [iv, c] : counts_[k]) {
        if (c.second > 0) out_.truth[k].failing[iv] = c;
      }
    }
  }

  std::string RequestId(const std::string& s) {
    if (s == "dynamodb") return RandomChars(rng_, "ABCDEFGHIJKLMNOPQRSTUV0123456789", 52);
    return Uuid(rng_);
  }

  void CloudTrail(const std::string& s, int64_t ms, Outcome o, bool outage) {
    const std::string session = "i-0" + RandomChars(rng_, kHex, 16);
    const std::string rid = RequestId(s);
    Json r;
    r["eventVersion"] = "1.09";
    r["userIdentity"] = {
        {"type", "AssumedRole"},
        {"principalId", "AROA" + RandomChars(rng_, kBase32, 17) + ":" + session},
        {"arn", "arn:aws:sts::" + cell_.account + ":assumed-role/" + names_.role + "/" + session},
        {"accountId", cell_.account},
        {"accessKeyId", "ASIA" + RandomChars(rng_, kBase32, 16)},
        {"sessionContext",
         {{"sessionIssuer",
           {{"type", "Role"},
            {"principalId", "AROA" + RandomChars(rng_, kBase32, 17)},
            {"arn", "arn:aws:iam::" + cell_.account + ":role/" + names_.role},
            {"accountId", cell_.account},
            {"userName", names_.role}}},
          {"attributes", {{"creationDate", Iso(ms - 1'800'000)}, {"mfaAuthenticated", "false"}}}}}};
    r["eventTime"] = Iso(ms);
    std::string op, type, arn;
    Json params;
    if (s == "dynamodb") {
      static const char* const kOps[] = {"GetItem", "GetItem", "PutItem", "Query", "UpdateItem"};
      op = kOps[rng_.Below(5)];
      type = "AWS::DynamoDB::Table";
      arn = names_.table;
      params = {{"tableName", arn.substr(arn.rfind('/') + 1)},
                {"key", {{"pk", "HIDDEN_DUE_TO_SECURITY_REASONS"}}}};
    } else if (s == "lambda") {
      op = "Invoke";
      type = "AWS::Lambda::Function";
      arn = names_.function;
      params = {{"functionName", arn}, {"invocationType", "RequestResponse"}};
    } else {
      static const char* const kOps[] = {"SendMessage", "ReceiveMessage", "DeleteMessage"};
      op = kOps[rng_.Below(3)];
      type = "AWS::SQS::Queue";
      arn = names_.queue;
      params = {{"queueUrl", names_.queue_url}};
    }
    r["eventSource"] = s + ".amazonaws.com";
    r["eventName"] = op;
    r["awsRegion"] = cell_.region;
    r["sourceIPAddress"] = "10." + std::to_string(rng_.Range(0, 31)) + "." +
                           std::to_string(rng_.Range(0, 255)) + "." +
                           std::to_string(rng_.Range(1, 254));
    r["userAgent"] = kUserAgent;
    if (o != Outcome::kOk) {
      const auto [code, message] = ErrorOf(s, o);
      r["errorCode"] = code;
      r["errorMessage"] = message;
    }
    r["requestParameters"] = params;
    r["responseElements"] = nullptr;
    r["requestID"] = rid;
    r["eventID"] = Uuid(rng_);
    r["readOnly"] = op == "GetItem" || op == "Query" || op == "ReceiveMessage";
    r["resources"] = Json::array({{{"accountId", cell_.account}, {"type", type}, {"ARN", arn}}});
    r["eventType"] = "AwsApiCall";
    r["managementEvent"] = false;
    r["recipientAccountId"] = cell_.account;
    r["eventCategory"] = "Data";
    r["tlsDetails"] = {{"tlsVersion", "TLSv1.3"},
                       {"cipherSuite", "TLS_AES_128_GCM_SHA256"},
                       {"clientProvidedHostHeader", s + "." + cell_.region + ".amazonaws.com"}};
    out_.data_events.push_back({ms / 1000 * 1000, seq_++, r.dump()});
    // The payments application sends its DynamoDB calls' CSM datagrams too.
    if (outage && s == "dynamodb" && Payments(cell_)) Csm(ms, op, o, rid);
  }

  // The fields every datagram of the order service starts with, in botocore's order.
  static Json CsmHead(const char* type, const std::string& op, int64_t ms) {
    Json j;
    j["Version"] = 1;
    j["ClientId"] = kOrdersClient;
    j["Type"] = type;
    j["Service"] = "DynamoDB";
    j["Api"] = op;
    j["Timestamp"] = ms;
    return j;
  }

  void Csm(int64_t ms, const std::string& op, Outcome o, const std::string& rid) {
    const int64_t latency = o == Outcome::kOk ? rng_.Range(4, 30) : rng_.Range(20, 900);
    const int status = o == Outcome::kOk ? 200 : 500;
    Json a = CsmHead("ApiCallAttempt", op, ms);
    a["AttemptLatency"] = latency;
    a["Fqdn"] = "dynamodb." + cell_.region + ".amazonaws.com";
    a["UserAgent"] = kUserAgent;
    a["AccessKey"] = names_.access_key;
    a["Region"] = cell_.region;
    a["HttpStatusCode"] = status;
    a["XAmznRequestId"] = rid;
    Json c = CsmHead("ApiCall", op, ms);
    c["AttemptCount"] = 1;
    c["Region"] = cell_.region;
    c["UserAgent"] = kUserAgent;
    c["FinalHttpStatusCode"] = status;
    if (o != Outcome::kOk) {
      a["AwsException"] = "InternalServerError";
      a["AwsExceptionMessage"] = "Internal server error";
      c["FinalAwsException"] = "InternalServerError";
      c["FinalAwsExceptionMessage"] = "Internal server error";
    }
    c["Latency"] = latency + 1;
    c["MaxRetriesExceeded"] = 0;
    out_.csm.push_back({ms, seq_++, a.dump()});
    out_.csm.push_back({ms + latency + 1, seq_++, c.dump()});
  }

  void S3Line(int64_t ms, Outcome o) {
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::string iso = Iso(ms);  // 2026-10-14T09:15:00Z
    const std::string when = iso.substr(8, 2) + "/" + kMonths[std::stoi(iso.substr(5, 2)) - 1] +
                             "/" + iso.substr(0, 4) + ":" + iso.substr(11, 8) + " +0000";
    const bool put = rng_.Chance(1, 4);
    const std::string key =
        "statements/" + iso.substr(0, 7) + "/" + RandomChars(rng_, kHex, 12) + ".pdf";
    std::string status = "200";
    std::string code = "-";
    if (o == Outcome::kServerError) {
      const bool busy = rng_.Chance(1, 2);
      status = busy ? "503" : "500";
      code = busy ? "ServiceUnavailable" : "InternalError";
    } else if (o == Outcome::kThrottled) {
      status = "503";
      code = "SlowDown";
    } else if (o == Outcome::kClientError) {
      status = "404";
      code = "NoSuchKey";
    }
    const std::string rid = RandomChars(rng_, "ABCDEF0123456789", 16);
    const std::string session = "i-0" + RandomChars(rng_, kHex, 16);
    std::string line =
        names_.owner_id + " " + cell_.bucket + " [" + when + "] 10." +
        std::to_string(rng_.Range(0, 31)) + "." + std::to_string(rng_.Range(0, 255)) + "." +
        std::to_string(rng_.Range(1, 254)) + " arn:aws:sts::" + cell_.account + ":assumed-role/" +
        names_.role + "/" + session + " " + rid + " " +
        (put ? "REST.PUT.OBJECT" : "REST.GET.OBJECT") + " " + key + " \"" + (put ? "PUT" : "GET") +
        " /" + key + " HTTP/1.1\" " + status + " " + code + " " +
        std::to_string(o == Outcome::kOk ? rng_.Range(2000, 90000) : 243) + " " +
        std::to_string(rng_.Range(2000, 90000)) + " " + std::to_string(rng_.Range(8, 120)) + " " +
        std::to_string(rng_.Range(5, 90)) + " \"-\" \"" + kUserAgent + "\" - " +
        RandomChars(rng_, kBase64, 56) + " SigV4 TLS_AES_128_GCM_SHA256 AuthHeader " +
        cell_.bucket + ".s3." + cell_.region + ".amazonaws.com TLSv1.3 - -";
    out_.s3_log_lines.emplace_back(ms, std::move(line));
  }

  void ApiLine(int64_t ms, Outcome o) {
    Json j;
    j["requestId"] = Uuid(rng_);
    j["extendedRequestId"] = RandomChars(rng_, kAlnum, 16) + "=";
    j["requestTimeEpoch"] = ms;
    j["httpMethod"] = "POST";
    j["resourcePath"] = "/orders";
    std::string status = "200", integration = "200", type = "-";
    if (o == Outcome::kServerError) {
      status = "500";
      integration = "-";
      type = "DEFAULT_5XX";
    } else if (o == Outcome::kThrottled) {
      status = "429";
      integration = "-";
      type = "THROTTLED";
    } else if (o == Outcome::kClientError) {
      status = "400";
      integration = "-";
      type = "BAD_REQUEST_BODY";
    }
    j["status"] = status;
    j["protocol"] = "HTTP/1.1";
    j["responseLength"] = o == Outcome::kOk ? std::to_string(rng_.Range(80, 900)) : "36";
    j["apiId"] = names_.api_id;
    j["accountId"] = cell_.account;
    j["stage"] = "prod";
    j["domainName"] = names_.api_id + ".execute-api." + cell_.region + ".amazonaws.com";
    j["integrationStatus"] = integration;
    j["integrationLatency"] = o == Outcome::kOk ? std::to_string(rng_.Range(20, 400)) : "-";
    j["error"] = {{"responseType", type},
                  {"message", o == Outcome::kOk ? "-" : "Internal server error"}};
    out_.apigateway_lines.emplace_back(ms, j.dump());
  }

  void Charge(const std::string& product, const std::string& name, const std::string& usage,
              const std::string& operation, const std::string& family, const std::string& unit,
              const std::string& description, int64_t rate, int64_t lo, int64_t hi) {
    ServiceCharge c;
    c.account = cell_.account;
    c.region = cell_.region;
    c.product = product;
    c.product_name = name;
    c.usage_type = UsagePrefix(cell_.region) + "-" + usage;
    c.operation = operation;
    c.family = family;
    c.unit = unit;
    c.description = description;
    c.rate = rate;
    const int64_t whole = rng_.Range(lo, hi);
    c.amount = whole * kUsd;
    c.cost = whole * rate;
    out_.charges.push_back(std::move(c));
  }

  // The month's charges of each service the cell uses (S3's are the CUR's
  // storage rows, written with the other products).
  void AddCharges(const std::vector<std::string>& services) {
    const int64_t scale = cell_.region == "us-east-1" ? 3 : 1;
    for (const std::string& s : services) {
      if (s == "dynamodb") {
        Charge("AmazonDynamoDB", "Amazon DynamoDB", "ReadCapacityUnit-Hrs", "CommittedThroughput",
               "Provisioned IOPS", "ReadCapacityUnit-Hrs",
               "$0.00013 per hour for units of read capacity beyond the free tier", 1'300'000,
               1'500'000 * scale, 3'000'000 * scale);
        Charge("AmazonDynamoDB", "Amazon DynamoDB", "WriteCapacityUnit-Hrs", "CommittedThroughput",
               "Provisioned IOPS", "WriteCapacityUnit-Hrs",
               "$0.00065 per hour for units of write capacity beyond the free tier", 6'500'000,
               600'000 * scale, 1'400'000 * scale);
      } else if (s == "lambda") {
        Charge("AWSLambda", "AWS Lambda", "Request", "Invoke", "Serverless", "Requests",
               "AWS Lambda - Total Requests - $0.20 per 1M requests", 2'000, 40'000'000 * scale,
               90'000'000 * scale);
        Charge("AWSLambda", "AWS Lambda", "Lambda-GB-Second", "Invoke", "Serverless",
               "Lambda-GB-Second", "AWS Lambda - Total Compute - $0.0000166667 per GB-second",
               166'667, 8'000'000 * scale, 20'000'000 * scale);
      } else if (s == "sqs") {
        Charge("AWSQueueService", "Amazon Simple Queue Service", "Requests-Tier1", "SendMessage",
               "API Request", "Requests", "$0.40 per 1,000,000 Amazon SQS Requests", 4'000,
               50'000'000 * scale, 150'000'000 * scale);
      } else if (s == "apigateway") {
        Charge("AmazonApiGateway", "Amazon API Gateway", "ApiGatewayRequest", "ApiGatewayRequest",
               "API Calls", "Requests", "$3.50/million requests - API Gateway REST API", 35'000,
               40'000'000 * scale, 90'000'000 * scale);
      }
    }
  }

  const Cell& cell_;
  const Windows& w_;
  const Names names_;
  Rng rng_;
  ServicesCell out_;
  uint32_t seq_ = 0;
  // Per service: interval index -> (counted requests, server errors).
  std::vector<std::map<int64_t, std::pair<int64_t, int64_t>>> counts_;
};

}  // namespace

std::vector<std::string> CellServices(const Cell& cell) {
  if (Payments(cell)) return {"dynamodb", "lambda", "sqs", "apigateway", "s3"};
  if (cell.region == "eu-west-1") return {"dynamodb", "lambda", "s3"};
  return {"lambda", "s3"};
}

int ServicesOutagePercent(const std::string& service, int i) {
  if (i < 0 || i >= kOutageIntervals) return 0;
  // Rises over 25 minutes, holds, falls over the last 25.
  const int shape =
      i < 5 ? (i + 1) * 20 : (i >= kOutageIntervals - 5 ? (kOutageIntervals - i) * 20 : 100);
  int peak = 0;
  if (service == "dynamodb") peak = 85;
  if (service == "lambda") peak = 55;
  if (service == "sqs") peak = 45;
  if (service == "apigateway") peak = 40;
  if (service == "s3") peak = 10;
  return peak * shape / 100;
}

ServicesCell GenerateServices(const Cell& cell, const Windows& w, uint64_t seed) {
  return CellServicesGen(cell, w, seed).Run();
}

}  // namespace recoup::demo
