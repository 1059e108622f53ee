// The claims service: wiring between the store, the SLA report and AWS
// Support. Everything that reads the clock takes `now_ms`; everything that
// talks to AWS goes through SupportPort (aws::SupportApi in production, a
// fake in tests).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "recoup/aws/billing_api.h"
#include "recoup/aws/support_api.h"
#include "recoup/claims/claim.h"
#include "recoup/claims/package.h"
#include "recoup/core/status.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::claims {

// The AWS Support calls filing needs.
class SupportPort {
 public:
  virtual ~SupportPort() = default;
  virtual Result<std::vector<aws::SupportService>> DescribeServices() = 0;
  virtual Result<aws::AttachmentSetResult> AddAttachmentsToSet(
      const std::vector<aws::SupportAttachment>& attachments) = 0;
  virtual Result<std::string> CreateCase(const aws::CreateCaseInput& input) = 0;
  virtual Result<std::vector<aws::SupportCase>> DescribeCases(
      const aws::DescribeCasesInput& input) = 0;
  virtual Result<std::vector<aws::SupportCommunication>> DescribeCommunications(
      const std::string& case_id) = 0;
  virtual Result<bool> AddCommunicationToCase(const std::string& case_id,
                                              const std::string& body) = 0;
};

// SupportPort over aws::SupportApi.
class AwsSupportPort final : public SupportPort {
 public:
  explicit AwsSupportPort(aws::SupportApi* api) : api_(api) {}
  Result<std::vector<aws::SupportService>> DescribeServices() override;
  Result<aws::AttachmentSetResult> AddAttachmentsToSet(
      const std::vector<aws::SupportAttachment>& attachments) override;
  Result<std::string> CreateCase(const aws::CreateCaseInput& input) override;
  Result<std::vector<aws::SupportCase>> DescribeCases(
      const aws::DescribeCasesInput& input) override;
  Result<std::vector<aws::SupportCommunication>> DescribeCommunications(
      const std::string& case_id) override;
  Result<bool> AddCommunicationToCase(const std::string& case_id, const std::string& body) override;

 private:
  aws::SupportApi* api_;
};

struct RefreshResult {
  int64_t created = 0, updated = 0, expired = 0, withdrawn = 0;
  std::vector<std::string> notes;
};

// Brings the claims in line with the evidence: a new claim ("detected") for
// every breached (account, Region, service, month) matching `filter`; the
// numbers of unfiled claims updated from the current verdict; unfiled claims
// past their deadline expired; unfiled claims whose breach no longer holds
// withdrawn. Every state change is logged with its reason.
Result<RefreshResult> RefreshClaims(storage::Store& store, const sla::Catalog& catalog,
                                    const storage::SeriesFilter& filter, int64_t now_ms);

struct BuildOptions {
  MaskPolicy mask;
  int64_t max_request_rows = 200000;
  std::string recoup_version;
};

// The package of a claim, from the store as it is now. `notes` gets a line
// when AWS Health events are not available.
Result<Package> BuildClaimPackage(storage::Store& store, const sla::Catalog& catalog,
                                  const claims::ClaimRecord& claim, const BuildOptions& options,
                                  std::vector<std::string>* notes);

// Writes the package under `dir` (created), replacing files of an earlier
// build of the same package and removing those it no longer has. `dir` is
// <root>/<claim ID>: the claim ID must be a plain file name
// (validate::FileNameComponent) and every path written must stay inside
// `dir`; INVALID_ARGUMENT (nothing written) otherwise.
Status WritePackage(const Package& package, const std::string& dir);

// Moves a detected claim to "ready" once its package is built and nothing
// refuses it (records the manifest hash either way).
Status MarkBuilt(storage::Store& store, const sla::Catalog& catalog, claims::ClaimRecord claim,
                 const Package& package, int64_t now_ms);

struct FileOptions {
  std::string fallback_service_code = "customer-account";
  std::string fallback_category_code = "other-account-issues";
  std::string severity_code = "low";
  std::string language = "en";
  // Called right after CreateCase returns successfully, before anything is
  // stored (tests use it to die at the worst moment).
  std::function<void(const std::string& case_id)> after_create_case;
};

struct FileOutcome {
  enum class Kind {
    kFiled,         // a new case was created now
    kAlreadyFiled,  // the store already had the case
    kReconciled,    // an earlier attempt had created it: found with DescribeCases
    kManual,        // no Support API (SubscriptionRequiredException): file in the console
    kRefused,       // would be denied: see reasons
  };
  Kind kind = Kind::kFiled;
  std::string case_id;
  std::vector<std::string> reasons;  // refusals, or notes (fallback codes used, ...)
};

// Files one claim: refuses what would be denied; reconciles an earlier
// unfinished attempt with DescribeCases before anything else; records the
// intent durably BEFORE CreateCase; then records the case and moves the
// claim to "filed". A failure after the intent leaves it in place, so the
// next run reconciles instead of filing twice.
Result<FileOutcome> FileClaim(storage::Store& store, const sla::Catalog& catalog,
                              SupportPort& support, const Package& package,
                              const FileOptions& options, int64_t now_ms);

// The case recoup filed for `claim_id`, looked up by the marker in its subject.
Result<std::optional<aws::SupportCase>> FindFiledCase(SupportPort& support,
                                                      const std::string& claim_id,
                                                      int64_t since_ms);

// The AWS Billing credits API calls sync needs (aws::BillingApi in
// production).
class CreditsPort {
 public:
  virtual ~CreditsPort() = default;
  virtual Result<std::vector<aws::BillingCredit>> GetCredits(const std::string& account_id,
                                                             int64_t start_ms, int64_t end_ms) = 0;
  virtual Result<std::vector<aws::CreditAllocation>> GetCreditAllocationHistory(
      const std::string& account_id, int64_t start_ms, int64_t end_ms) = 0;
};

// CreditsPort over aws::BillingApi.
class AwsCreditsPort final : public CreditsPort {
 public:
  explicit AwsCreditsPort(aws::BillingApi* api) : api_(api) {}
  Result<std::vector<aws::BillingCredit>> GetCredits(const std::string& account_id,
                                                     int64_t start_ms, int64_t end_ms) override;
  Result<std::vector<aws::CreditAllocation>> GetCreditAllocationHistory(
      const std::string& account_id, int64_t start_ms, int64_t end_ms) override;

 private:
  aws::BillingApi* api_;
};

// A credit AWS Billing shows for a claim: what was asked, what AWS granted
// (the matched credits' initial amounts) and what was applied to each
// month's bill.
struct CreditMatch {
  std::string claim_id;
  Rational asked = 0, granted = 0, applied = 0;
  std::vector<std::string> credit_ids;
  std::vector<std::pair<YearMonth, Rational>> applied_by_month;  // by month
  bool estimated = false;  // some of it is on a bill not final yet
};

struct SyncResult {
  int64_t cases_checked = 0, transitions = 0, new_communications = 0, credited = 0;
  std::vector<CreditMatch> credits;  // from AWS Billing's credits API
  std::vector<std::string> notes;
};

// What sync talks to, per claim account; a null function or a null result
// leaves that part out for the account.
struct SyncPorts {
  std::function<SupportPort*(const std::string& account)> support;
  std::function<CreditsPort*(const std::string& account)> credits;
  // The service names AWS Billing uses ("AWS Key Management Service"),
  // from the SLA catalog; nullptr: the claim's service code only.
  const sla::Catalog* catalog = nullptr;
};

// Follows filed claims: case status and communications from AWS Support,
// credits from AWS Billing's credits API (GetCredits and
// GetCreditAllocationHistory: allocations to the claim's account and service
// on bills after its month, of credits that started after the claim was
// filed), and credits on later bills (Credit/Refund line items of the same
// account, Region and service in a later month's CUR).
Result<SyncResult> SyncClaims(storage::Store& store, const SyncPorts& ports, int64_t now_ms);
// The same with one Support port for every account and no credits API.
Result<SyncResult> SyncClaims(storage::Store& store, SupportPort* support, int64_t now_ms);

// Adds a note to a claim: sent to the case with AddCommunicationToCase when
// the claim has one (and `support` is given), and stored. With `case_id`, a
// claim filed by hand in the console is recorded as filed.
Status AddNote(storage::Store& store, SupportPort* support, const std::string& claim_id,
               const std::string& text, const std::string& case_id, int64_t now_ms);

// Moves a claim by hand (approved, denied, withdrawn, ...), logging `reason`.
Status SetState(storage::Store& store, const std::string& claim_id, const std::string& state,
                const std::string& reason, int64_t now_ms);

}  // namespace recoup::claims
