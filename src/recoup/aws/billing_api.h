// AWS Billing's credits API (awsJson1_0, target prefix AWSBilling, signing
// name "billing", endpoint https://billing.us-east-1.api.aws): the credits an
// account has (GetCredits) and how they were applied to its bills, month by
// month (GetCreditAllocationHistory). Shapes from the AWS Billing and Cost
// Management API reference; the botocore model this project was checked
// against (1.43.11) does not have these operations yet, so the wire shapes
// are unverified against a live account (docs/AWS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

// Amount: {"currencyAmount": "743.21", "currencyCode": "USD"}, kept as text.
struct BillingAmount {
  std::string amount;  // decimal string; negative: reduces a bill
  std::string currency;
};

// CreditData.
struct BillingCredit {
  std::string credit_id, account_id, credit_type, description;
  BillingAmount initial_amount, remaining_amount;
  int64_t start_ms = 0;  // startDate (epoch seconds on the wire)
  std::vector<std::string> applicable_products;
};

// CreditAllocationHistoryEntry.
struct CreditAllocation {
  std::string credit_id, account_id, applied_service_name, billing_month, description;
  BillingAmount credit_amount;  // negative: reduced the bill
  bool estimated = false;       // isEstimatedBill
};

class BillingApi {
 public:
  // `client` must be made for services::kBilling and outlive this object.
  explicit BillingApi(ApiClient* client) : client_(client) {}

  // Credits of `account_id` valid in [start_ms, end_ms] (start at most a
  // year back).
  Result<std::vector<BillingCredit>> GetCredits(const std::string& account_id, int64_t start_ms,
                                                int64_t end_ms);
  // Every page of the allocation history of `account_id` in
  // [start_ms, end_ms] (at most 24 billing months).
  Result<std::vector<CreditAllocation>> GetCreditAllocationHistory(const std::string& account_id,
                                                                   int64_t start_ms,
                                                                   int64_t end_ms);

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
