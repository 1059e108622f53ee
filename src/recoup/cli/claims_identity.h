// Who files a claim: the credentials of the claim's own account. Each
// account may have its own AWS profile, or a role recoup assumes in it from
// one set of credentials, set in the accounts file (docs/CLAIMS.md):
//
//   # accounts.toml
//   role_arn = "arn:aws:iam::{account}:role/RecoupClaims"   # every account
//   external_id = "..."                                       # optional
//   [accounts."111122223333"]
//   profile = "payments-prod"                                 # this one: a profile
//
// The file is --accounts-config FILE, else $RECOUP_ACCOUNTS_CONFIG, else
// $XDG_CONFIG_HOME/recoup/accounts.toml (~/.config/recoup/accounts.toml),
// else /etc/recoup/accounts.toml; without one, every account uses the
// default credentials (--profile, AWS_PROFILE, the chain). Before anything is
// sent for a claim, STS GetCallerIdentity says whose credentials they are; a
// claim is filed only with credentials of its own account.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "recoup/aws/sts_api.h"
#include "recoup/cli/aws_context.h"
#include "recoup/core/status.h"

namespace recoup::cli {

// How one account is reached.
struct AccountAccess {
  std::string profile;   // empty: the default profile (--profile, AWS_PROFILE)
  std::string role_arn;  // "{account}" replaced; empty: no role assumed
  std::string external_id;
  bool profile_from_file = false;  // the accounts file names the profile: its credentials only
  // "profile payments-prod", "role arn:aws:iam::...", "the default credentials"
  std::string Describe() const;
};

struct AccountsConfig {
  std::string path;  // the file read; empty: none
  std::string role_arn, external_id;
  std::map<std::string, AccountAccess> accounts;

  // The access of `account` (`cli_profile`: --profile, used where the file
  // names no profile).
  AccountAccess AccessFor(const std::string& account, const std::string& cli_profile) const;
};

// The accounts file as the search order above finds it (`flag`:
// --accounts-config); an empty config when there is none. INVALID_ARGUMENT
// naming the file, line and key for a bad one.
Result<AccountsConfig> LoadAccountsConfig(const std::string& flag);

// The credentials of one account, checked with GetCallerIdentity.
struct AccountIdentity {
  AccountAccess access;
  std::unique_ptr<AwsContext> ctx;  // signs as `who`
  aws::CallerIdentity who;
};

// Opens `access` (Region us-east-1, where Support, Billing and STS answer)
// and asks STS who it is.
Result<AccountIdentity> OpenAccount(const AccountAccess& access);

// Why `identity` must not act for `account` (names both account IDs, and
// where to set the right credentials); empty: it may.
std::string MismatchReason(const std::string& account, const AccountIdentity& identity,
                           const AccountsConfig& config);

}  // namespace recoup::cli
