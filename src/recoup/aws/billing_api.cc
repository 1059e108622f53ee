#include "recoup/aws/billing_api.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace recoup::aws {

namespace {

using nlohmann::json;

BillingAmount AmountOf(const json& j, std::string_view key) {
  BillingAmount a;
  if (auto it = j.find(key); it != j.end() && it->is_object()) {
    a.amount = JsonString(*it, "currencyAmount");
    a.currency = JsonString(*it, "currencyCode");
  }
  return a;
}

// Epoch seconds on the wire (the awsJson timestamp format).
int64_t Seconds(int64_t ms) { return ms / 1000; }

}  // namespace

Result<std::vector<BillingCredit>> BillingApi::GetCredits(const std::string& account_id,
                                                          int64_t start_ms, int64_t end_ms) {
  if (account_id.empty()) return InvalidArgument("GetCredits: accountId is required");
  const json in = {
      {"accountId", account_id}, {"startDate", Seconds(start_ms)}, {"endDate", Seconds(end_ms)}};
  RECOUP_ASSIGN_OR_RETURN(json out, client_->CallJson("GetCredits", in));
  std::vector<BillingCredit> credits;
  // GetCreditsResponse: {"credits": [CreditData]} (not paginated).
  for (const json& c : JsonArray(out, "credits")) {
    BillingCredit b;
    b.credit_id = JsonString(c, "creditId");
    b.account_id = JsonString(c, "accountId");
    b.credit_type = JsonString(c, "creditType");
    b.description = JsonString(c, "description");
    b.initial_amount = AmountOf(c, "initialAmount");
    b.remaining_amount = AmountOf(c, "remainingAmount");
    b.start_ms = JsonTimeMs(c, "startDate");
    for (const json& p : JsonArray(c, "applicableProductNames")) {
      if (p.is_string()) b.applicable_products.push_back(p.get<std::string>());
    }
    credits.push_back(std::move(b));
  }
  return credits;
}

Result<std::vector<CreditAllocation>> BillingApi::GetCreditAllocationHistory(
    const std::string& account_id, int64_t start_ms, int64_t end_ms) {
  if (account_id.empty()) {
    return InvalidArgument("GetCreditAllocationHistory: accountId is required");
  }
  const json in = {{"accountId", account_id},
                   {"startDate", Seconds(start_ms)},
                   {"endDate", Seconds(end_ms)},
                   {"maxResults", 1000}};
  std::vector<CreditAllocation> entries;
  RECOUP_RETURN_IF_ERROR(client_->CallJsonPaginated(
      "GetCreditAllocationHistory", in, "nextToken", "nextToken", [&](const json& page) {
        for (const json& e : JsonArray(page, "creditAllocationHistoryList")) {
          CreditAllocation a;
          a.credit_id = JsonString(e, "creditId");
          a.account_id = JsonString(e, "accountId");
          a.applied_service_name = JsonString(e, "appliedServiceName");
          a.billing_month = JsonString(e, "billingMonth");
          a.description = JsonString(e, "description");
          a.credit_amount = AmountOf(e, "creditAmount");
          a.estimated = JsonBool(e, "isEstimatedBill");
          entries.push_back(std::move(a));
        }
        return Status::Ok();
      }));
  return entries;
}

}  // namespace recoup::aws
