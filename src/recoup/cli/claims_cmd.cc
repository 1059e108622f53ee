// `recoup claims ...`: the claim ledger, evidence packages, filing with AWS
// Support, and following claims until the credit is on the bill.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "recoup/aws/billing_api.h"
#include "recoup/aws/support_api.h"
#include "recoup/claims/claim.h"
#include "recoup/claims/ledger.h"
#include "recoup/claims/package.h"
#include "recoup/claims/service.h"
#include "recoup/cli/aws_context.h"
#include "recoup/cli/claims_identity.h"
#include "recoup/cli/common.h"
#include "recoup/core/clock.h"
#include "recoup/core/safe_text.h"
#include "recoup/core/sha256.h"
#include "recoup/report/report.h"
#include "recoup/storage/store.h"
#include "recoup/validate/validate.h"

#ifndef RECOUP_VERSION
#define RECOUP_VERSION "0.1.0"
#endif

namespace recoup::cli {

namespace {

// The clock, overridable with $RECOUP_NOW (an ISO 8601 time) so that
// deadlines can be exercised.
Result<int64_t> NowMs() {
  if (const char* n = std::getenv("RECOUP_NOW"); n != nullptr && *n != 0) {
    auto t = ParseTimestampMs(n);
    if (!t.ok()) return t.status().WithPrefix("$RECOUP_NOW");
    return *t;
  }
  return SystemClock().NowMs();
}

struct Session {
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const sla::Catalog> catalog;
  int64_t now_ms = 0;
};

Result<Session> Open(const Globals& g, bool refresh) {
  Session s;
  RECOUP_ASSIGN_OR_RETURN(s.catalog, LoadCatalog(g));
  // Read-only when this user may not write the store: listing still works.
  RECOUP_ASSIGN_OR_RETURN(s.store, OpenStoreForReading(g));
  RECOUP_ASSIGN_OR_RETURN(s.now_ms, NowMs());
  if (refresh) {
    auto r = claims::RefreshClaims(*s.store, *s.catalog, {}, s.now_ms);
    if (!r.ok() && r.status().code() == StatusCode::kPermissionDenied) {
      std::fprintf(stderr, "recoup: note: %s: claims are shown as last saved\n",
                   r.status().message().c_str());
    } else if (!r.ok()) {
      return r.status();
    } else {
      for (const std::string& n : r->notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
    }
  }
  return s;
}

Result<claims::ClaimRecord> GetClaim(storage::Store& store, const std::string& id) {
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimRecord> c, store.GetClaim(id));
  if (!c) return InvalidArgument("ID: no claim '" + id + "' (see recoup claims list)");
  return *c;
}

// Claims chosen by ID, by --month, or all of them.
Result<std::vector<claims::ClaimRecord>> Select(storage::Store& store, const std::string& id,
                                                const std::string& month, bool unfiled_only) {
  std::vector<claims::ClaimRecord> out;
  if (!id.empty()) {
    RECOUP_ASSIGN_OR_RETURN(claims::ClaimRecord c, GetClaim(store, id));
    out.push_back(std::move(c));
    return out;
  }
  std::optional<YearMonth> m;
  if (!month.empty()) {
    auto p = YearMonth::Parse(month);
    if (!p.ok()) return p.status().WithPrefix("--month");
    m = *p;
  }
  RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> all, store.ListClaims());
  for (claims::ClaimRecord& c : all) {
    if (m && c.month != *m) continue;
    if (unfiled_only && !claims::IsUnfiled(c.state)) continue;
    out.push_back(std::move(c));
  }
  return out;
}

// One account's AWS access for claims: its checked identity, and AWS
// Support and AWS Billing signed as it (both answer in us-east-1).
struct AccountSession {
  AccountIdentity id;
  std::unique_ptr<aws::ApiClient> support_client, billing_client;
  std::unique_ptr<aws::SupportApi> support_api;
  std::unique_ptr<aws::BillingApi> billing_api;
  std::unique_ptr<claims::AwsSupportPort> support;
  std::unique_ptr<claims::AwsCreditsPort> credits;
};

// The sessions of the claims' accounts, opened once each, with the access
// the accounts file gives them (claims_identity.h).
class Accounts {
 public:
  Accounts(AccountsConfig config, std::string profile)
      : config_(std::move(config)), profile_(std::move(profile)) {}

  const AccountsConfig& config() const { return config_; }
  AccountAccess AccessFor(const std::string& account) const {
    return config_.AccessFor(account, profile_);
  }

  // The session of `account` (its credentials opened and identified).
  Result<AccountSession*> For(const std::string& account) {
    if (auto it = sessions_.find(account); it != sessions_.end()) return it->second.get();
    if (auto it = failed_.find(account); it != failed_.end()) return it->second;
    auto id = OpenAccount(AccessFor(account));
    if (!id.ok()) {
      failed_.emplace(account, id.status());
      return id.status();
    }
    auto s = std::make_unique<AccountSession>();
    s->id = std::move(id).value();
    RECOUP_ASSIGN_OR_RETURN(s->support_client,
                            s->id.ctx->Client(aws::services::kSupport, "us-east-1"));
    RECOUP_ASSIGN_OR_RETURN(s->billing_client,
                            s->id.ctx->Client(aws::services::kBilling, "us-east-1"));
    s->support_api = std::make_unique<aws::SupportApi>(s->support_client.get());
    s->billing_api = std::make_unique<aws::BillingApi>(s->billing_client.get());
    s->support = std::make_unique<claims::AwsSupportPort>(s->support_api.get());
    s->credits = std::make_unique<claims::AwsCreditsPort>(s->billing_api.get());
    AccountSession* out = s.get();
    sessions_.emplace(account, std::move(s));
    return out;
  }

  // The session of `account` if its credentials are that account's; else
  // the reason (the identity could not be checked, or it is another
  // account's).
  Result<AccountSession*> Checked(const std::string& account) {
    RECOUP_ASSIGN_OR_RETURN(AccountSession * s, For(account));
    const std::string mismatch = MismatchReason(account, s->id, config_);
    if (!mismatch.empty()) return FailedPrecondition(mismatch);
    return s;
  }

 private:
  AccountsConfig config_;
  std::string profile_;
  std::map<std::string, std::unique_ptr<AccountSession>> sessions_;
  std::map<std::string, Status> failed_;
};

Result<Accounts> OpenAccounts(const std::string& accounts_config, const std::string& profile) {
  RECOUP_ASSIGN_OR_RETURN(AccountsConfig cfg, LoadAccountsConfig(accounts_config));
  return Accounts(std::move(cfg), profile);
}

claims::BuildOptions MakeBuildOptions(const claims::MaskPolicy& mask, int64_t max_rows) {
  claims::BuildOptions b;
  b.mask = mask;
  b.max_request_rows = max_rows;
  b.recoup_version = RECOUP_VERSION;
  return b;
}

// The values a package folder is named after (docs/SECURITY.md, Validation).
Status CheckPackageNames(const claims::ClaimRecord& c) {
  RECOUP_RETURN_IF_ERROR(validate::AccountId("account", c.account));
  RECOUP_RETURN_IF_ERROR(validate::Region("region", c.region));
  RECOUP_RETURN_IF_ERROR(validate::FileNameComponent("claim ID", c.id));
  return Status::Ok();
}

std::string DefaultPackageDir(const Globals& g, const std::string& id) {
  return (std::filesystem::path(g.store_path).parent_path() / "claims" / id).string();
}

// ---- list ----

struct ListArgs {
  std::string output = "table";
  int remind_days = 14;
};

int RunList(const Globals& g, const ListArgs& a) {
  if (a.output != "table" && a.output != "json" && a.output != "csv") {
    return Fail(InvalidArgument("--output: '" + a.output + "' is not table, json or csv"));
  }
  auto s = Open(g, true);
  if (!s.ok()) return Fail(s.status());
  auto all = s->store->ListClaims();
  if (!all.ok()) return Fail(all.status());
  claims::Ledger l = claims::BuildLedger(std::move(*all), s->now_ms, a.remind_days);
  if (a.output == "json") {
    std::cout << claims::RenderLedgerJson(l);
  } else if (a.output == "csv") {
    std::cout << claims::RenderLedgerCsv(l);
  } else {
    std::cout << claims::RenderLedgerTable(l);
  }
  for (const claims::LedgerRow& r : l.rows) {
    if (r.remind && r.days_left >= 0) {
      std::fprintf(stderr,
                   "recoup: reminder: claim %s is %s and must reach AWS within %lld days (by %s)\n",
                   r.claim.id.c_str(), r.claim.state.c_str(), static_cast<long long>(r.days_left),
                   FormatTimestamp(r.claim.deadline_ms).c_str());
    }
  }
  return kExitOk;
}

// ---- build ----

struct BuildArgs {
  std::string id, month, out;
  std::string mask = "encryption_context,principal,source_ip";
  int64_t max_requests = 200000;
};

// Terms of `version` the catalog holds unverified, as one sentence naming
// them and the page to check; empty when every fact was read somewhere.
std::string UnverifiedTerms(const sla::SlaVersion* version) {
  if (version == nullptr) return "";
  std::string facts;
  for (const std::string& f : version->FactsAtLeast(sla::Confidence::kUnverified)) {
    facts += (facts.empty() ? "" : ", ") + f;
  }
  if (facts.empty()) return "";
  return "the SLA terms of " + version->id + " are not verified (" + facts + "): check " +
         (version->sla_url.empty() ? std::string("the SLA page") : version->sla_url) +
         " (recoup sla show)";
}

int RunBuild(const Globals& g, const BuildArgs& a) {
  auto mask = claims::MaskPolicy::Parse(a.mask);
  if (!mask.ok()) return Fail(mask.status());
  if (a.max_requests < 1) return Fail(InvalidArgument("--max-requests: must be at least 1"));
  auto s = Open(g, true);
  if (!s.ok()) return Fail(s.status());
  auto chosen = Select(*s->store, a.id, a.month, false);
  if (!chosen.ok()) return Fail(chosen.status());
  if (chosen->empty()) {
    std::printf("no claims to build (a claim appears when recoup report shows a breach)\n");
    return kExitOk;
  }
  int rc = kExitOk;
  int refused = 0;
  for (const claims::ClaimRecord& c : *chosen) {
    // The claim's folder is named after it: values that cannot be part of a
    // file name are refused for this claim (the others are still built).
    if (Status st = CheckPackageNames(c); !st.ok()) {
      std::fprintf(stderr, "recoup: error: claim not built: %s\n",
                   EscapeControls(st.message()).c_str());
      ++refused;
      continue;
    }
    if (auto not_over = claims::MonthNotOverReason(c, s->now_ms)) {
      // No package for a month that is not over: its numbers are not final.
      std::printf("claim %s is forming: not built: %s\n", c.id.c_str(), not_over->c_str());
      if (!a.id.empty()) rc = kExitRuntime;
      continue;
    }
    std::vector<std::string> notes;
    auto pkg = claims::BuildClaimPackage(*s->store, *s->catalog, c,
                                         MakeBuildOptions(*mask, a.max_requests), &notes);
    if (!pkg.ok()) return Fail(pkg.status());
    for (const std::string& n : notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
    const std::string dir = (std::filesystem::path(a.out) / c.id).string();
    if (Status st = claims::WritePackage(*pkg, dir); !st.ok()) return Fail(st);
    if (Status st = claims::MarkBuilt(*s->store, *s->catalog, c, *pkg, s->now_ms); !st.ok()) {
      return Fail(st);
    }
    const sla::ServiceTerms* terms = s->catalog->Find(c.service);
    if (const std::string u = UnverifiedTerms(terms ? terms->VersionById(c.sla_version) : nullptr);
        !u.empty()) {
      std::fprintf(stderr, "recoup: warning: claim %s: %s\n", c.id.c_str(), u.c_str());
    }
    std::printf("%s: %zu files in %s (manifest sha256 %s)\n", c.id.c_str(), pkg->files.size(),
                dir.c_str(), pkg->manifest_sha256.c_str());
    std::printf("  subject: %s\n  body: %zu characters; attachments:", pkg->subject.c_str(),
                pkg->body.size());
    for (const claims::Attachment& att : pkg->attachments) {
      std::printf(" %s (%zu bytes)", att.file_name.c_str(), pkg->files.at(att.path).size());
    }
    std::printf("\n");
  }
  if (refused > 0) {
    std::fprintf(stderr, "recoup: error: %d claim(s) not built (see above)\n", refused);
    return kExitRuntime;
  }
  return rc;
}

// ---- file ----

struct FileArgs {
  std::string id;
  bool all = false, dry_run = false, yes = false;
  std::string profile, out, accounts_config;
  std::string service_code = "customer-account";
  std::string category_code = "other-account-issues";
  std::string severity = "low";
  std::string mask = "encryption_context,principal,source_ip";
  int64_t max_requests = 200000;
  bool accept_unverified = false;
};

void PrintDryRun(const claims::ClaimRecord& c, const claims::Package& p, const FileArgs& a,
                 const std::string& identity) {
  std::printf("DRY RUN (nothing is sent; add --yes to file): claim %s\n\n", c.id.c_str());
  std::printf("0. GetCallerIdentity: %s\n\n", identity.c_str());
  std::printf("1. AddAttachmentsToSet with %zu attachments:\n", p.attachments.size());
  for (const claims::Attachment& att : p.attachments) {
    const std::string& bytes = p.files.at(att.path);
    std::printf("   %-60s %9zu bytes  sha256 %s\n", att.file_name.c_str(), bytes.size(),
                Sha256::Hex(bytes).c_str());
  }
  nlohmann::json cc = {
      {"issueType", "customer-service"},
      {"serviceCode", "(from DescribeServices; fallback " + a.service_code + ")"},
      {"categoryCode", "(from DescribeServices; fallback " + a.category_code + ")"},
      {"severityCode", a.severity},
      {"language", "en"},
      {"subject", p.subject},
      {"attachmentSetId", "(from step 1)"},
      {"communicationBody", "(below, " + std::to_string(p.body.size()) + " characters)"}};
  std::printf("\n2. CreateCase:\n%s\n\n--- communicationBody ---\n%s--- end ---\n\n",
              cc.dump(2).c_str(), p.body.c_str());
}

int RunFile(const Globals& g, const FileArgs& a) {
  if (a.id.empty() == !a.all) return Fail(InvalidArgument("give a claim ID or --all"));
  if (a.yes && a.dry_run) return Fail(InvalidArgument("--yes and --dry-run: choose one"));
  auto mask = claims::MaskPolicy::Parse(a.mask);
  if (!mask.ok()) return Fail(mask.status());
  auto s = Open(g, true);
  if (!s.ok()) return Fail(s.status());
  auto chosen = Select(*s->store, a.id, "", a.all);
  if (!chosen.ok()) return Fail(chosen.status());
  if (chosen->empty()) {
    std::printf("no claim waits to be filed\n");
    return kExitOk;
  }
  auto accounts = OpenAccounts(a.accounts_config, a.profile);
  if (!accounts.ok()) return Fail(accounts.status());
  int rc = kExitOk;
  for (const claims::ClaimRecord& c : *chosen) {
    if (auto not_over = claims::MonthNotOverReason(c, s->now_ms)) {
      std::printf("claim %s is forming: not filed:\n  - %s\n", c.id.c_str(), not_over->c_str());
      if (!a.all) rc = kExitRuntime;
      continue;
    }
    std::vector<std::string> notes;
    auto pkg = claims::BuildClaimPackage(*s->store, *s->catalog, c,
                                         MakeBuildOptions(*mask, a.max_requests), &notes);
    if (!pkg.ok()) return Fail(pkg.status());
    for (const std::string& n : notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
    const sla::ServiceTerms* terms = s->catalog->Find(c.service);
    const sla::SlaVersion* version = terms ? terms->VersionById(c.sla_version) : nullptr;
    if (!a.yes) {
      if (claims::IsUnfiled(c.state) && version != nullptr) {
        auto reasons = claims::RefusalReasons(c, *version, s->now_ms);
        if (!reasons.empty()) {
          std::printf("claim %s would be refused:\n", c.id.c_str());
          for (const std::string& r : reasons) std::printf("  - %s\n", r.c_str());
          if (!a.all) rc = kExitRuntime;
          continue;
        }
      } else if (c.state == claims::kExpired) {
        std::printf(
            "claim %s would be refused:\n  - the deadline passed at %s before it was filed\n",
            c.id.c_str(), FormatTimestamp(c.deadline_ms).c_str());
        if (!a.all) rc = kExitRuntime;
        continue;
      } else if (!claims::IsUnfiled(c.state)) {
        std::printf("claim %s is %s%s: nothing to file\n", c.id.c_str(), c.state.c_str(),
                    c.case_id.empty() ? "" : (" (case " + c.case_id + ")").c_str());
        continue;
      }
      // Which identity would file: asked of STS (a read; nothing is filed).
      std::string identity;
      auto session = accounts->For(c.account);
      if (!session.ok()) {
        identity = "not checked (" + session.status().message() + "); filing would need " +
                   accounts->AccessFor(c.account).Describe() + " to be account " + c.account;
      } else {
        const std::string mismatch = MismatchReason(c.account, (*session)->id, accounts->config());
        identity = "would file as " + (*session)->id.who.arn + " (account " +
                   (*session)->id.who.account + ", " + (*session)->id.access.Describe() + ")";
        if (!mismatch.empty()) {
          std::printf("claim %s would be refused:\n  - %s\n", c.id.c_str(), mismatch.c_str());
          if (!a.all) rc = kExitRuntime;
          continue;
        }
      }
      if (const std::string u = UnverifiedTerms(version); !u.empty()) {
        std::printf("claim %s: warning: %s; filing needs --accept-unverified\n", c.id.c_str(),
                    u.c_str());
      }
      PrintDryRun(c, *pkg, a, identity);
      continue;
    }
    // What would be denied is refused before anything reaches AWS.
    std::vector<std::string> refusals;
    if (c.state == claims::kExpired) {
      refusals.push_back("the deadline passed at " + FormatTimestamp(c.deadline_ms) +
                         " before the claim was filed; AWS denies late claims");
    } else if (claims::IsUnfiled(c.state) && version != nullptr) {
      refusals = claims::RefusalReasons(c, *version, s->now_ms);
      // Unverified terms never pass silently into a claim.
      if (const std::string u = UnverifiedTerms(version); !u.empty() && !a.accept_unverified) {
        refusals.push_back(u + "; pass --accept-unverified once you have checked them");
      }
    }
    if (!refusals.empty()) {
      std::printf("claim %s: not filed:\n", c.id.c_str());
      for (const std::string& r : refusals) std::printf("  - %s\n", r.c_str());
      if (!a.all) rc = kExitRuntime;
      continue;
    }
    // Only the claim's own account files it: GetCallerIdentity first.
    auto session = accounts->For(c.account);
    if (!session.ok()) return FailAws(session.status());
    if (const std::string mismatch = MismatchReason(c.account, (*session)->id, accounts->config());
        !mismatch.empty()) {
      std::printf("claim %s: not filed:\n  - %s\n", c.id.c_str(), mismatch.c_str());
      rc = kExitRuntime;
      continue;
    }
    claims::FileOptions fo;
    fo.fallback_service_code = a.service_code;
    fo.fallback_category_code = a.category_code;
    fo.severity_code = a.severity;
    if (const char* hook = std::getenv("RECOUP_TEST_CRASH_AFTER_CREATE_CASE");
        hook != nullptr && *hook != 0) {
      // Test hook: die between AWS's reply and the store update.
      fo.after_create_case = [](const std::string& case_id) {
        std::fprintf(stderr, "recoup: test hook: exiting after CreateCase (%s)\n", case_id.c_str());
        std::fflush(nullptr);
        _exit(86);
      };
    }
    auto out = claims::FileClaim(*s->store, *s->catalog, *(*session)->support, *pkg, fo, s->now_ms);
    if (!out.ok()) return Fail(out.status());
    using Kind = claims::FileOutcome::Kind;
    switch (out->kind) {
      case Kind::kFiled:
        std::printf("claim %s: filed as AWS Support case %s (as %s)\n", c.id.c_str(),
                    out->case_id.c_str(), (*session)->id.who.arn.c_str());
        break;
      case Kind::kAlreadyFiled:
        std::printf("claim %s: already filed as case %s (not filed again)\n", c.id.c_str(),
                    out->case_id.c_str());
        break;
      case Kind::kReconciled:
        std::printf(
            "claim %s: an earlier attempt had filed it as case %s (found with DescribeCases; "
            "not filed again)\n",
            c.id.c_str(), out->case_id.c_str());
        break;
      case Kind::kRefused:
        std::printf("claim %s: not filed:\n", c.id.c_str());
        for (const std::string& r : out->reasons) std::printf("  - %s\n", r.c_str());
        if (!a.all) rc = kExitRuntime;
        continue;
      case Kind::kManual: {
        const std::string dir = a.out.empty() ? DefaultPackageDir(g, c.id)
                                              : (std::filesystem::path(a.out) / c.id).string();
        if (Status st = claims::WritePackage(*pkg, dir); !st.ok()) return Fail(st);
        std::printf(
            "claim %s: this account cannot use the AWS Support API (%s).\n"
            "The package is ready for filing by hand in %s; the claim stays ready until you "
            "do.\n\n%s",
            c.id.c_str(), out->reasons.empty() ? "" : out->reasons.front().c_str(), dir.c_str(),
            pkg->files.at("how-to-file-in-console.txt").c_str());
        continue;
      }
    }
    for (const std::string& r : out->reasons) std::fprintf(stderr, "recoup: note: %s\n", r.c_str());
  }
  return rc;
}

// ---- sync ----

struct SyncArgs {
  std::string profile, accounts_config;
  bool offline = false;
};

int RunSync(const Globals& g, const SyncArgs& a) {
  auto s = Open(g, true);
  if (!s.ok()) return Fail(s.status());
  auto all = s->store->ListClaims();
  if (!all.ok()) return Fail(all.status());
  bool need_aws = false;
  for (const claims::ClaimRecord& c : *all) {
    if (!c.case_id.empty() || claims::IsUnfiled(c.state)) need_aws = true;
  }
  auto accounts = OpenAccounts(a.accounts_config, a.profile);
  if (!accounts.ok()) return Fail(accounts.status());
  // Each account is asked with its own credentials; one that cannot be
  // opened, or is another account's, is named and left out.
  std::map<std::string, std::string> unusable;
  auto session_of = [&](const std::string& account) -> AccountSession* {
    auto session = accounts->Checked(account);
    if (session.ok()) return *session;
    unusable.emplace(account, session.status().message());
    return nullptr;
  };
  claims::SyncPorts ports;
  ports.catalog = s->catalog.get();
  if (need_aws && !a.offline) {
    ports.support = [&](const std::string& account) -> claims::SupportPort* {
      AccountSession* session = session_of(account);
      return session != nullptr ? session->support.get() : nullptr;
    };
    ports.credits = [&](const std::string& account) -> claims::CreditsPort* {
      AccountSession* session = session_of(account);
      return session != nullptr ? session->credits.get() : nullptr;
    };
  }
  auto r = claims::SyncClaims(*s->store, ports, s->now_ms);
  if (!r.ok()) return Fail(r.status());
  for (const std::string& n : r->notes) std::fprintf(stderr, "recoup: note: %s\n", n.c_str());
  for (const auto& [account, why] : unusable) {
    std::fprintf(stderr, "recoup: account %s not followed on AWS: %s\n", account.c_str(),
                 why.c_str());
  }
  std::printf("%lld cases checked, %lld new messages, %lld state changes, %lld claims credited\n",
              static_cast<long long>(r->cases_checked),
              static_cast<long long>(r->new_communications), static_cast<long long>(r->transitions),
              static_cast<long long>(r->credited));
  if (!r->credits.empty()) {
    std::printf("Credits on the bill (AWS Billing):\n");
    for (const claims::CreditMatch& m : r->credits) {
      std::string ids;
      for (const std::string& id : m.credit_ids) ids += (ids.empty() ? "" : ", ") + id;
      std::printf("  %s: asked $%s, granted $%s (credit %s), applied $%s%s\n", m.claim_id.c_str(),
                  FormatUsd(m.asked).c_str(), FormatUsd(m.granted).c_str(), ids.c_str(),
                  FormatUsd(m.applied).c_str(), m.estimated ? " (a bill not final yet)" : "");
      for (const auto& [month, amount] : m.applied_by_month) {
        std::printf("    %s: applied $%s\n", month.ToString().c_str(), FormatUsd(amount).c_str());
      }
    }
  }
  return unusable.empty() ? kExitOk : kExitRuntime;
}

// ---- note ----

struct NoteArgs {
  std::string id, text, case_id, profile, accounts_config;
};

int RunNote(const Globals& g, const NoteArgs& a) {
  auto s = Open(g, false);
  if (!s.ok()) return Fail(s.status());
  auto c = GetClaim(*s->store, a.id);
  if (!c.ok()) return Fail(c.status());
  claims::SupportPort* support = nullptr;
  std::optional<Accounts> accounts;
  if (a.case_id.empty() && !c->case_id.empty()) {
    auto opened = OpenAccounts(a.accounts_config, a.profile);
    if (!opened.ok()) return Fail(opened.status());
    accounts.emplace(std::move(opened).value());
    auto session = accounts->Checked(c->account);
    if (!session.ok()) return FailAws(session.status());
    support = (*session)->support.get();
  }
  Status st = claims::AddNote(*s->store, support, a.id, a.text, a.case_id, s->now_ms);
  if (!st.ok()) return Fail(st);
  if (!a.case_id.empty()) {
    std::printf("claim %s: recorded as filed (case %s)\n", a.id.c_str(), a.case_id.c_str());
  } else if (support) {
    std::printf("claim %s: sent to case %s and stored\n", a.id.c_str(), c->case_id.c_str());
  } else {
    std::printf("claim %s: note stored\n", a.id.c_str());
  }
  return kExitOk;
}

// ---- show / set-state ----

struct ShowArgs {
  std::string id, output = "text";
};

int RunShow(const Globals& g, const ShowArgs& a) {
  auto s = Open(g, true);
  if (!s.ok()) return Fail(s.status());
  auto c = GetClaim(*s->store, a.id);
  if (!c.ok()) return Fail(c.status());
  auto log = s->store->ListClaimTransitions(a.id);
  if (!log.ok()) return Fail(log.status());
  auto filing = s->store->GetClaimFiling(a.id);
  if (!filing.ok()) return Fail(filing.status());
  auto comms = s->store->ListClaimCommunications(a.id);
  if (!comms.ok()) return Fail(comms.status());
  nlohmann::json j;
  j["id"] = c->id;
  j["state"] = c->state;
  j["account"] = c->account;
  j["region"] = c->region;
  j["service"] = c->service;
  j["month"] = c->month.ToString();
  j["mup_pct"] = c->mup_pct;
  j["credit_pct"] = c->credit_pct;
  j["credit_asked"] = FormatUsd(c->credit_asked);
  j["credit_received"] =
      c->credit_received ? nlohmann::json(FormatUsd(*c->credit_received)) : nlohmann::json(nullptr);
  j["credit_asked_usd"] = FormatCents(c->credit_asked);
  j["credit_asked_usd_exact"] = FormatUsd(c->credit_asked);
  j["credit_received_usd"] = c->credit_received ? nlohmann::json(FormatCents(*c->credit_received))
                                                : nlohmann::json(nullptr);
  j["credit_received_usd_exact"] = j["credit_received"];
  j["deadline"] = FormatTimestamp(c->deadline_ms);
  j["days_left"] = claims::DaysLeft(c->deadline_ms, s->now_ms);
  j["case_id"] = c->case_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c->case_id);
  j["case_status"] =
      c->case_status.empty() ? nlohmann::json(nullptr) : nlohmann::json(c->case_status);
  j["package_sha256"] = c->package_sha256;
  j["transitions"] = nlohmann::json::array();
  for (const claims::ClaimTransition& t : *log) {
    j["transitions"].push_back({{"at", FormatTimestamp(t.at_ms, true)},
                                {"from", t.from_state},
                                {"to", t.to_state},
                                {"reason", t.reason}});
  }
  if (*filing) {
    j["filing"] = {{"status", (*filing)->status},
                   {"case_id", (*filing)->case_id},
                   {"attempts", (*filing)->attempts},
                   {"subject", (*filing)->subject}};
  }
  j["communications"] = nlohmann::json::array();
  for (const claims::ClaimCommunication& m : *comms) {
    j["communications"].push_back(
        {{"time", m.time_created}, {"from", m.submitted_by}, {"body", m.body}});
  }
  if (a.output == "json") {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("claim %s: %s\n", c->id.c_str(), c->state.c_str());
  std::printf("  MUP %s%%, tier %s%%, asked $%s, received %s, deadline %s (%lld days left)\n",
              c->mup_pct.c_str(), c->credit_pct.c_str(), FormatCents(c->credit_asked).c_str(),
              c->credit_received ? ("$" + FormatCents(*c->credit_received)).c_str() : "-",
              FormatTimestamp(c->deadline_ms).c_str(),
              static_cast<long long>(claims::DaysLeft(c->deadline_ms, s->now_ms)));
  if (!c->case_id.empty()) {
    std::printf("  case %s (%s)\n", c->case_id.c_str(),
                c->case_status.empty() ? "status not synced yet" : c->case_status.c_str());
  }
  std::printf("History:\n");
  for (const claims::ClaimTransition& t : *log) {
    std::printf("  %s  %s -> %s: %s\n", FormatTimestamp(t.at_ms).c_str(),
                t.from_state.empty() ? "(new)" : t.from_state.c_str(), t.to_state.c_str(),
                t.reason.c_str());
  }
  if (!comms->empty()) std::printf("Messages:\n");
  for (const claims::ClaimCommunication& m : *comms) {
    // AWS's messages quote what anyone wrote to the case: no control
    // character reaches the terminal.
    std::printf("  %s  %s:\n    %s\n", EscapeControls(m.time_created).c_str(),
                EscapeControls(m.submitted_by).c_str(), EscapeControls(m.body, true).c_str());
  }
  return kExitOk;
}

struct SetStateArgs {
  std::string id, state, reason;
};

int RunSetState(const Globals& g, const SetStateArgs& a) {
  auto s = Open(g, false);
  if (!s.ok()) return Fail(s.status());
  Status st = claims::SetState(*s->store, a.id, a.state, a.reason, s->now_ms);
  if (!st.ok()) return Fail(st);
  std::printf("claim %s: now %s\n", a.id.c_str(), a.state.c_str());
  return kExitOk;
}

}  // namespace

void RegisterClaimsCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  auto* claims_cmd = app.add_subcommand("claims", "SLA credit claims: ledger, packages, filing");
  claims_cmd->require_subcommand(1);

  auto la = std::make_shared<ListArgs>();
  auto* list =
      claims_cmd->add_subcommand("list", "Every claim, nearest deadline first, with totals");
  list->add_option("--output", la->output, "table|json|csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  list->add_option("--remind-days", la->remind_days,
                   "Flag unfiled claims this many days before their deadline (default 14)");
  reg.Add(list, [&g, la] { return RunList(g, *la); });

  auto ba = std::make_shared<BuildArgs>();
  auto* build = claims_cmd->add_subcommand("build", "Write the evidence package of claims");
  build->add_option("id", ba->id, "Claim ID (default: every claim, or those of --month)");
  build->add_option("--month", ba->month, "YYYY-MM: the claims of this month");
  build->add_option("--out", ba->out, "Folder; each claim gets DIR/<claim ID>/")->required();
  build->add_option("--mask", ba->mask,
                    "Values masked with asterisks in the request log: any of encryption_context,"
                    "principal,source_ip,key_id, or none");
  build->add_option("--max-requests", ba->max_requests,
                    "At most this many failing requests in the extract (default 200000)");
  reg.Add(build, [&g, ba] { return RunBuild(g, *ba); });

  auto fa = std::make_shared<FileArgs>();
  auto* file =
      claims_cmd->add_subcommand("file", "File claims with AWS Support (dry run by default)");
  file->add_option("id", fa->id, "Claim ID");
  file->add_flag("--all", fa->all,
                 "Every claim that is detected or ready (closed months only; forming claims "
                 "wait for their month to end)");
  file->add_flag("--dry-run", fa->dry_run, "Show what would be sent (the default)");
  file->add_flag("--yes", fa->yes, "Really file: AddAttachmentsToSet, then CreateCase");
  file->add_option("--profile", fa->profile,
                   "AWS profile for accounts the accounts file does not give one");
  file->add_option("--accounts-config", fa->accounts_config,
                   "Accounts file: a profile or role_arn per account (default: "
                   "$RECOUP_ACCOUNTS_CONFIG, $XDG_CONFIG_HOME/recoup/accounts.toml, "
                   "/etc/recoup/accounts.toml)");
  file->add_option("--out", fa->out,
                   "Where to put packages for filing by hand (default: next to the store)");
  file->add_option("--service-code", fa->service_code,
                   "Support service code if DescribeServices offers no billing service");
  file->add_option("--category-code", fa->category_code, "Category code for that fallback");
  file->add_option("--severity", fa->severity, "Severity code of the case (default low)")
      ->check(CLI::IsMember({"low", "normal", "high", "urgent", "critical"}));
  file->add_flag("--accept-unverified", fa->accept_unverified,
                 "File even where the catalog marks the SLA terms unverified (after checking "
                 "them on the SLA page)");
  file->add_option("--mask", fa->mask, "As for claims build");
  file->add_option("--max-requests", fa->max_requests, "As for claims build");
  reg.Add(file, [&g, fa] { return RunFile(g, *fa); });

  auto sa = std::make_shared<SyncArgs>();
  auto* sync = claims_cmd->add_subcommand(
      "sync",
      "Follow filed claims: case status, AWS's replies, credits on later bills (AWS Billing's "
      "credits API and the Cost and Usage Report)");
  sync->add_option("--profile", sa->profile,
                   "AWS profile for accounts the accounts file does not give one");
  sync->add_option("--accounts-config", sa->accounts_config, "As for claims file");
  sync->add_flag("--offline", sa->offline, "Only look at the bills in the store (no AWS calls)");
  reg.Add(sync, [&g, sa] { return RunSync(g, *sa); });

  auto na = std::make_shared<NoteArgs>();
  auto* note = claims_cmd->add_subcommand(
      "note", "Add a reply to a claim's case (AddCommunicationToCase), or a local note");
  note->add_option("id", na->id, "Claim ID")->required();
  note->add_option("text", na->text, "The text")->required();
  note->add_option("--case-id", na->case_id,
                   "Record that the claim was filed by hand as this Support case");
  note->add_option("--profile", na->profile,
                   "AWS profile for accounts the accounts file does not give one");
  note->add_option("--accounts-config", na->accounts_config, "As for claims file");
  reg.Add(note, [&g, na] { return RunNote(g, *na); });

  auto sh = std::make_shared<ShowArgs>();
  auto* show = claims_cmd->add_subcommand("show", "A claim with its history and messages");
  show->add_option("id", sh->id, "Claim ID")->required();
  show->add_option("--output", sh->output, "text|json")->check(CLI::IsMember({"text", "json"}));
  reg.Add(show, [&g, sh] { return RunShow(g, *sh); });

  auto ss = std::make_shared<SetStateArgs>();
  auto* set = claims_cmd->add_subcommand(
      "set-state", "Move a claim by hand (e.g. approved or denied as AWS answered)");
  set->add_option("id", ss->id, "Claim ID")->required();
  {
    std::vector<std::string> states(claims::AllStates().begin(), claims::AllStates().end());
    set->add_option("state", ss->state, "New state")->required()->check(CLI::IsMember(states));
  }
  set->add_option("--reason", ss->reason, "Why (kept in the claim's history)");
  reg.Add(set, [&g, ss] { return RunSetState(g, *ss); });
}

}  // namespace recoup::cli
