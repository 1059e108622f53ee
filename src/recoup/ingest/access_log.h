// Access logs that users already keep, one request a line, as events:
//   * S3 server access logs (space-separated, "quoted" and [bracketed] fields,
//     as https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
//     defines them);
//   * API Gateway access logs in JSON, one object a line, with the $context
//     variables under their own names ("requestId", "status",
//     "integrationStatus", "error.responseType" or nested {"error":
//     {"responseType": ...}}, "requestTimeEpoch" or "requestTime", "apiId",
//     "accountId", "domainName");
//   * CloudFront standard logs (tab-separated, with "#Version" and "#Fields"
//     header lines naming the columns).
// Each parser classifies by the SLA's own rule: S3's InternalError and
// ServiceUnavailable only; API Gateway's internal service errors only
// (integration and authorizer failures excluded); CloudFront's own errors
// (origin errors excluded). Not thread-safe: one parser per thread; views
// returned in EventView stay valid until the next call.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recoup/events/event.h"
#include "recoup/ingest/record_parser.h"
#include "recoup/sla/catalog.h"

namespace recoup::ingest {

enum class AccessLogFormat { kS3, kApiGateway, kCloudFront };
const char* AccessLogFormatName(AccessLogFormat f);  // "s3-access-log", ...

struct AccessLogOptions {
  // For lines that do not name them (S3 logs carry a canonical user ID, not
  // an account; CloudFront logs neither): --account and --region.
  std::string account;
  std::string region;
};

class AccessLogParser {
 public:
  AccessLogParser(std::shared_ptr<const sla::Catalog> catalog, AccessLogFormat format,
                  AccessLogOptions options);
  ~AccessLogParser();
  AccessLogParser(const AccessLogParser&) = delete;
  AccessLogParser& operator=(const AccessLogParser&) = delete;

  // One line without its line end. Blank lines and CloudFront's "#" header
  // lines are kSkipped (a "#Fields" line sets the columns); so are S3's own
  // lifecycle and batch entries, which are not requests. A line that cannot
  // be read is kRejected with `error` naming the field.
  ParseOutcome ParseLine(std::string_view line, events::EventView* out, std::string* error);

  // The format `head` (the first bytes of a file) is unambiguously in, if any.
  static std::optional<AccessLogFormat> Detect(std::string_view head);

 private:
  ParseOutcome S3(std::string_view line, events::EventView* out, std::string* error);
  ParseOutcome ApiGateway(std::string_view line, events::EventView* out, std::string* error);
  ParseOutcome CloudFront(std::string_view line, events::EventView* out, std::string* error);
  ParseOutcome Finish(const sla::ServiceTerms& terms, events::EventView* out);

  std::shared_ptr<const sla::Catalog> catalog_;
  AccessLogFormat format_;
  AccessLogOptions opt_;
  std::vector<std::string_view> fields_;
  std::string account_, region_, operation_, error_code_, request_id_, resource_;
  std::vector<std::string> cloudfront_columns_;  // from "#Fields:"
  struct Json;                                   // the JSON parser, for API Gateway lines
  std::unique_ptr<Json> json_;
};

}  // namespace recoup::ingest
