#include "recoup/claims/service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "recoup/core/strings.h"
#include "recoup/report/report.h"
#include "recoup/validate/validate.h"

namespace recoup::claims {

namespace {

storage::SeriesFilter SeriesOf(const claims::ClaimRecord& c) {
  storage::SeriesFilter f;
  f.account = c.account;
  f.region = c.region;
  f.service = c.service;
  f.month = c.month;
  return f;
}

Status Move(storage::Store& store, claims::ClaimRecord claim, std::string_view to,
            const std::string& reason, int64_t now_ms) {
  const std::string from = claim.state;
  if (from == to) return Status::Ok();
  if (!CanTransition(from, to)) {
    return FailedPrecondition("claim " + claim.id + ": cannot go from " + from + " to " +
                              std::string(to));
  }
  claim.state = std::string(to);
  claim.updated_ms = now_ms;
  return store.TransitionClaim(claim, from, reason, now_ms);
}

// Moves an unfiled claim to "filed": a detected claim passes through
// "ready" (logged with `ready_reason`) so the log shows both steps.
Status MoveUnfiledToFiled(storage::Store& store, claims::ClaimRecord* claim,
                          const std::string& ready_reason, const std::string& filed_reason,
                          int64_t now_ms) {
  if (claim->state == kDetected) {
    claim->state = std::string(kReady);
    RECOUP_RETURN_IF_ERROR(
        store.TransitionClaim(*claim, std::string(kDetected), ready_reason, now_ms));
  }
  RECOUP_RETURN_IF_ERROR(Move(store, *claim, kFiled, filed_reason, now_ms));
  claim->state = std::string(kFiled);
  return Status::Ok();
}

// An unfiled claim's state follows its month: forming while the month is
// not over, detected once it has ended.
Status FollowMonthEnd(storage::Store& store, claims::ClaimRecord* claim, int64_t now_ms) {
  const std::optional<std::string> not_over = MonthNotOverReason(*claim, now_ms);
  if (claim->state == kForming && !not_over) {
    RECOUP_RETURN_IF_ERROR(
        Move(store, *claim, kDetected,
             "the month " + claim->month.ToString() + " is over: the claim can be built and filed",
             now_ms));
    claim->state = std::string(kDetected);
  } else if (claim->state != kForming && not_over) {
    RECOUP_RETURN_IF_ERROR(Move(store, *claim, kForming, *not_over, now_ms));
    claim->state = std::string(kForming);
  }
  return Status::Ok();
}

// A message on the claim's case, as the store keeps it.
claims::ClaimCommunication CommunicationOf(const claims::ClaimRecord& c, std::string time_created,
                                           std::string submitted_by, std::string body) {
  claims::ClaimCommunication m;
  m.claim_id = c.id;
  m.case_id = c.case_id;
  m.time_created = std::move(time_created);
  m.submitted_by = std::move(submitted_by);
  m.body = std::move(body);
  return m;
}

// True for a case number as the Support Center console shows it (digits
// only); the API's case IDs look like "case-111122223333-muen-2026-...".
bool IsDisplayId(const std::string& case_id) {
  return !case_id.empty() && std::all_of(case_id.begin(), case_id.end(),
                                         [](char ch) { return ch >= '0' && ch <= '9'; });
}

bool IsSubscriptionError(const Status& st) {
  return aws::IsAwsError(st, "SubscriptionRequiredException");
}

// A verdict from AWS in the text of a resolved case. Conservative: only
// plain statements count; anything else leaves the claim as it is.
std::optional<std::string_view> VerdictInText(const std::string& body) {
  const std::string t = AsciiLower(body);
  if (t.find("not eligible") != std::string::npos || t.find("denied") != std::string::npos ||
      t.find("unable to approve") != std::string::npos) {
    return kDenied;
  }
  if (t.find("approved") != std::string::npos ||
      t.find("credit has been issued") != std::string::npos ||
      t.find("credit has been applied") != std::string::npos) {
    return kApproved;
  }
  return std::nullopt;
}

bool FromCustomer(const aws::SupportCommunication& c) {
  // AWS's own replies are signed "Amazon Web Services"; the customer's carry
  // their IAM identity or e-mail address.
  return AsciiLower(c.submitted_by).find("amazon web services") == std::string::npos;
}

}  // namespace

// ---- AwsSupportPort ----

Result<std::vector<aws::SupportService>> AwsSupportPort::DescribeServices() {
  return api_->DescribeServices();
}
Result<aws::AttachmentSetResult> AwsSupportPort::AddAttachmentsToSet(
    const std::vector<aws::SupportAttachment>& attachments) {
  return api_->AddAttachmentsToSet(attachments);
}
Result<std::string> AwsSupportPort::CreateCase(const aws::CreateCaseInput& input) {
  return api_->CreateCase(input);
}
Result<std::vector<aws::SupportCase>> AwsSupportPort::DescribeCases(
    const aws::DescribeCasesInput& input) {
  return api_->DescribeCases(input);
}
Result<std::vector<aws::SupportCommunication>> AwsSupportPort::DescribeCommunications(
    const std::string& case_id) {
  aws::DescribeCommunicationsInput in;
  in.case_id = case_id;
  return api_->DescribeCommunications(in);
}
Result<bool> AwsSupportPort::AddCommunicationToCase(const std::string& case_id,
                                                    const std::string& body) {
  aws::AddCommunicationInput in;
  in.case_id = case_id;
  in.communication_body = body;
  return api_->AddCommunicationToCase(in);
}

// ---- refresh ----

Result<RefreshResult> RefreshClaims(storage::Store& store, const sla::Catalog& catalog,
                                    const storage::SeriesFilter& filter, int64_t now_ms) {
  RefreshResult out;
  RECOUP_ASSIGN_OR_RETURN(std::vector<report::ReportRow> rows,
                          report::BuildReport(store, catalog, filter, &out.notes));
  std::set<std::string> evaluated;
  for (const report::ReportRow& r : rows) {
    const std::string id = ClaimId(r.key.account, r.key.region, r.key.service, r.key.month);
    evaluated.insert(id);
    RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimRecord> existing, store.GetClaim(id));
    if (!r.verdict.breached) {
      if (existing && IsUnfiled(existing->state)) {
        RECOUP_RETURN_IF_ERROR(Move(
            store, *existing, kWithdrawn,
            "the evidence no longer shows a breach (MUP " + FormatPct(r.verdict.mup_pct) + "%)",
            now_ms));
        ++out.withdrawn;
      }
      continue;
    }
    claims::ClaimRecord fresh = ClaimFromVerdict(r.key, r.verdict, now_ms);
    if (!existing) {
      RECOUP_RETURN_IF_ERROR(store.PutClaim(
          fresh, "breach detected: MUP " + fresh.mup_pct + "% < " +
                     FormatDecimal(r.verdict.commitment_pct, 0, 6) + "% (SLA " +
                     r.verdict.sla_version + "), " + std::to_string(r.verdict.failed_requests) +
                     " server errors in " + std::to_string(r.verdict.failing_intervals) +
                     " intervals"));
      ++out.created;
      existing = fresh;
    } else if (IsUnfiled(existing->state)) {
      // Keep what the claim has become; refresh the numbers.
      claims::ClaimRecord upd = *existing;
      const bool changed = upd.mup_pct != fresh.mup_pct || upd.credit_asked != fresh.credit_asked ||
                           upd.charges_usd != fresh.charges_usd ||
                           upd.failed_requests != fresh.failed_requests;
      if (changed) {
        TakeVerdictFigures(r.verdict, &upd);
        upd.updated_ms = now_ms;
        if (upd.state == kReady) {
          // The evidence changed after the package was built: rebuild first.
          upd.state = std::string(kDetected);
          RECOUP_RETURN_IF_ERROR(store.TransitionClaim(
              upd, std::string(kReady),
              "the evidence changed since the package was built (MUP now " + upd.mup_pct +
                  "%, credit $" + FormatUsd(upd.credit_asked) + "): rebuild it",
              now_ms));
        } else {
          RECOUP_RETURN_IF_ERROR(store.PutClaim(upd, ""));
        }
        ++out.updated;
      }
      existing = upd;
    }
    if (IsUnfiled(existing->state)) {
      RECOUP_RETURN_IF_ERROR(FollowMonthEnd(store, &*existing, now_ms));
    }
    if (IsUnfiled(existing->state) && now_ms > existing->deadline_ms) {
      RECOUP_RETURN_IF_ERROR(Move(store, *existing, kExpired,
                                  "deadline " + FormatTimestamp(existing->deadline_ms) +
                                      " passed before the claim was filed",
                                  now_ms));
      ++out.expired;
    }
  }
  // Claims of series the report no longer covers (e.g. evidence filtered out)
  // are left alone, except that a missed deadline still expires them.
  RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> all, store.ListClaims());
  for (const claims::ClaimRecord& c : all) {
    if (evaluated.count(c.id)) continue;
    if (IsUnfiled(c.state) && now_ms > c.deadline_ms) {
      RECOUP_RETURN_IF_ERROR(
          Move(store, c, kExpired,
               "deadline " + FormatTimestamp(c.deadline_ms) + " passed before the claim was filed",
               now_ms));
      ++out.expired;
    }
  }
  return out;
}

// ---- build ----

namespace {

bool InAnyWindow(const std::vector<IncidentWindow>& windows, int64_t t) {
  for (const IncidentWindow& w : windows) {
    if (t >= w.start_ms && t < w.end_ms) return true;
  }
  return false;
}

// recoup's own probe calls inside the windows: the failures it saw, and the
// answered and unanswered calls kept as samples.
Result<std::vector<events::Event>> ProbeCallsIn(storage::Store& store,
                                                const claims::ClaimRecord& claim,
                                                const std::vector<IncidentWindow>& windows,
                                                const std::vector<events::Event>& failures) {
  std::vector<events::Event> calls;
  constexpr uint32_t kProbeBit = 1U << static_cast<int>(events::SourceKind::kProbe);
  for (const events::Event& f : failures) {
    const uint32_t seen = f.seen_by != 0 ? f.seen_by : 1U << static_cast<int>(f.source);
    if ((seen & kProbeBit) != 0 && InAnyWindow(windows, f.time_ms)) calls.push_back(f);
  }
  RECOUP_ASSIGN_OR_RETURN(std::vector<events::Event> samples,
                          store.LoadSamples(claim.account, claim.region, claim.service,
                                            windows.front().start_ms, windows.back().end_ms));
  for (events::Event& e : samples) {
    if (e.source == events::SourceKind::kProbe && InAnyWindow(windows, e.time_ms)) {
      calls.push_back(std::move(e));
    }
  }
  return calls;
}

// True if AWS Health event `e` is about the claim's service and account
// (an event naming no accounts is about all) and overlaps a window.
bool HealthEventCited(const health::HealthEvent& e, const claims::ClaimRecord& claim,
                      const std::vector<IncidentWindow>& windows) {
  if (AsciiLower(e.service) != AsciiLower(claim.service)) return false;
  if (!e.accounts.empty() &&
      std::find(e.accounts.begin(), e.accounts.end(), claim.account) == e.accounts.end()) {
    return false;
  }
  const int64_t end = e.end_ms == 0 ? std::numeric_limits<int64_t>::max() : e.end_ms;
  for (const IncidentWindow& w : windows) {
    if (e.start_ms < w.end_ms && end > w.start_ms) return true;
  }
  return false;
}

// Whether the Health coverage the store holds for the claim's account and
// Region spans every incident window (windows sorted, non-empty).
HealthCheck HealthCheckOf(const std::vector<health::HealthCoverage>& coverage,
                          const std::vector<IncidentWindow>& windows) {
  // The union of the coverage, as disjoint intervals by start.
  std::vector<std::pair<int64_t, int64_t>> merged;
  std::vector<health::HealthCoverage> sorted = coverage;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
  for (const health::HealthCoverage& c : sorted) {
    if (!merged.empty() && c.start_ms <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, c.end_ms);
    } else {
      merged.emplace_back(c.start_ms, c.end_ms);
    }
  }
  HealthCheck out;
  out.checked = true;
  for (const IncidentWindow& w : windows) {
    bool inside = false;
    for (const auto& [a, b] : merged) {
      if (a <= w.start_ms && w.end_ms <= b) {
        inside = true;
        out.checked_through_ms = b;
      }
    }
    if (!inside) out.checked = false;
  }
  if (!out.checked) {
    out.checked_through_ms = 0;
    return out;
  }
  std::set<std::string> sources;
  for (const health::HealthCoverage& c : coverage) {
    for (const IncidentWindow& w : windows) {
      if (c.start_ms < w.end_ms && c.end_ms > w.start_ms) sources.insert(c.source);
    }
  }
  out.sources.assign(sources.begin(), sources.end());
  return out;
}

// The AWS Health events the package cites, into `in`; a store that keeps
// none gives a note instead (also added to `notes`).
Status AddHealthEvents(storage::Store& store, const claims::ClaimRecord& claim,
                       const std::vector<IncidentWindow>& windows, PackageInput* in,
                       std::vector<std::string>* notes) {
  storage::HealthEventFilter hf;
  hf.region = claim.region;
  hf.start_ms = windows.front().start_ms;
  hf.end_ms = windows.back().end_ms;
  auto events = store.ListHealthEvents(hf);
  if (events.ok()) {
    for (const health::HealthEvent& e : *events) {
      if (HealthEventCited(e, claim, windows)) in->health_events.push_back(e);
    }
    RECOUP_ASSIGN_OR_RETURN(std::vector<health::HealthCoverage> coverage,
                            store.ListHealthCoverage(claim.account, claim.region));
    in->health_check = HealthCheckOf(coverage, windows);
    if (!in->health_check.checked && notes != nullptr) {
      notes->push_back("claim " + claim.id + ": AWS Health was not checked for account " +
                       claim.account + " in " + claim.region +
                       " over the incident windows; the package says so (recoup health sync, "
                       "recoup health import, or serve's Health poller record what they cover)");
    }
    return Status::Ok();
  }
  if (events.status().message().find("not yet implemented") == std::string::npos &&
      events.status().message().find("not implemented") == std::string::npos) {
    return events.status();
  }
  in->health_note =
      "AWS Health events could not be consulted (this recoup's store does not keep them "
      "yet); none are cited.";
  if (notes != nullptr) notes->push_back(in->health_note);
  return Status::Ok();
}

// The package input from the claim's report row and options (without the
// failures, probe calls and health events).
PackageInput PackageInputOf(const sla::Catalog& catalog, const claims::ClaimRecord& claim,
                            const report::ReportRow& r, const BuildOptions& options) {
  const sla::ServiceTerms* terms = catalog.Find(claim.service);
  PackageInput in;
  in.claim = claim;
  in.version = r.version;
  in.terms = terms;
  in.service_name = terms != nullptr ? terms->name : std::string();
  in.verdict = r.verdict;
  in.intervals = r.intervals;
  in.charge = r.charge;
  in.charges_note = r.charges_note;
  in.catalog_version = catalog.version();
  in.catalog_sha256 = catalog.sha256();
  in.recoup_version = options.recoup_version;
  in.mask = options.mask;
  in.max_request_rows = options.max_request_rows;
  return in;
}

}  // namespace

Result<Package> BuildClaimPackage(storage::Store& store, const sla::Catalog& catalog,
                                  const claims::ClaimRecord& claim, const BuildOptions& options,
                                  std::vector<std::string>* notes) {
  RECOUP_ASSIGN_OR_RETURN(std::vector<report::ReportRow> rows,
                          report::BuildReport(store, catalog, SeriesOf(claim)));
  if (rows.size() != 1) {
    return NotFound("claim " + claim.id + ": no evidence in the store for " + claim.account + " " +
                    claim.region + " " + claim.service + " " + claim.month.ToString());
  }
  const report::ReportRow& r = rows.front();
  PackageInput in = PackageInputOf(catalog, claim, r, options);
  RECOUP_ASSIGN_OR_RETURN(
      in.failures,
      store.LoadFailures(claim.account, claim.region, claim.service, claim.month.StartMs(),
                         claim.month.EndMs(), std::numeric_limits<int64_t>::max()));
  const std::vector<IncidentWindow> windows =
      IncidentWindows(r.intervals, in.failures, r.version->interval_seconds);
  if (!windows.empty()) {
    RECOUP_ASSIGN_OR_RETURN(in.probe_calls, ProbeCallsIn(store, claim, windows, in.failures));
    RECOUP_RETURN_IF_ERROR(AddHealthEvents(store, claim, windows, &in, notes));
  }
  return BuildPackage(in);
}

Status WritePackage(const Package& package, const std::string& dir) {
  namespace fs = std::filesystem;
  // The folder is named after the claim, whose ID is made of stored values
  // (account, Region, service): checked again here, where it becomes a path.
  const fs::path folder = fs::path(dir).lexically_normal();
  const fs::path root = folder.parent_path();
  RECOUP_RETURN_IF_ERROR(
      validate::FileNameComponent("claim ID (package folder)", folder.filename().string()));
  RECOUP_RETURN_IF_ERROR(validate::ContainedPath(root.empty() ? "." : root.string(), dir));
  for (const auto& [rel, bytes] : package.files) {
    for (const fs::path& part : fs::path(rel)) {
      RECOUP_RETURN_IF_ERROR(validate::FileNameComponent("package file " + rel, part.string()));
    }
    RECOUP_RETURN_IF_ERROR(validate::ContainedPath(dir, (fs::path(dir) / rel).string()));
  }
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "attachments", ec);
  if (ec) return Unavailable(dir + ": cannot create: " + ec.message());
  // Remove files of an earlier build that this one does not have.
  for (const auto& sub : {fs::path(dir), fs::path(dir) / "attachments"}) {
    for (const auto& entry : fs::directory_iterator(sub, ec)) {
      if (!entry.is_regular_file()) continue;
      const std::string rel = fs::relative(entry.path(), dir).generic_string();
      if (!package.files.count(rel)) fs::remove(entry.path(), ec);
    }
  }
  for (const auto& [rel, bytes] : package.files) {
    const fs::path p = fs::path(dir) / rel;
    const fs::path tmp = p.string() + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f) return Unavailable(tmp.string() + ": cannot write");
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) return Unavailable(tmp.string() + ": write failed");
    }
    fs::rename(tmp, p, ec);
    if (ec) return Unavailable(p.string() + ": cannot rename: " + ec.message());
  }
  return Status::Ok();
}

Status MarkBuilt(storage::Store& store, const sla::Catalog& catalog, claims::ClaimRecord claim,
                 const Package& package, int64_t now_ms) {
  claim.package_sha256 = package.manifest_sha256;
  claim.updated_ms = now_ms;
  const sla::ServiceTerms* terms = catalog.Find(claim.service);
  const sla::SlaVersion* version = terms ? terms->VersionById(claim.sla_version) : nullptr;
  std::vector<std::string> refusals;
  if (version != nullptr) refusals = RefusalReasons(claim, *version, now_ms);
  if (claim.state == kDetected && refusals.empty()) {
    const std::string from = claim.state;
    claim.state = std::string(kReady);
    return store.TransitionClaim(
        claim, from, "evidence package built (manifest sha256 " + package.manifest_sha256 + ")",
        now_ms);
  }
  return store.PutClaim(claim, "");
}

// ---- filing ----

Result<std::optional<aws::SupportCase>> FindFiledCase(SupportPort& support,
                                                      const std::string& claim_id,
                                                      int64_t since_ms) {
  aws::DescribeCasesInput in;
  in.include_resolved_cases = true;
  in.include_communications = false;
  // A day of margin for clock skew between this machine and AWS.
  in.after_time = FormatTimestamp(since_ms - kMsPerDay);
  RECOUP_ASSIGN_OR_RETURN(std::vector<aws::SupportCase> cases, support.DescribeCases(in));
  const std::string marker = ClaimMarker(claim_id);
  std::optional<aws::SupportCase> found;
  for (aws::SupportCase& c : cases) {
    if (c.subject.find(marker) == std::string::npos) continue;
    // Several matches would mean a duplicate already exists: report the oldest.
    if (!found || c.time_created < found->time_created) found = std::move(c);
  }
  return found;
}

namespace {

// One filing attempt: the claim and its filing row as stored, updated as the
// attempt goes on.
struct FilingAttempt {
  storage::Store& store;
  const Package& package;
  int64_t now_ms;
  claims::ClaimRecord claim;
  std::optional<claims::ClaimFiling> filing;
};

// The claim of `package` and its filing row; NotFound without the claim.
Result<FilingAttempt> LoadFilingAttempt(storage::Store& store, const Package& package,
                                        int64_t now_ms) {
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimRecord> found,
                          store.GetClaim(package.claim_id));
  if (!found) return NotFound("claim " + package.claim_id + ": no such claim");
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimFiling> filing,
                          store.GetClaimFiling(found->id));
  return FilingAttempt{store, package, now_ms, *std::move(found), std::move(filing)};
}

// Records the claim as AWS Support case `case_id` (`how`: "filed",
// "recorded", "found by reconciliation"): the filing row, then the claim,
// moved to "filed" if it was not yet.
Status RecordFiled(FilingAttempt& a, const std::string& case_id, const std::string& how) {
  claims::ClaimFiling f = a.filing.value_or(claims::ClaimFiling{});
  f.claim_id = a.claim.id;
  f.status = "filed";
  f.subject = a.package.subject;
  f.case_id = case_id;
  if (f.created_ms == 0) f.created_ms = a.now_ms;
  f.updated_ms = a.now_ms;
  RECOUP_RETURN_IF_ERROR(a.store.PutClaimFiling(f));
  a.claim.case_id = case_id;
  a.claim.filed_ms = a.now_ms;
  if (!IsUnfiled(a.claim.state)) return a.store.PutClaim(a.claim, "");
  return MoveUnfiledToFiled(
      a.store, &a.claim,
      "evidence package built (manifest sha256 " + a.package.manifest_sha256 + ")",
      how + ": AWS Support case " + case_id, a.now_ms);
}

FileOutcome Refused(std::vector<std::string> reasons) {
  FileOutcome out;
  out.kind = FileOutcome::Kind::kRefused;
  out.reasons = std::move(reasons);
  return out;
}

// The outcome when the claim's state settles it without AWS: already filed
// (recorded if the claim did not know yet), or past filing (refused);
// nullopt: the claim is still to be filed.
Result<std::optional<FileOutcome>> SettledByState(FilingAttempt& a) {
  if (a.filing && a.filing->status == "filed" && !a.filing->case_id.empty()) {
    FileOutcome out;
    out.kind = FileOutcome::Kind::kAlreadyFiled;
    out.case_id = a.filing->case_id;
    if (IsUnfiled(a.claim.state)) RECOUP_RETURN_IF_ERROR(RecordFiled(a, out.case_id, "recorded"));
    return std::optional<FileOutcome>(std::move(out));
  }
  if (IsUnfiled(a.claim.state)) return std::optional<FileOutcome>();
  if (a.claim.state == kExpired) {
    return std::optional<FileOutcome>(
        Refused({"the deadline passed at " + FormatTimestamp(a.claim.deadline_ms) +
                 " before the claim was filed; AWS denies late claims"}));
  }
  return std::optional<FileOutcome>(
      Refused({"the claim is " + a.claim.state + "; only detected or ready claims are filed"}));
}

// An earlier attempt may have created the case and died before recording
// it: after an intent, asks AWS and records the case it finds; nullopt: no
// such case.
Result<std::optional<FileOutcome>> ReconcileEarlierAttempt(FilingAttempt& a, SupportPort& support) {
  if (!a.filing || a.filing->status != "intent") return std::optional<FileOutcome>();
  RECOUP_ASSIGN_OR_RETURN(std::optional<aws::SupportCase> existing,
                          FindFiledCase(support, a.claim.id, a.filing->created_ms));
  if (!existing) return std::optional<FileOutcome>();
  RECOUP_RETURN_IF_ERROR(RecordFiled(a, existing->case_id, "found by reconciliation"));
  FileOutcome out;
  out.kind = FileOutcome::Kind::kReconciled;
  out.case_id = existing->case_id;
  return std::optional<FileOutcome>(std::move(out));
}

// Why AWS would deny the claim under its SLA version (empty: it can be
// filed); FailedPrecondition when the catalog lacks that version.
Result<std::vector<std::string>> SlaRefusals(const claims::ClaimRecord& claim,
                                             const sla::Catalog& catalog, int64_t now_ms) {
  const sla::ServiceTerms* terms = catalog.Find(claim.service);
  const sla::SlaVersion* version = terms ? terms->VersionById(claim.sla_version) : nullptr;
  if (version == nullptr) {
    return FailedPrecondition("claim " + claim.id + ": SLA version " + claim.sla_version +
                              " is not in the catalog");
  }
  return RefusalReasons(claim, *version, now_ms);
}

// The account has no Support API (`why`): records the filing as "manual"
// (an intent stays an intent), moves a detected claim to "ready" and says to
// file in the console.
Result<FileOutcome> FileManually(FilingAttempt& a, const Status& why) {
  claims::ClaimFiling f = a.filing.value_or(claims::ClaimFiling{});
  f.claim_id = a.claim.id;
  if (f.status != "intent") f.status = "manual";
  f.subject = a.package.subject;
  if (f.created_ms == 0) f.created_ms = a.now_ms;
  f.updated_ms = a.now_ms;
  RECOUP_RETURN_IF_ERROR(a.store.PutClaimFiling(f));
  if (a.claim.state == kDetected) {
    RECOUP_RETURN_IF_ERROR(Move(a.store, a.claim, kReady,
                                "prepared for filing in the console (the account has no "
                                "Support API access)",
                                a.now_ms));
  }
  FileOutcome m;
  m.kind = FileOutcome::Kind::kManual;
  m.reasons.push_back(why.message());
  return m;
}

struct CaseCodes {
  std::string service, category;
};

// The billing service (else an account one) and its SLA/credit category
// (else an "other" one, else its first) from DescribeServices; the
// configured codes, with a note in `notes`, when there is none.
CaseCodes ChooseCaseCodes(const std::vector<aws::SupportService>& services, const FileOptions& opt,
                          std::vector<std::string>* notes) {
  CaseCodes codes{opt.fallback_service_code, opt.fallback_category_code};
  const aws::SupportService* best = nullptr;
  for (const aws::SupportService& s : services) {
    const std::string n = AsciiLower(s.code + " " + s.name);
    if (n.find("billing") != std::string::npos) best = &s;
    if (best == nullptr && n.find("account") != std::string::npos) best = &s;
  }
  if (best == nullptr || best->categories.empty()) {
    notes->push_back("no billing service in DescribeServices; using the configured codes " +
                     codes.service + "/" + codes.category);
    return codes;
  }
  codes.service = best->code;
  const aws::SupportCategory* cat = nullptr;
  for (const aws::SupportCategory& c : best->categories) {
    const std::string n = AsciiLower(c.code + " " + c.name);
    if (n.find("sla") != std::string::npos || n.find("credit") != std::string::npos) {
      cat = &c;
      break;
    }
    if (cat == nullptr && n.find("other") != std::string::npos) cat = &c;
  }
  codes.category = (cat != nullptr ? cat : &best->categories.front())->code;
  return codes;
}

// The package's attachments as AddAttachmentsToSet takes them.
std::vector<aws::SupportAttachment> AttachmentsOf(const Package& package) {
  std::vector<aws::SupportAttachment> atts;
  for (const Attachment& a : package.attachments) {
    atts.push_back({a.file_name, package.files.at(a.path)});
  }
  return atts;
}

// Records the intent to call CreateCase (with the uploaded attachment set),
// durable before the request leaves.
Status RecordIntent(FilingAttempt& a, const std::string& attachment_set_id) {
  claims::ClaimFiling intent = a.filing.value_or(claims::ClaimFiling{});
  intent.claim_id = a.claim.id;
  intent.status = "intent";
  intent.subject = a.package.subject;
  intent.attachment_set_id = attachment_set_id;
  intent.attempts += 1;
  if (intent.created_ms == 0) intent.created_ms = a.now_ms;
  intent.updated_ms = a.now_ms;
  RECOUP_RETURN_IF_ERROR(a.store.PutClaimFiling(intent));
  a.filing = intent;
  return Status::Ok();
}

// The case to create: the package's subject and text, with its attachments.
aws::CreateCaseInput CaseInput(const Package& package, const CaseCodes& codes,
                               const FileOptions& opt, const std::string& attachment_set_id) {
  return aws::CreateCaseInput{.subject = package.subject,
                              .communication_body = package.body,
                              .service_code = codes.service,
                              .category_code = codes.category,
                              .severity_code = opt.severity_code,
                              .issue_type = "customer-service",
                              .language = opt.language,
                              .cc_email_addresses = {},
                              .attachment_set_id = attachment_set_id};
}

// CreateCase failed with `st`: a subscription error (AWS refused before
// creating anything) turns the intent into a manual filing; any other error
// leaves the intent for the next run to reconcile.
Result<FileOutcome> CreateCaseFailed(FilingAttempt& a, const Status& st) {
  if (IsSubscriptionError(st)) {
    claims::ClaimFiling f = *a.filing;
    f.status = "manual";
    RECOUP_RETURN_IF_ERROR(a.store.PutClaimFiling(f));
    a.filing = f;
    return FileManually(a, st);
  }
  return st.WithPrefix(
      "claim " + a.claim.id +
      ": CreateCase (the case may or may not exist; the next run checks with DescribeCases "
      "before filing again)");
}

}  // namespace

Result<FileOutcome> FileClaim(storage::Store& store, const sla::Catalog& catalog,
                              SupportPort& support, const Package& package, const FileOptions& opt,
                              int64_t now_ms) {
  RECOUP_ASSIGN_OR_RETURN(FilingAttempt a, LoadFilingAttempt(store, package, now_ms));
  RECOUP_ASSIGN_OR_RETURN(std::optional<FileOutcome> settled, SettledByState(a));
  if (settled) return *std::move(settled);
  RECOUP_ASSIGN_OR_RETURN(settled, ReconcileEarlierAttempt(a, support));
  if (settled) return *std::move(settled);
  RECOUP_ASSIGN_OR_RETURN(std::vector<std::string> refusals, SlaRefusals(a.claim, catalog, now_ms));
  if (!refusals.empty()) return Refused(std::move(refusals));

  FileOutcome out;
  auto services = support.DescribeServices();
  CaseCodes codes{opt.fallback_service_code, opt.fallback_category_code};
  if (services.ok()) {
    codes = ChooseCaseCodes(*services, opt, &out.reasons);
  } else if (IsSubscriptionError(services.status())) {
    return FileManually(a, services.status());
  } else {
    out.reasons.push_back("DescribeServices failed (" + services.status().message() +
                          "); using the configured codes " + codes.service + "/" + codes.category);
  }
  auto set = support.AddAttachmentsToSet(AttachmentsOf(package));
  if (!set.ok()) {
    if (IsSubscriptionError(set.status())) return FileManually(a, set.status());
    return set.status().WithPrefix("claim " + a.claim.id + ": AddAttachmentsToSet");
  }
  RECOUP_RETURN_IF_ERROR(RecordIntent(a, set->attachment_set_id));
  auto case_id = support.CreateCase(CaseInput(package, codes, opt, set->attachment_set_id));
  if (!case_id.ok()) return CreateCaseFailed(a, case_id.status());
  if (opt.after_create_case) opt.after_create_case(*case_id);
  RECOUP_RETURN_IF_ERROR(RecordFiled(a, *case_id, "filed"));
  out.kind = FileOutcome::Kind::kFiled;
  out.case_id = *case_id;
  return out;
}

// ---- follow-up ----

namespace {

// An unfinished filing attempt of unfiled claim `c`: asks AWS whether the
// case exists and, if it does, records it and moves `c` to "filed".
Status ReconcileIntent(storage::Store& store, SupportPort& support, claims::ClaimRecord* c,
                       int64_t now_ms, SyncResult* out) {
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimFiling> f, store.GetClaimFiling(c->id));
  if (!f || f->status != "intent") return Status::Ok();
  RECOUP_ASSIGN_OR_RETURN(std::optional<aws::SupportCase> found,
                          FindFiledCase(support, c->id, f->created_ms));
  if (!found) return Status::Ok();
  f->status = "filed";
  f->case_id = found->case_id;
  f->updated_ms = now_ms;
  RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(*f));
  c->case_id = found->case_id;
  c->filed_ms = now_ms;
  RECOUP_RETURN_IF_ERROR(
      MoveUnfiledToFiled(store, c, "evidence package built",
                         "found by reconciliation: AWS Support case " + found->case_id, now_ms));
  ++out->transitions;
  return Status::Ok();
}

// The case's communications, oldest first: all of them, or the recent ones
// DescribeCases gave when DescribeCommunications fails (noted in `out`).
std::vector<aws::SupportCommunication> CaseCommunications(SupportPort& support,
                                                          const claims::ClaimRecord& c,
                                                          const aws::SupportCase& kase,
                                                          SyncResult* out) {
  std::vector<aws::SupportCommunication> comms = kase.recent_communications;
  auto all = support.DescribeCommunications(c.case_id);
  if (all.ok()) {
    comms = *all;
  } else {
    out->notes.push_back("claim " + c.id + ": DescribeCommunications: " + all.status().message() +
                         " (kept the recent ones)");
  }
  std::sort(comms.begin(), comms.end(),
            [](const auto& a, const auto& b) { return a.time_created < b.time_created; });
  return comms;
}

// Stores the communications the store does not have yet.
Status StoreCommunications(storage::Store& store, const claims::ClaimRecord& c,
                           const std::vector<aws::SupportCommunication>& comms, SyncResult* out) {
  for (const aws::SupportCommunication& m : comms) {
    claims::ClaimCommunication sc = CommunicationOf(c, m.time_created, m.submitted_by, m.body);
    for (const auto& a : m.attachments) sc.attachments.push_back(a.file_name);
    RECOUP_ASSIGN_OR_RETURN(bool added, store.PutClaimCommunication(sc));
    if (added) ++out->new_communications;
  }
  return Status::Ok();
}

// The state a resolved case's last answer from AWS states (with the answer
// as `*reason`); nullopt when it states none.
std::optional<std::string> VerdictOfLastAnswer(const std::vector<aws::SupportCommunication>& comms,
                                               std::string* reason) {
  for (auto it = comms.rbegin(); it != comms.rend(); ++it) {
    if (FromCustomer(*it)) continue;
    const std::optional<std::string_view> v = VerdictInText(it->body);
    if (!v) return std::nullopt;
    *reason = "AWS answered on " + it->time_created + ": " +
              it->body.substr(0, std::min<size_t>(it->body.size(), 200));
    return std::string(*v);
  }
  return std::nullopt;
}

// Follows the case of filed claim `c`: stores its new communications, its
// status and display ID, and moves `c` to the state the case implies.
Status FollowCase(storage::Store& store, SupportPort& support, claims::ClaimRecord* c,
                  int64_t now_ms, SyncResult* out) {
  aws::DescribeCasesInput in;
  // A case recorded by hand may carry the number the console shows (its
  // display ID) rather than the API's case ID: looked up by display ID.
  const bool display_id_only = IsDisplayId(c->case_id);
  if (display_id_only) {
    in.display_id = c->case_id;
  } else {
    in.case_ids = {c->case_id};
  }
  in.include_resolved_cases = true;
  in.include_communications = true;
  auto cases = support.DescribeCases(in);
  if (!cases.ok()) {
    out->notes.push_back("claim " + c->id + ": DescribeCases: " + cases.status().message());
    return Status::Ok();
  }
  if (cases->empty()) return Status::Ok();
  ++out->cases_checked;
  const aws::SupportCase& kase = cases->front();
  if (display_id_only && !kase.case_id.empty()) {
    c->display_id = c->case_id;
    c->case_id = kase.case_id;
  }
  const std::vector<aws::SupportCommunication> comms = CaseCommunications(support, *c, kase, out);
  RECOUP_RETURN_IF_ERROR(StoreCommunications(store, *c, comms, out));
  c->case_status = kase.status;
  if (!kase.display_id.empty()) c->display_id = kase.display_id;
  std::optional<std::string> next = StateForCaseStatus(kase.status, c->state);
  std::string reason = "AWS Support case " + c->case_id + " is " + kase.status;
  if (!next && kase.status == "resolved") next = VerdictOfLastAnswer(comms, &reason);
  if (next && *next != c->state) {
    RECOUP_RETURN_IF_ERROR(Move(store, *c, *next, reason, now_ms));
    c->state = *next;
    ++out->transitions;
    return Status::Ok();
  }
  c->updated_ms = now_ms;
  return store.PutClaim(*c, "");
}

// Credit/Refund lines for `c` on a later month's Cost and Usage Report: when
// there are any, records the credit and moves `c` to "credited".
Status CheckCredits(storage::Store& store, claims::ClaimRecord* c, int64_t now_ms,
                    SyncResult* out) {
  storage::SeriesFilter f;
  f.account = c->account;
  f.region = c->region;
  f.service = c->service;
  RECOUP_ASSIGN_OR_RETURN(std::vector<billing::ChargeRecord> charges, store.ListCharges(f));
  Rational credited = 0;
  std::string where;
  for (const billing::ChargeRecord& ch : charges) {
    if (ch.month <= c->month || ch.origin != "cur" || ch.credits >= 0) continue;
    credited -= ch.credits;
    where += (where.empty() ? "" : ", ") + ch.month.ToString();
  }
  if (credited <= 0) return Status::Ok();
  c->credit_received = credited;
  c->credited_ms = now_ms;
  RECOUP_RETURN_IF_ERROR(Move(
      store, *c, kCredited,
      "credit of $" + FormatUsd(credited) + " on the bill of " + where + " (Cost and Usage Report)",
      now_ms));
  ++out->credited;
  ++out->transitions;
  return Status::Ok();
}

// True if `applied` (AWS Billing's service name) is the claim's service.
bool ServiceMatches(const std::string& applied, const claims::ClaimRecord& c,
                    const sla::Catalog* catalog) {
  const std::string a = AsciiLower(applied);
  const std::string code = AsciiLower(c.service);
  if (a == code || a.find("(" + code + ")") != std::string::npos) return true;
  const sla::ServiceTerms* terms = catalog != nullptr ? catalog->Find(c.service) : nullptr;
  if (terms == nullptr || terms->name.empty()) return false;
  const std::string name = AsciiLower(terms->name);
  return a == name || a.find(name) != std::string::npos;
}

// -amount: the credit AWS Billing shows as a negative amount; 0 if unreadable.
Rational CreditOf(const aws::BillingAmount& a) {
  auto v = ParseDecimal(a.amount);
  return v.ok() ? Rational(-*v) : Rational(0);
}

// AWS Billing's credits for filed claim `c`: the credits that started after
// it was filed (credits already matched to an earlier claim in `taken` are
// skipped) and were applied to its account and service on a bill after its
// month, or apply to that service and have not been applied yet. A match is
// added to `out->credits`; an applied credit moves `c` to "credited".
Status CheckBillingCredits(storage::Store& store, CreditsPort& port, const sla::Catalog* catalog,
                           claims::ClaimRecord* c, std::set<std::string>* taken, int64_t now_ms,
                           SyncResult* out) {
  const int64_t from = c->month.EndMs();
  // GetCredits looks back at most a year.
  const int64_t credits_from = std::max(from, now_ms - 365 * kMsPerDay + kMsPerDay);
  auto credits = port.GetCredits(c->account, credits_from, now_ms);
  if (!credits.ok()) {
    out->notes.push_back("claim " + c->id + ": AWS Billing GetCredits: " +
                         credits.status().message() + " (only the Cost and Usage Report is read)");
    return Status::Ok();
  }
  // The allocation history covers at most 24 billing months.
  const int64_t allocations_from = std::max(from, now_ms - 730 * kMsPerDay);
  auto allocations = port.GetCreditAllocationHistory(c->account, allocations_from, now_ms);
  if (!allocations.ok()) {
    out->notes.push_back("claim " + c->id + ": AWS Billing GetCreditAllocationHistory: " +
                         allocations.status().message() +
                         " (only the Cost and Usage Report is read)");
    return Status::Ok();
  }
  CreditMatch m;
  m.claim_id = c->id;
  m.asked = c->credit_asked;
  std::map<YearMonth, Rational> by_month;
  for (const aws::BillingCredit& credit : *credits) {
    if (taken->count(credit.credit_id)) continue;
    // A credit that started before the claim was filed does not answer it.
    if (c->filed_ms > 0 && credit.start_ms + kMsPerDay < c->filed_ms) continue;
    bool applied_here = false;
    for (const aws::CreditAllocation& a : *allocations) {
      if (a.credit_id != credit.credit_id || a.account_id != c->account) continue;
      if (!ServiceMatches(a.applied_service_name, *c, catalog)) continue;
      auto month = YearMonth::Parse(a.billing_month);
      if (!month.ok() || !(c->month < *month)) continue;
      const Rational amount = CreditOf(a.credit_amount);
      m.applied += amount;
      by_month[*month] += amount;
      m.estimated = m.estimated || a.estimated;
      applied_here = true;
    }
    bool applies = false;
    for (const std::string& p : credit.applicable_products) {
      applies = applies || ServiceMatches(p, *c, catalog);
    }
    if (!applied_here && !(applies && credit.account_id == c->account)) continue;
    taken->insert(credit.credit_id);
    m.credit_ids.push_back(credit.credit_id);
    auto initial = ParseDecimal(credit.initial_amount.amount);
    if (initial.ok()) m.granted += *initial < 0 ? Rational(-*initial) : *initial;
  }
  if (m.credit_ids.empty()) return Status::Ok();
  std::string months;
  for (const auto& [month, amount] : by_month) {
    m.applied_by_month.emplace_back(month, amount);
    months += (months.empty() ? "" : ", ") + month.ToString() + " $" + FormatUsd(amount);
  }
  out->credits.push_back(m);
  if (m.applied <= 0) return Status::Ok();
  std::string ids;
  for (const std::string& id : m.credit_ids) ids += (ids.empty() ? "" : ", ") + id;
  if (c->state == kCredited) {
    if (c->credit_received && *c->credit_received >= m.applied) return Status::Ok();
    c->credit_received = m.applied;
    c->updated_ms = now_ms;
    return store.PutClaim(*c, "");
  }
  c->credit_received = m.applied;
  c->credited_ms = now_ms;
  RECOUP_RETURN_IF_ERROR(Move(store, *c, kCredited,
                              "credit of $" + FormatUsd(m.applied) + " applied on the bills of " +
                                  months + " (AWS Billing credit " + ids + ", granted $" +
                                  FormatUsd(m.granted) + ")",
                              now_ms));
  c->state = std::string(kCredited);
  ++out->credited;
  ++out->transitions;
  return Status::Ok();
}

}  // namespace

// ---- AwsCreditsPort ----

Result<std::vector<aws::BillingCredit>> AwsCreditsPort::GetCredits(const std::string& account_id,
                                                                   int64_t start_ms,
                                                                   int64_t end_ms) {
  return api_->GetCredits(account_id, start_ms, end_ms);
}
Result<std::vector<aws::CreditAllocation>> AwsCreditsPort::GetCreditAllocationHistory(
    const std::string& account_id, int64_t start_ms, int64_t end_ms) {
  return api_->GetCreditAllocationHistory(account_id, start_ms, end_ms);
}

Result<SyncResult> SyncClaims(storage::Store& store, const SyncPorts& ports, int64_t now_ms) {
  SyncResult out;
  RECOUP_ASSIGN_OR_RETURN(std::vector<claims::ClaimRecord> claims, store.ListClaims());
  // Oldest filing first, so that each credit goes to the earliest claim it answers.
  std::stable_sort(claims.begin(), claims.end(),
                   [](const auto& a, const auto& b) { return a.filed_ms < b.filed_ms; });
  std::set<std::string> taken;
  for (claims::ClaimRecord c : claims) {
    const bool open_case =
        c.state == kFiled || c.state == kAwaitingCustomer || c.state == kApproved;
    // AWS Support is asked only about claims it knows: an unfinished filing
    // attempt to reconcile, or a case to follow.
    bool ask_support = !c.case_id.empty() && (c.state == kFiled || c.state == kAwaitingCustomer);
    if (IsUnfiled(c.state)) {
      RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimFiling> f, store.GetClaimFiling(c.id));
      ask_support = f && f->status == "intent";
    }
    SupportPort* support = ask_support && ports.support ? ports.support(c.account) : nullptr;
    if (support != nullptr && IsUnfiled(c.state)) {
      RECOUP_RETURN_IF_ERROR(ReconcileIntent(store, *support, &c, now_ms, &out));
    }
    if (support != nullptr && !c.case_id.empty() &&
        (c.state == kFiled || c.state == kAwaitingCustomer)) {
      RECOUP_RETURN_IF_ERROR(FollowCase(store, *support, &c, now_ms, &out));
    }
    const bool followed = open_case || c.state == kFiled || c.state == kAwaitingCustomer;
    CreditsPort* credits = ports.credits && (followed || c.state == kCredited) && !c.case_id.empty()
                               ? ports.credits(c.account)
                               : nullptr;
    if (credits != nullptr) {
      RECOUP_RETURN_IF_ERROR(
          CheckBillingCredits(store, *credits, ports.catalog, &c, &taken, now_ms, &out));
    }
    if (c.state != kCredited && (open_case || c.state == kFiled || c.state == kAwaitingCustomer)) {
      RECOUP_RETURN_IF_ERROR(CheckCredits(store, &c, now_ms, &out));
    }
  }
  return out;
}

Result<SyncResult> SyncClaims(storage::Store& store, SupportPort* support, int64_t now_ms) {
  SyncPorts ports;
  if (support != nullptr) ports.support = [support](const std::string&) { return support; };
  return SyncClaims(store, ports, now_ms);
}

Status AddNote(storage::Store& store, SupportPort* support, const std::string& claim_id,
               const std::string& text, const std::string& case_id, int64_t now_ms) {
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimRecord> found, store.GetClaim(claim_id));
  if (!found) return NotFound("claim " + claim_id + ": no such claim (recoup claims list)");
  claims::ClaimRecord c = *found;
  if (!case_id.empty()) {
    if (c.state == kForming) {
      return FailedPrecondition("claim " + claim_id + " cannot be recorded as filed: " +
                                MonthNotOverReason(c, now_ms).value_or("it is forming"));
    }
    if (!c.case_id.empty() && c.case_id != case_id) {
      return FailedPrecondition("claim " + claim_id + " is already case " + c.case_id);
    }
    claims::ClaimFiling f;
    f.claim_id = c.id;
    f.status = "filed";
    f.case_id = case_id;
    f.created_ms = now_ms;
    f.updated_ms = now_ms;
    if (auto old = store.GetClaimFiling(c.id); old.ok() && old->has_value()) {
      f.subject = (*old)->subject;
      f.attempts = (*old)->attempts;
      f.created_ms = (*old)->created_ms;
    }
    RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(f));
    c.case_id = case_id;
    if (IsDisplayId(case_id)) c.display_id = case_id;
    c.filed_ms = now_ms;
    if (IsUnfiled(c.state)) {
      RECOUP_RETURN_IF_ERROR(
          MoveUnfiledToFiled(store, &c, "filed by hand",
                             "filed in the console as AWS Support case " + case_id, now_ms));
    }
  } else if (!c.case_id.empty() && support != nullptr) {
    RECOUP_RETURN_IF_ERROR(support->AddCommunicationToCase(c.case_id, text)
                               .status()
                               .WithPrefix("claim " + claim_id + ": AddCommunicationToCase"));
  }
  const claims::ClaimCommunication m =
      CommunicationOf(c, FormatTimestamp(now_ms, true),
                      support != nullptr && !c.case_id.empty() && case_id.empty()
                          ? "customer (sent with recoup claims note)"
                          : "customer (local note)",
                      text);
  RECOUP_RETURN_IF_ERROR(store.PutClaimCommunication(m).status());
  if (c.state == kAwaitingCustomer && support != nullptr && case_id.empty()) {
    RECOUP_RETURN_IF_ERROR(Move(store, c, kFiled, "replied to AWS", now_ms));
  }
  return Status::Ok();
}

Status SetState(storage::Store& store, const std::string& claim_id, const std::string& state,
                const std::string& reason, int64_t now_ms) {
  if (!IsKnownState(state)) return InvalidArgument("STATE: unknown state '" + state + "'");
  RECOUP_ASSIGN_OR_RETURN(std::optional<claims::ClaimRecord> found, store.GetClaim(claim_id));
  if (!found) return NotFound("claim " + claim_id + ": no such claim (recoup claims list)");
  return Move(store, *found, state, reason.empty() ? "set by hand" : reason, now_ms);
}

}  // namespace recoup::claims
