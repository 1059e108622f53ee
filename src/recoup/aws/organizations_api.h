// AWS Organizations (awsJson1_1): the member accounts of an organization.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/aws/api_client.h"
#include "recoup/core/status.h"

namespace recoup::aws {

struct OrgAccount {
  std::string id, arn, name, email;
  std::string status;         // "ACTIVE", "SUSPENDED", "PENDING_CLOSURE"
  std::string joined_method;  // "INVITED", "CREATED"
  int64_t joined_ms = 0;
};

class OrganizationsApi {
 public:
  // `client` must be made for services::kOrganizations (endpoint us-east-1).
  explicit OrganizationsApi(ApiClient* client) : client_(client) {}

  // Every account of the organization (all pages).
  Result<std::vector<OrgAccount>> ListAccounts();

 private:
  ApiClient* client_;
};

}  // namespace recoup::aws
