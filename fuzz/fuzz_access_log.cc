// Fuzzes the access-log readers (ingest/access_log.h): S3 server access logs,
// API Gateway access logs (JSON lines) and CloudFront standard logs.
//
// Input layout: the first byte picks the format (its value mod 3: S3, API
// Gateway, CloudFront); the rest is the log, split into lines as
// `recoup ingest` splits it.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * a rejected line has a message;
//   * an accepted event has a 12-digit account, a Region, a request ID, an
//     HTTP status in 0..599, a time in 1970..9999 and the format's service;
//   * a line parsed twice gives the same outcome (no state but #Fields).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/ingest/access_log.h"
#include "recoup/sla/catalog.h"

namespace {

using recoup::ingest::AccessLogFormat;
using recoup::ingest::AccessLogOptions;
using recoup::ingest::AccessLogParser;
using recoup::ingest::ParseOutcome;

const char* ServiceOf(AccessLogFormat f) {
  switch (f) {
    case AccessLogFormat::kS3:
      return "s3";
    case AccessLogFormat::kApiGateway:
      return "apigateway";
    case AccessLogFormat::kCloudFront:
      return "cloudfront";
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const auto catalog = recoup::sla::Catalog::Default();
  const AccessLogFormat format = static_cast<AccessLogFormat>(data[0] % 3);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  AccessLogOptions opt;
  opt.account = "111122223333";
  AccessLogParser parser(catalog, format, opt);
  AccessLogParser again(catalog, format, opt);
  (void)AccessLogParser::Detect(input);
  while (!input.empty()) {
    const size_t nl = input.find('\n');
    const std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    recoup::events::EventView ev;
    std::string error;
    const ParseOutcome o = parser.ParseLine(line, &ev, &error);
    if (o == ParseOutcome::kRejected) {
      FUZZ_CHECK(!error.empty(), "rejected without a message");
    }
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(ev.account.size() == 12, "account '%.*s'", static_cast<int>(ev.account.size()),
                 ev.account.data());
      FUZZ_CHECK(!ev.region.empty() && !ev.request_id.empty(), "no Region or request ID");
      FUZZ_CHECK(ev.http_status >= 0 && ev.http_status <= 599, "status %d", ev.http_status);
      FUZZ_CHECK(ev.time_ms >= 0 && ev.time_ms < 253402300800000, "time %lld",
                 static_cast<long long>(ev.time_ms));
      FUZZ_CHECK(ev.service == ServiceOf(format), "service");
    }
    recoup::events::EventView ev2;
    std::string error2;
    const ParseOutcome o2 = again.ParseLine(line, &ev2, &error2);
    FUZZ_CHECK(o == o2, "the same line gave two outcomes");
  }
  return 0;
}
