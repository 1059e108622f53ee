#include "recoup/aws/support_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

namespace {

using nlohmann::json;

std::vector<std::string> StringList(const json& j, std::string_view key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

SupportCommunication ParseCommunication(const json& c) {
  SupportCommunication out;
  out.case_id = JsonString(c, "caseId");
  out.body = JsonString(c, "body");
  out.submitted_by = JsonString(c, "submittedBy");
  out.time_created = JsonString(c, "timeCreated");
  for (const auto& a : JsonArray(c, "attachmentSet")) {
    out.attachments.push_back(
        {.attachment_id = JsonString(a, "attachmentId"), .file_name = JsonString(a, "fileName")});
  }
  return out;
}

void SetIfNotEmpty(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

// The members CreateCase and AddCommunicationToCase share: the message, its
// attachments and who gets a copy.
json CommunicationInput(const std::string& body, const std::string& attachment_set_id,
                        const std::vector<std::string>& cc_email_addresses) {
  json in = json::object();
  in["communicationBody"] = body;
  SetIfNotEmpty(in, "attachmentSetId", attachment_set_id);
  if (!cc_email_addresses.empty()) in["ccEmailAddresses"] = cc_email_addresses;
  return in;
}

// clang-format off
constexpr JsonStringField<SupportCase> kCaseStrings[] = {
    {&SupportCase::case_id, "caseId"}, {&SupportCase::display_id, "displayId"},
    {&SupportCase::subject, "subject"}, {&SupportCase::status, "status"},
    {&SupportCase::service_code, "serviceCode"}, {&SupportCase::category_code, "categoryCode"},
    {&SupportCase::severity_code, "severityCode"}, {&SupportCase::submitted_by, "submittedBy"},
    {&SupportCase::time_created, "timeCreated"}, {&SupportCase::language, "language"}};
// clang-format on

SupportCase ParseCase(const json& c) {
  SupportCase sc = ReadJsonStrings(c, kCaseStrings);
  sc.cc_email_addresses = StringList(c, "ccEmailAddresses");
  if (auto rc = c.find("recentCommunications"); rc != c.end() && rc->is_object()) {
    for (const auto& m : JsonArray(*rc, "communications")) {
      sc.recent_communications.push_back(ParseCommunication(m));
    }
  }
  return sc;
}

}  // namespace

Result<std::vector<SupportService>> SupportApi::DescribeServices(
    const std::vector<std::string>& service_codes, const std::string& language) {
  json in = json::object();
  if (!service_codes.empty()) in["serviceCodeList"] = service_codes;
  SetIfNotEmpty(in, "language", language);
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("DescribeServices", in));
  std::vector<SupportService> services;
  for (const auto& s : JsonArray(out, "services")) {
    SupportService svc{
        .code = JsonString(s, "code"), .name = JsonString(s, "name"), .categories = {}};
    for (const auto& c : JsonArray(s, "categories")) {
      svc.categories.push_back({.code = JsonString(c, "code"), .name = JsonString(c, "name")});
    }
    services.push_back(std::move(svc));
  }
  return services;
}

Result<std::vector<SupportSeverityLevel>> SupportApi::DescribeSeverityLevels(
    const std::string& language) {
  json in = json::object();
  SetIfNotEmpty(in, "language", language);
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("DescribeSeverityLevels", in));
  std::vector<SupportSeverityLevel> levels;
  for (const auto& l : JsonArray(out, "severityLevels")) {
    levels.push_back({.code = JsonString(l, "code"), .name = JsonString(l, "name")});
  }
  return levels;
}

Result<AttachmentSetResult> SupportApi::AddAttachmentsToSet(
    const std::vector<SupportAttachment>& attachments, const std::string& attachment_set_id) {
  if (attachments.empty()) return InvalidArgument("AddAttachmentsToSet: no attachments");
  json in = json::object();
  SetIfNotEmpty(in, "attachmentSetId", attachment_set_id);
  json list = json::array();
  for (const auto& a : attachments) {
    list.push_back({{"fileName", a.file_name}, {"data", Base64Encode(a.data)}});
  }
  in["attachments"] = std::move(list);
  RECOUP_ASSIGN_OR_RETURN(json out,
                          client_->CallJson("AddAttachmentsToSet", in, /*idempotent=*/false));
  AttachmentSetResult r{.attachment_set_id = JsonString(out, "attachmentSetId"),
                        .expiry_time = JsonString(out, "expiryTime")};
  if (r.attachment_set_id.empty()) {
    return DataLoss("Support AddAttachmentsToSet: the response has no attachmentSetId");
  }
  return r;
}

Result<std::string> SupportApi::CreateCase(const CreateCaseInput& input) {
  if (input.subject.empty() || input.communication_body.empty()) {
    return InvalidArgument("CreateCase: subject and communication body are required");
  }
  json in = CommunicationInput(input.communication_body, input.attachment_set_id,
                               input.cc_email_addresses);
  in["subject"] = input.subject;
  SetIfNotEmpty(in, "serviceCode", input.service_code);
  SetIfNotEmpty(in, "categoryCode", input.category_code);
  SetIfNotEmpty(in, "severityCode", input.severity_code);
  SetIfNotEmpty(in, "issueType", input.issue_type);
  SetIfNotEmpty(in, "language", input.language);
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("CreateCase", in, /*idempotent=*/false));
  std::string case_id = JsonString(out, "caseId");
  if (case_id.empty()) return DataLoss("Support CreateCase: the response has no caseId");
  return case_id;
}

Result<std::vector<SupportCase>> SupportApi::DescribeCases(const DescribeCasesInput& input) {
  json in = json::object();
  if (!input.case_ids.empty()) in["caseIdList"] = input.case_ids;
  SetIfNotEmpty(in, "displayId", input.display_id);
  SetIfNotEmpty(in, "afterTime", input.after_time);
  SetIfNotEmpty(in, "beforeTime", input.before_time);
  SetIfNotEmpty(in, "language", input.language);
  in["includeResolvedCases"] = input.include_resolved_cases;
  in["includeCommunications"] = input.include_communications;
  std::vector<SupportCase> cases;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated("DescribeCases", in, "nextToken", "nextToken",
                                                    [&](const json& page) {
                                                      for (const auto& c : JsonArray(page, "cases"))
                                                        cases.push_back(ParseCase(c));
                                                      return Status::Ok();
                                                    }));
  return cases;
}

Result<std::vector<SupportCommunication>> SupportApi::DescribeCommunications(
    const DescribeCommunicationsInput& input) {
  if (input.case_id.empty()) return InvalidArgument("DescribeCommunications: no case ID");
  json in = json::object();
  in["caseId"] = input.case_id;
  SetIfNotEmpty(in, "afterTime", input.after_time);
  SetIfNotEmpty(in, "beforeTime", input.before_time);
  std::vector<SupportCommunication> out;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated(
      "DescribeCommunications", in, "nextToken", "nextToken", [&](const json& page) {
        for (const auto& c : JsonArray(page, "communications"))
          out.push_back(ParseCommunication(c));
        return Status::Ok();
      }));
  return out;
}

Result<bool> SupportApi::AddCommunicationToCase(const AddCommunicationInput& input) {
  if (input.case_id.empty() || input.communication_body.empty()) {
    return InvalidArgument("AddCommunicationToCase: case ID and body are required");
  }
  json in = CommunicationInput(input.communication_body, input.attachment_set_id,
                               input.cc_email_addresses);
  in["caseId"] = input.case_id;
  RECOUP_ASSIGN_OR_RETURN(json out,
                          client_->CallJson("AddCommunicationToCase", in, /*idempotent=*/false));
  auto it = out.find("result");
  return it != out.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace recoup::aws
