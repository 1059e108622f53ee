// Which resources belong to a sub-scope of their service's SLA (the
// catalog's `sub_scopes`): S3 buckets that hold an Infrequent-Access-like
// storage class (99.0%), DynamoDB global tables whose failover the customer
// attempted (99.999%). A request on such a resource counts in the sub-scope's
// own series, "SERVICE.SCOPE" (sla::Catalog::Find); every other request in
// the service's default scope.
//
// The evidence does not say which storage class an object has or whether a
// failover was attempted, so the user names the resources: one rule
// "SERVICE.SCOPE=PATTERN" each (`recoup ingest --scope`, `[sla] scopes` in
// serve's configuration). PATTERN is a resource ARN or the resource's name
// (an S3 bucket, a DynamoDB table), `*` matching any run of characters.
// Pure; thread-compatible (const methods are thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/sla/catalog.h"

namespace recoup::sla {

class ScopeMap {
 public:
  // Adds one rule; INVALID_ARGUMENT naming `origin` when SERVICE.SCOPE is not
  // a sub-scope of the catalog other than a default, or PATTERN is empty,
  // longer than 256 characters or holds a control character.
  Status Add(const Catalog& catalog, std::string_view rule, const std::string& origin);

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

  // The series key of a request of `service` on `resource` ("s3.infrequent_access"),
  // or empty for the service's default scope. The first matching rule wins.
  std::string_view SeriesOf(std::string_view service, std::string_view resource) const;

  // The rules as given, for logs and `doctor`.
  std::vector<std::string> ToStrings() const;

 private:
  struct Rule {
    std::string base;     // "s3"
    std::string series;   // "s3.infrequent_access"
    std::string pattern;  // "archive-*"
  };
  std::vector<Rule> rules_;
};

// The name a pattern may give instead of the ARN: an S3 ARN's bucket
// ("arn:aws:s3:::logs/2025/a" -> "logs"), a DynamoDB table's name
// ("arn:aws:dynamodb:r:a:table/orders/index/x" -> "orders"); else the resource.
std::string_view ResourceName(std::string_view resource);

// Glob match with `*` (any run, empty included); no other metacharacter.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace recoup::sla
