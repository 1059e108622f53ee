#include "recoup/claims/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "recoup/aggregation/aggregator.h"
#include "recoup/aws/api_client.h"
#include "recoup/storage/temp_store_test_util.h"

namespace recoup::claims {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccount = "111122223333";
const YearMonth kMonth{2026, 10};

// AWS Support as a test double: remembers cases and what the store held
// when CreateCase was called.
class FakeSupport final : public SupportPort {
 public:
  explicit FakeSupport(storage::Store* store) : store_(store) {}
  Status subscription_error;  // returned by every call when set
  bool lose_create_reply = false;
  int create_calls = 0, attachment_calls = 0;
  std::vector<aws::SupportCase> cases;
  std::optional<claims::ClaimFiling> filing_seen_at_create;
  std::string case_status = "opened";
  std::vector<aws::SupportCommunication> comms;

  Result<std::vector<aws::SupportService>> DescribeServices() override {
    if (!subscription_error.ok()) return subscription_error;
    return std::vector<aws::SupportService>{
        {"amazon-kms", "Key Management Service", {{"general-guidance", "General guidance"}}},
        {"billing", "Billing", {{"invoices", "Invoices"}, {"sla-credit", "SLA credit request"}}}};
  }
  Result<aws::AttachmentSetResult> AddAttachmentsToSet(
      const std::vector<aws::SupportAttachment>& a) override {
    if (!subscription_error.ok()) return subscription_error;
    ++attachment_calls;
    EXPECT_LE(a.size(), 3u);
    return aws::AttachmentSetResult{"set-" + std::to_string(attachment_calls), ""};
  }
  Result<std::string> CreateCase(const aws::CreateCaseInput& in) override {
    if (!subscription_error.ok()) return subscription_error;
    ++create_calls;
    EXPECT_EQ(in.issue_type, "customer-service");
    EXPECT_EQ(in.service_code, "billing");
    EXPECT_EQ(in.category_code, "sla-credit");
    EXPECT_LE(in.communication_body.size(), kMaxBodyChars);
    auto f = store_->GetClaimFiling("111122223333-us-east-1-kms-2026-10");
    if (f.ok()) filing_seen_at_create = *f;
    aws::SupportCase c;
    c.case_id = "case-" + std::to_string(create_calls);
    c.subject = in.subject;
    c.status = "opened";
    c.time_created = "2026-11-28T04:00:0" + std::to_string(create_calls) + "Z";
    cases.push_back(c);
    if (lose_create_reply) return Unavailable("connection reset");
    return c.case_id;
  }
  Result<std::vector<aws::SupportCase>> DescribeCases(const aws::DescribeCasesInput& in) override {
    EXPECT_TRUE(in.include_resolved_cases);
    std::vector<aws::SupportCase> out;
    for (aws::SupportCase c : cases) {
      if (!in.case_ids.empty() && c.case_id != in.case_ids.front()) continue;
      c.status = case_status;
      out.push_back(c);
    }
    return out;
  }
  Result<std::vector<aws::SupportCommunication>> DescribeCommunications(
      const std::string&) override {
    return comms;
  }
  Result<bool> AddCommunicationToCase(const std::string&, const std::string& body) override {
    aws::SupportCommunication c;
    c.body = body;
    c.submitted_by = "me@example.com";
    c.time_created = "2026-11-29T00:00:00Z";
    comms.push_back(c);
    return true;
  }

 private:
  storage::Store* store_;
};

class ServiceTest : public storage::TempStoreTest {
 protected:
  void SetUp() override {
    storage::TempStoreTest::SetUp();
    catalog_ = sla::Catalog::Default();
    now_ = *ParseTimestampMs("2026-11-28T04:00:00Z");
  }

  // A month of traffic with `bad` intervals of 50% server errors on day 14.
  void AddEvidence(int bad, const std::string& error = "KMSInternalException") {
    aggregation::Aggregator agg;
    const int64_t day14 = kMonth.StartMs() + 13 * kMsPerDay + 9 * 3600 * 1000;
    int n = 0;
    for (int i = 0; i < bad; ++i) {
      for (int k = 0; k < 4; ++k) {
        events::Event e;
        e.time_ms = day14 + int64_t{i} * 300000 + k * 1000;
        e.account = kAccount;
        e.region = "us-east-1";
        e.service = "kms";
        e.operation = "Decrypt";
        e.request_id = "req-" + std::to_string(n++);
        e.resource = "arn:aws:kms:us-east-1:111122223333:key/k1";
        if (k < 2) {
          e.error_code = error;
          e.http_status = 500;
          e.outcome = error == "ThrottlingException" ? events::OutcomeClass::kThrottled
                                                     : events::OutcomeClass::kServerError;
        }
        agg.Add(e.View());
      }
    }
    storage::FileBatchItem item;
    item.entry.sha256 = "sha-" + std::to_string(bad) + error;
    item.entry.content_hash = item.entry.sha256;
    item.entry.path = "/evidence/" + item.entry.sha256;
    item.entry.status = "ok";
    item.agg = &agg;
    std::vector<storage::ItemOutcome> out;
    ASSERT_TRUE(store_->CommitFiles({item}, &out).ok());
  }

  void AddCharge(YearMonth m, const std::string& amount, const std::string& credits = "0") {
    billing::ChargeRecord c;
    c.account = kAccount;
    c.region = "us-east-1";
    c.service = "kms";
    c.month = m;
    c.origin = "cur";
    c.amount = *ParseDecimal(amount);
    c.credits = *ParseDecimal(credits);
    c.source = "cur.csv";
    ASSERT_TRUE(store_->PutCharge(c).ok());
  }

  claims::ClaimRecord Claim() {
    auto c = store_->GetClaim("111122223333-us-east-1-kms-2026-10");
    EXPECT_TRUE(c.ok() && c->has_value());
    return **c;
  }

  Package Build() {
    std::vector<std::string> notes;
    auto p = BuildClaimPackage(*store_, *catalog_, Claim(), BuildOptions{}, &notes);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return *p;
  }

  std::shared_ptr<const sla::Catalog> catalog_;
  int64_t now_ = 0;
};

TEST_F(ServiceTest, DetectBuildFileOnceAndLog) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  auto r = RefreshClaims(*store_, *catalog_, {}, now_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->created, 1);
  EXPECT_EQ(Claim().state, "detected");
  EXPECT_EQ(Claim().credit_pct, "10");
  EXPECT_EQ(FormatDecimal(Claim().credit_asked), "41.237");
  // Refreshing again changes nothing.
  r = RefreshClaims(*store_, *catalog_, {}, now_);
  EXPECT_EQ(r->created + r->updated, 0);

  Package a = Build(), b = Build();
  EXPECT_EQ(a.files, b.files);
  ASSERT_TRUE(MarkBuilt(*store_, *catalog_, Claim(), a, now_).ok());
  EXPECT_EQ(Claim().state, "ready");
  EXPECT_EQ(Claim().package_sha256, a.manifest_sha256);

  FakeSupport aws(store_.get());
  auto out = FileClaim(*store_, *catalog_, aws, a, FileOptions{}, now_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->kind, FileOutcome::Kind::kFiled);
  EXPECT_EQ(out->case_id, "case-1");
  // The intent was durable before CreateCase went out.
  ASSERT_TRUE(aws.filing_seen_at_create.has_value());
  EXPECT_EQ(aws.filing_seen_at_create->status, "intent");
  EXPECT_EQ(Claim().state, "filed");
  EXPECT_EQ(Claim().case_id, "case-1");

  // Filing again is a no-op.
  out = FileClaim(*store_, *catalog_, aws, a, FileOptions{}, now_);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, FileOutcome::Kind::kAlreadyFiled);
  EXPECT_EQ(aws.create_calls, 1);

  auto log = store_->ListClaimTransitions(Claim().id);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].to_state, "detected");
  EXPECT_NE((*log)[0].reason.find("breach detected"), std::string::npos);
  EXPECT_EQ((*log)[1].to_state, "ready");
  EXPECT_EQ((*log)[2].to_state, "filed");
  EXPECT_EQ((*log)[2].at_ms, now_);
}

TEST_F(ServiceTest, PackageListsTheProbeCallsInTheIncidentWindows) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  // recoup's own probe: a success and a failure inside the first window, and a
  // success on day 20, outside every window.
  aggregation::Aggregator agg;
  const int64_t day14 = kMonth.StartMs() + 13 * kMsPerDay + 9 * 3600 * 1000;
  auto probe = [&](int64_t t, const std::string& rid, bool ok) {
    events::Event e;
    e.time_ms = t;
    e.account = kAccount;
    e.region = "us-east-1";
    e.service = "kms";
    e.operation = "GenerateRandom";
    e.request_id = rid;
    e.http_status = ok ? 200 : 500;
    e.error_code = ok ? "" : "KMSInternalException";
    e.outcome = ok ? events::OutcomeClass::kSuccess : events::OutcomeClass::kServerError;
    e.source = events::SourceKind::kProbe;
    agg.Add(e.View());
  };
  probe(day14 + 30000, "probe-ok-in", true);
  probe(day14 + 60000, "probe-fail-in", false);
  probe(kMonth.StartMs() + 19 * kMsPerDay, "probe-ok-out", true);
  storage::FileBatchItem item;
  item.entry.sha256 = "sha-probes";
  item.entry.content_hash = item.entry.sha256;
  item.entry.path = "/evidence/probes";
  item.entry.status = "ok";
  item.agg = &agg;
  std::vector<storage::ItemOutcome> out;
  ASSERT_TRUE(store_->CommitFiles({item}, &out).ok());
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());

  Package p = Build();
  ASSERT_EQ(p.files.count("probes.csv"), 1u);
  const std::string& csv = p.files.at("probes.csv");
  EXPECT_NE(csv.find(",success,,200,probe-ok-in,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",server_error,KMSInternalException,500,probe-fail-in,"), std::string::npos)
      << csv;
  EXPECT_EQ(csv.find("probe-ok-out"), std::string::npos) << csv;
  EXPECT_NE(p.files.at("requests.csv").find("probe-fail-in"), std::string::npos);
}

TEST_F(ServiceTest, LostReplyIsReconciledNotRefiled) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  Package p = Build();
  FakeSupport aws(store_.get());
  aws.lose_create_reply = true;
  auto out = FileClaim(*store_, *catalog_, aws, p, FileOptions{}, now_);
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("DescribeCases"), std::string::npos);
  EXPECT_EQ(Claim().state, "detected");  // nothing recorded but the intent
  aws.lose_create_reply = false;
  out = FileClaim(*store_, *catalog_, aws, p, FileOptions{}, now_ + 1000);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->kind, FileOutcome::Kind::kReconciled);
  EXPECT_EQ(out->case_id, "case-1");
  EXPECT_EQ(aws.create_calls, 1);
  EXPECT_EQ(aws.cases.size(), 1u);
  EXPECT_EQ(Claim().state, "filed");
}

TEST_F(ServiceTest, NoSupportPlanMeansManualAndReady) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  FakeSupport aws(store_.get());
  Status st = Unavailable("Support DescribeServices: SubscriptionRequiredException");
  st.SetPayload("aws.code", "SubscriptionRequiredException");
  ASSERT_TRUE(aws::IsAwsError(st, "SubscriptionRequiredException"));
  aws.subscription_error = st;
  auto out = FileClaim(*store_, *catalog_, aws, Build(), FileOptions{}, now_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->kind, FileOutcome::Kind::kManual);
  EXPECT_EQ(Claim().state, "ready");
  EXPECT_EQ(aws.create_calls, 0);
  auto f = store_->GetClaimFiling(Claim().id);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->status, "manual");
}

TEST_F(ServiceTest, RefusesWhatWouldBeDenied) {
  AddEvidence(3);
  AddCharge(kMonth, "5.00");  // 10% = $0.50: at or below the minimum
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  FakeSupport aws(store_.get());
  Package p = Build();
  auto out = FileClaim(*store_, *catalog_, aws, p, FileOptions{}, now_);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, FileOutcome::Kind::kRefused);
  ASSERT_EQ(out->reasons.size(), 1u);
  EXPECT_NE(out->reasons[0].find("minimum"), std::string::npos);
  EXPECT_EQ(aws.create_calls, 0);
  ASSERT_TRUE(MarkBuilt(*store_, *catalog_, Claim(), p, now_).ok());
  EXPECT_EQ(Claim().state, "detected");  // never "ready" while refused

  // After the deadline, refresh expires it.
  auto r = RefreshClaims(*store_, *catalog_, {}, Claim().deadline_ms + 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expired, 1);
  EXPECT_EQ(Claim().state, "expired");
}

TEST_F(ServiceTest, OnlyExcludedErrorsMakeNoClaim) {
  AddEvidence(3, "ThrottlingException");
  AddCharge(kMonth, "412.37");
  auto r = RefreshClaims(*store_, *catalog_, {}, now_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->created, 0);
  auto all = store_->ListClaims();
  EXPECT_TRUE(all->empty());
}

TEST_F(ServiceTest, SyncFollowsTheCaseAndTheBill) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  FakeSupport aws(store_.get());
  ASSERT_TRUE(FileClaim(*store_, *catalog_, aws, Build(), FileOptions{}, now_).ok());

  aws.case_status = "pending-customer-action";
  aws.comms = {
      {"case-1", "Please confirm the Region.", "Amazon Web Services", "2026-11-29T10:00:00Z", {}}};
  auto s = SyncClaims(*store_, &aws, now_ + 1000);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(Claim().state, "awaiting-customer");
  EXPECT_EQ(s->new_communications, 1);

  ASSERT_TRUE(
      AddNote(*store_, &aws, Claim().id, "us-east-1, as the case says.", "", now_ + 2000).ok());
  EXPECT_EQ(Claim().state, "filed");

  aws.case_status = "resolved";
  aws.comms.push_back({"case-1",
                       "Your SLA credit request has been approved.",
                       "Amazon Web Services",
                       "2026-12-02T10:00:00Z",
                       {}});
  s = SyncClaims(*store_, &aws, now_ + 3000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Claim().state, "approved");

  // The credit shows on December's bill.
  AddCharge(YearMonth{2026, 12}, "400.00", "-41.24");
  s = SyncClaims(*store_, &aws, now_ + 4000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->credited, 1);
  EXPECT_EQ(Claim().state, "credited");
  ASSERT_TRUE(Claim().credit_received.has_value());
  EXPECT_EQ(*Claim().credit_received, *ParseDecimal("41.24"));
  auto comms = store_->ListClaimCommunications(Claim().id);
  ASSERT_TRUE(comms.ok());
  EXPECT_GE(comms->size(), 3u);
}

TEST_F(ServiceTest, AClaimOfAMonthNotOverStaysFormingThenBecomesDetected) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  const int64_t during = *ParseTimestampMs("2026-10-20T00:00:00Z");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, during).ok());
  EXPECT_EQ(Claim().state, "forming");
  FakeSupport aws(store_.get());
  auto out = FileClaim(*store_, *catalog_, aws, Build(), FileOptions{}, during);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, FileOutcome::Kind::kRefused);
  ASSERT_FALSE(out->reasons.empty());
  EXPECT_NE(out->reasons[0].find("is not over"), std::string::npos);
  EXPECT_EQ(aws.create_calls, 0);
  EXPECT_FALSE(AddNote(*store_, nullptr, Claim().id, "filed", "12345", during).ok());
  EXPECT_EQ(Claim().state, "forming");
  // The month ends: the claim can be built and filed.
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  EXPECT_EQ(Claim().state, "detected");
  auto log = store_->ListClaimTransitions(Claim().id);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().from_state, "forming");
  EXPECT_NE(log->back().reason.find("is over"), std::string::npos);
}

TEST_F(ServiceTest, HealthIsCheckedOnlyWhereCoverageSpansTheWindows) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  auto health = [&](const Package& p) {
    return nlohmann::json::parse(p.files.at("health-events.json"));
  };
  EXPECT_EQ(health(Build())["checked"], false);
  const int64_t day14 = kMonth.StartMs() + 13 * kMsPerDay + 9 * 3600 * 1000;
  // Coverage of another Region, or ending inside the windows, is no check.
  ASSERT_TRUE(store_->PutHealthCoverage({"sqs", kAccount, "eu-west-1", 0, now_}).ok());
  ASSERT_TRUE(
      store_->PutHealthCoverage({"eventbridge", kAccount, "us-east-1", 0, day14 + 300000}).ok());
  EXPECT_EQ(health(Build())["checked"], false);
  ASSERT_TRUE(store_->PutHealthCoverage({"health-org-api", "*", "*", day14, now_}).ok());
  const auto j = health(Build());
  EXPECT_EQ(j["checked"], true);
  EXPECT_EQ(j["checked_through"], FormatTimestamp(now_));
  EXPECT_EQ(j["sources"], nlohmann::json::array({"eventbridge", "health-org-api"}));
}

class FakeCredits final : public CreditsPort {
 public:
  Result<std::vector<aws::BillingCredit>> GetCredits(const std::string& account, int64_t,
                                                     int64_t) override {
    ++calls;
    if (!error.ok()) return error;
    std::vector<aws::BillingCredit> out;
    for (const auto& c : credits) {
      if (c.account_id == account) out.push_back(c);
    }
    return out;
  }
  Result<std::vector<aws::CreditAllocation>> GetCreditAllocationHistory(const std::string& account,
                                                                        int64_t, int64_t) override {
    if (!error.ok()) return error;
    std::vector<aws::CreditAllocation> out;
    for (const auto& a : allocations) {
      if (a.account_id == account) out.push_back(a);
    }
    return out;
  }
  std::vector<aws::BillingCredit> credits;
  std::vector<aws::CreditAllocation> allocations;
  Status error;
  int calls = 0;
};

TEST_F(ServiceTest, SyncMatchesBillingCreditsToTheClaim) {
  AddEvidence(3);
  AddCharge(kMonth, "412.37");
  ASSERT_TRUE(RefreshClaims(*store_, *catalog_, {}, now_).ok());
  FakeSupport aws(store_.get());
  ASSERT_TRUE(FileClaim(*store_, *catalog_, aws, Build(), FileOptions{}, now_).ok());
  FakeCredits billing;
  // A promotion from before the claim was filed, and the SLA credit after it.
  billing.credits = {
      {"111", kAccount, "Promotion", "Activate", {"100.00", "USD"}, {"80.00", "USD"}, 0, {}},
      {"222",
       kAccount,
       "Refund",
       "SLA credit",
       {"41.24", "USD"},
       {"0.00", "USD"},
       now_ + kMsPerDay,
       {"AWS Key Management Service"}}};
  billing.allocations = {
      {"111", kAccount, "AWS Key Management Service", "2026-12", "", {"-20.00", "USD"}, false},
      {"222", kAccount, "AWS Key Management Service", "2026-12", "", {"-30.00", "USD"}, false},
      {"222", kAccount, "AWS Key Management Service", "2027-01", "", {"-11.24", "USD"}, true},
      {"222", kAccount, "Amazon S3", "2027-01", "", {"-5.00", "USD"}, true}};
  SyncPorts ports;
  ports.catalog = catalog_.get();
  ports.credits = [&](const std::string&) -> CreditsPort* { return &billing; };
  auto s = SyncClaims(*store_, ports, now_ + 40 * kMsPerDay);
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->credits.size(), 1u);
  const CreditMatch& m = s->credits[0];
  EXPECT_EQ(m.credit_ids, std::vector<std::string>{"222"});
  EXPECT_EQ(m.asked, Claim().credit_asked);
  EXPECT_EQ(m.granted, *ParseDecimal("41.24"));
  EXPECT_EQ(m.applied, *ParseDecimal("41.24"));
  ASSERT_EQ(m.applied_by_month.size(), 2u);
  EXPECT_EQ(m.applied_by_month[0].first, (YearMonth{2026, 12}));
  EXPECT_EQ(m.applied_by_month[0].second, *ParseDecimal("30"));
  EXPECT_EQ(m.applied_by_month[1].second, *ParseDecimal("11.24"));
  EXPECT_TRUE(m.estimated);
  EXPECT_EQ(Claim().state, "credited");
  EXPECT_EQ(*Claim().credit_received, *ParseDecimal("41.24"));
  // An account that may not read the credits API leaves a note, not an error.
  billing.error = Unavailable("Billing GetCredits: AccessDeniedException: not allowed");
  s = SyncClaims(*store_, ports, now_ + 41 * kMsPerDay);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->notes.empty());
  EXPECT_NE(s->notes.back().find("AccessDeniedException"), std::string::npos);
}

}  // namespace
}  // namespace recoup::claims
