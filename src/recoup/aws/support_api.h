// AWS Support API (awsJson1_1, "AWSSupport_20130415"): the calls recoup needs
// to file and follow SLA credit claims. Plain structs in, Result<structs> out.
//
// The Support API answers only for accounts with a Business, Enterprise
// On-Ramp or Enterprise support plan; otherwise every call fails with
// SubscriptionRequiredException (test with
// aws::IsAwsError(status, "SubscriptionRequiredException")). Its endpoint is
// us-east-1 (support.us-east-1.amazonaws.com) in the aws partition.
//
// Paginated operations (DescribeCases, DescribeCommunications) follow
// nextToken until the end and return everything. CreateCase,
// AddAttachmentsToSet and AddCommunicationToCase are sent as not idempotent
// (never retried after the request may have reached AWS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct SupportCategory {
  std::string code, name;
};

struct SupportService {
  std::string code;  // "key-management-service"
  std::string name;  // "Key Management Service"
  std::vector<SupportCategory> categories;
};

struct SupportSeverityLevel {
  std::string code;  // "low", "normal", "high", "urgent", "critical"
  std::string name;
};

struct SupportAttachment {
  std::string file_name;
  std::string data;  // raw bytes (sent base64-encoded); at most 5 MB each
};

struct AttachmentSetResult {
  std::string attachment_set_id;
  std::string expiry_time;  // as AWS sent it (ISO 8601); sets expire after 1 hour
};

struct CreateCaseInput {
  std::string subject;             // required
  std::string communication_body;  // required
  std::string service_code;        // e.g. "key-management-service" (from DescribeServices)
  std::string category_code;       // e.g. "general-guidance"
  std::string severity_code;       // e.g. "low"
  std::string issue_type;          // "customer-service" or "technical"; empty: AWS default
  std::string language;            // empty: "en"
  std::vector<std::string> cc_email_addresses;
  std::string attachment_set_id;  // from AddAttachmentsToSet, or empty
};

struct SupportAttachmentDetails {
  std::string attachment_id, file_name;
};

struct SupportCommunication {
  std::string case_id;
  std::string body;
  std::string submitted_by;
  std::string time_created;  // ISO 8601 as AWS sent it
  std::vector<SupportAttachmentDetails> attachments;
};

struct SupportCase {
  std::string case_id;     // "case-12345678910-2013-c4c1d2bf33c5cf47"
  std::string display_id;  // "1234567890"
  std::string subject;
  std::string status;  // "opened", "pending-customer-action", "resolved", ...
  std::string service_code, category_code, severity_code;
  std::string submitted_by;
  std::string time_created;  // ISO 8601 as AWS sent it
  std::string language;
  std::vector<std::string> cc_email_addresses;
  // Only when DescribeCasesInput::include_communications (AWS returns the
  // most recent ones; use DescribeCommunications for all of them).
  std::vector<SupportCommunication> recent_communications;
};

struct DescribeCasesInput {
  std::vector<std::string> case_ids;  // empty: all cases (within the filters)
  std::string display_id;
  std::string after_time, before_time;  // ISO 8601, optional
  bool include_resolved_cases = false;
  bool include_communications = false;
  std::string language;  // empty: "en"
};

struct DescribeCommunicationsInput {
  std::string case_id;                  // required
  std::string after_time, before_time;  // ISO 8601, optional
};

struct AddCommunicationInput {
  std::string case_id;             // required
  std::string communication_body;  // required
  std::vector<std::string> cc_email_addresses;
  std::string attachment_set_id;
};

class SupportApi {
 public:
  // `client` must be made for services::kSupport and outlive this object.
  explicit SupportApi(ApiClient* client) : client_(client) {}

  Result<std::vector<SupportService>> DescribeServices(
      const std::vector<std::string>& service_codes = {}, const std::string& language = "");
  Result<std::vector<SupportSeverityLevel>> DescribeSeverityLevels(
      const std::string& language = "");
  // Creates a set (empty `attachment_set_id`) or adds to an existing one.
  Result<AttachmentSetResult> AddAttachmentsToSet(const std::vector<SupportAttachment>& attachments,
                                                  const std::string& attachment_set_id = "");
  // Returns the new case ID.
  Result<std::string> CreateCase(const CreateCaseInput& input);
  Result<std::vector<SupportCase>> DescribeCases(const DescribeCasesInput& input);
  Result<std::vector<SupportCommunication>> DescribeCommunications(
      const DescribeCommunicationsInput& input);
  // True when AWS accepted the communication.
  Result<bool> AddCommunicationToCase(const AddCommunicationInput& input);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
