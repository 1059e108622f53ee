#include "recoup/claims/service.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "recoup/report/report.h"

namespace recoup::claims {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

storage::SeriesFilter SeriesOf(const storage::ClaimRecord& c) {
  storage::SeriesFilter f;
  f.account = c.account;
  f.region = c.region;
  f.service = c.service;
  f.month = c.month;
  return f;
}

Status Move(storage::Store& store, storage::ClaimRecord claim, std::string_view to,
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

bool IsSubscriptionError(const Status& st) {
  return aws::IsAwsError(st, "SubscriptionRequiredException");
}

// A verdict from AWS in the text of a resolved case. Conservative: only
// plain statements count; anything else leaves the claim as it is.
std::optional<std::string_view> VerdictInText(const std::string& body) {
  const std::string t = Lower(body);
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
  return Lower(c.submitted_by).find("amazon web services") == std::string::npos;
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
    RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimRecord> existing, store.GetClaim(id));
    if (!r.verdict.breached) {
      if (existing && IsUnfiled(existing->state)) {
        RECOUP_RETURN_IF_ERROR(Move(store, *existing, kWithdrawn,
                                    "the evidence no longer shows a breach (MUP " +
                                        FormatPct(r.verdict.mup_pct) + "%)",
                                    now_ms));
        ++out.withdrawn;
      }
      continue;
    }
    storage::ClaimRecord fresh = ClaimFromVerdict(r.key, r.verdict, now_ms);
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
      storage::ClaimRecord upd = *existing;
      const bool changed = upd.mup_pct != fresh.mup_pct || upd.credit_asked != fresh.credit_asked ||
                           upd.charges_usd != fresh.charges_usd ||
                           upd.failed_requests != fresh.failed_requests;
      if (changed) {
        upd.mup_pct = fresh.mup_pct;
        upd.credit_pct = fresh.credit_pct;
        upd.credit_asked = fresh.credit_asked;
        upd.charges_usd = fresh.charges_usd;
        upd.failed_requests = fresh.failed_requests;
        upd.failing_intervals = fresh.failing_intervals;
        upd.sla_version = fresh.sla_version;
        upd.deadline_ms = fresh.deadline_ms;
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
  RECOUP_ASSIGN_OR_RETURN(std::vector<storage::ClaimRecord> all, store.ListClaims());
  for (const storage::ClaimRecord& c : all) {
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

Result<Package> BuildClaimPackage(storage::Store& store, const sla::Catalog& catalog,
                                  const storage::ClaimRecord& claim, const BuildOptions& options,
                                  std::vector<std::string>* notes) {
  RECOUP_ASSIGN_OR_RETURN(std::vector<report::ReportRow> rows,
                          report::BuildReport(store, catalog, SeriesOf(claim)));
  if (rows.size() != 1) {
    return NotFound("claim " + claim.id + ": no evidence in the store for " + claim.account + " " +
                    claim.region + " " + claim.service + " " + claim.month.ToString());
  }
  const report::ReportRow& r = rows.front();
  const sla::ServiceTerms* terms = catalog.Find(claim.service);
  PackageInput in;
  in.claim = claim;
  in.version = r.version;
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
  RECOUP_ASSIGN_OR_RETURN(
      in.failures,
      store.LoadFailures(claim.account, claim.region, claim.service, claim.month.StartMs(),
                         claim.month.EndMs(), std::numeric_limits<int64_t>::max()));
  // AWS Health events overlapping the incident windows.
  const std::vector<IncidentWindow> windows =
      IncidentWindows(r.intervals, in.failures, r.version->interval_seconds);
  if (!windows.empty()) {
    // recoup's own probe calls inside the windows: the failures it saw, and
    // the answered and unanswered calls kept as samples.
    auto in_window = [&windows](int64_t t) {
      for (const IncidentWindow& w : windows) {
        if (t >= w.start_ms && t < w.end_ms) return true;
      }
      return false;
    };
    constexpr uint32_t kProbeBit = 1U << static_cast<int>(events::SourceKind::kProbe);
    for (const events::Event& f : in.failures) {
      const uint32_t seen = f.seen_by != 0 ? f.seen_by : 1U << static_cast<int>(f.source);
      if ((seen & kProbeBit) != 0 && in_window(f.time_ms)) in.probe_calls.push_back(f);
    }
    RECOUP_ASSIGN_OR_RETURN(std::vector<events::Event> samples,
                            store.LoadSamples(claim.account, claim.region, claim.service,
                                              windows.front().start_ms, windows.back().end_ms));
    for (events::Event& e : samples) {
      if (e.source == events::SourceKind::kProbe && in_window(e.time_ms)) {
        in.probe_calls.push_back(std::move(e));
      }
    }
    storage::HealthEventFilter hf;
    hf.region = claim.region;
    hf.start_ms = windows.front().start_ms;
    hf.end_ms = windows.back().end_ms;
    auto events = store.ListHealthEvents(hf);
    if (!events.ok()) {
      if (events.status().message().find("not yet implemented") == std::string::npos &&
          events.status().message().find("not implemented") == std::string::npos) {
        return events.status();
      }
      in.health_note =
          "AWS Health events could not be consulted (this recoup's store does not keep them "
          "yet); none are cited.";
      if (notes != nullptr) notes->push_back(in.health_note);
    } else {
      const std::string svc = claim.service;
      for (const storage::HealthEvent& e : *events) {
        if (Lower(e.service) != Lower(svc)) continue;
        if (!e.accounts.empty() &&
            std::find(e.accounts.begin(), e.accounts.end(), claim.account) == e.accounts.end()) {
          continue;
        }
        const int64_t end = e.end_ms == 0 ? std::numeric_limits<int64_t>::max() : e.end_ms;
        for (const IncidentWindow& w : windows) {
          if (e.start_ms < w.end_ms && end > w.start_ms) {
            in.health_events.push_back(e);
            break;
          }
        }
      }
    }
  }
  return BuildPackage(in);
}

Status WritePackage(const Package& package, const std::string& dir) {
  namespace fs = std::filesystem;
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

Status MarkBuilt(storage::Store& store, const sla::Catalog& catalog, storage::ClaimRecord claim,
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

Result<FileOutcome> FileClaim(storage::Store& store, const sla::Catalog& catalog,
                              SupportPort& support, const Package& package, const FileOptions& opt,
                              int64_t now_ms) {
  FileOutcome out;
  RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimRecord> found,
                          store.GetClaim(package.claim_id));
  if (!found) return NotFound("claim " + package.claim_id + ": no such claim");
  storage::ClaimRecord claim = *found;
  RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimFiling> filing,
                          store.GetClaimFiling(claim.id));

  auto record_filed = [&](const std::string& case_id, const std::string& how) -> Status {
    storage::ClaimFiling f = filing.value_or(storage::ClaimFiling{});
    f.claim_id = claim.id;
    f.status = "filed";
    f.subject = package.subject;
    f.case_id = case_id;
    if (f.created_ms == 0) f.created_ms = now_ms;
    f.updated_ms = now_ms;
    RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(f));
    claim.case_id = case_id;
    claim.filed_ms = now_ms;
    if (IsUnfiled(claim.state)) {
      // A detected claim moves through ready so the log shows both steps.
      if (claim.state == kDetected) {
        claim.state = std::string(kReady);
        RECOUP_RETURN_IF_ERROR(store.TransitionClaim(
            claim, std::string(kDetected),
            "evidence package built (manifest sha256 " + package.manifest_sha256 + ")", now_ms));
      }
      return Move(store, claim, kFiled, how + ": AWS Support case " + case_id, now_ms);
    }
    return store.PutClaim(claim, "");
  };

  if (filing && filing->status == "filed" && !filing->case_id.empty()) {
    out.kind = FileOutcome::Kind::kAlreadyFiled;
    out.case_id = filing->case_id;
    if (IsUnfiled(claim.state)) RECOUP_RETURN_IF_ERROR(record_filed(filing->case_id, "recorded"));
    return out;
  }
  if (!IsUnfiled(claim.state)) {
    out.kind = FileOutcome::Kind::kRefused;
    if (claim.state == kExpired) {
      out.reasons.push_back("the deadline passed at " + FormatTimestamp(claim.deadline_ms) +
                            " before the claim was filed; AWS denies late claims");
    } else {
      out.reasons.push_back("the claim is " + claim.state +
                            "; only detected or ready claims are filed");
    }
    return out;
  }
  // An earlier attempt may have created the case and died before recording
  // it: ask AWS before anything else.
  if (filing && filing->status == "intent") {
    RECOUP_ASSIGN_OR_RETURN(std::optional<aws::SupportCase> existing,
                            FindFiledCase(support, claim.id, filing->created_ms));
    if (existing) {
      RECOUP_RETURN_IF_ERROR(record_filed(existing->case_id, "found by reconciliation"));
      out.kind = FileOutcome::Kind::kReconciled;
      out.case_id = existing->case_id;
      return out;
    }
  }
  const sla::ServiceTerms* terms = catalog.Find(claim.service);
  const sla::SlaVersion* version = terms ? terms->VersionById(claim.sla_version) : nullptr;
  if (version == nullptr) {
    return FailedPrecondition("claim " + claim.id + ": SLA version " + claim.sla_version +
                              " is not in the catalog");
  }
  out.reasons = RefusalReasons(claim, *version, now_ms);
  if (!out.reasons.empty()) {
    out.kind = FileOutcome::Kind::kRefused;
    return out;
  }

  auto manual = [&](const Status& st) -> Result<FileOutcome> {
    storage::ClaimFiling f = filing.value_or(storage::ClaimFiling{});
    f.claim_id = claim.id;
    if (f.status != "intent") f.status = "manual";
    f.subject = package.subject;
    if (f.created_ms == 0) f.created_ms = now_ms;
    f.updated_ms = now_ms;
    RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(f));
    if (claim.state == kDetected) {
      RECOUP_RETURN_IF_ERROR(Move(store, claim, kReady,
                                  "prepared for filing in the console (the account has no "
                                  "Support API access)",
                                  now_ms));
    }
    FileOutcome m;
    m.kind = FileOutcome::Kind::kManual;
    m.reasons.push_back(st.message());
    return m;
  };

  // Service and category codes.
  std::string service_code = opt.fallback_service_code;
  std::string category_code = opt.fallback_category_code;
  auto services = support.DescribeServices();
  if (!services.ok()) {
    if (IsSubscriptionError(services.status())) return manual(services.status());
    out.reasons.push_back("DescribeServices failed (" + services.status().message() +
                          "); using the configured codes " + service_code + "/" + category_code);
  } else {
    const aws::SupportService* best = nullptr;
    for (const aws::SupportService& s : *services) {
      const std::string n = Lower(s.code + " " + s.name);
      if (n.find("billing") != std::string::npos) best = &s;
      if (best == nullptr && n.find("account") != std::string::npos) best = &s;
    }
    if (best != nullptr && !best->categories.empty()) {
      service_code = best->code;
      const aws::SupportCategory* cat = nullptr;
      for (const aws::SupportCategory& c : best->categories) {
        const std::string n = Lower(c.code + " " + c.name);
        if (n.find("sla") != std::string::npos || n.find("credit") != std::string::npos) {
          cat = &c;
          break;
        }
        if (cat == nullptr && n.find("other") != std::string::npos) cat = &c;
      }
      category_code = (cat != nullptr ? cat : &best->categories.front())->code;
    } else {
      out.reasons.push_back("no billing service in DescribeServices; using the configured codes " +
                            service_code + "/" + category_code);
    }
  }

  std::vector<aws::SupportAttachment> atts;
  for (const Attachment& a : package.attachments) {
    atts.push_back({a.file_name, package.files.at(a.path)});
  }
  auto set = support.AddAttachmentsToSet(atts);
  if (!set.ok()) {
    if (IsSubscriptionError(set.status())) return manual(set.status());
    return set.status().WithPrefix("claim " + claim.id + ": AddAttachmentsToSet");
  }

  // The intent, durable before the request leaves.
  storage::ClaimFiling intent = filing.value_or(storage::ClaimFiling{});
  intent.claim_id = claim.id;
  intent.status = "intent";
  intent.subject = package.subject;
  intent.attachment_set_id = set->attachment_set_id;
  intent.attempts += 1;
  if (intent.created_ms == 0) intent.created_ms = now_ms;
  intent.updated_ms = now_ms;
  RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(intent));
  filing = intent;

  aws::CreateCaseInput cc;
  cc.subject = package.subject;
  cc.communication_body = package.body;
  cc.service_code = service_code;
  cc.category_code = category_code;
  cc.severity_code = opt.severity_code;
  cc.issue_type = "customer-service";
  cc.language = opt.language;
  cc.attachment_set_id = set->attachment_set_id;
  auto case_id = support.CreateCase(cc);
  if (!case_id.ok()) {
    if (IsSubscriptionError(case_id.status())) {
      // AWS refused before creating anything.
      storage::ClaimFiling f = intent;
      f.status = "manual";
      RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(f));
      filing = f;
      return manual(case_id.status());
    }
    return case_id.status().WithPrefix(
        "claim " + claim.id +
        ": CreateCase (the case may or may not exist; the next run checks with DescribeCases "
        "before filing again)");
  }
  if (opt.after_create_case) opt.after_create_case(*case_id);
  RECOUP_RETURN_IF_ERROR(record_filed(*case_id, "filed"));
  out.kind = FileOutcome::Kind::kFiled;
  out.case_id = *case_id;
  return out;
}

// ---- follow-up ----

Result<SyncResult> SyncClaims(storage::Store& store, SupportPort* support, int64_t now_ms) {
  SyncResult out;
  RECOUP_ASSIGN_OR_RETURN(std::vector<storage::ClaimRecord> claims, store.ListClaims());
  for (storage::ClaimRecord c : claims) {
    const bool open_case =
        c.state == kFiled || c.state == kAwaitingCustomer || c.state == kApproved;
    // An unfinished filing attempt: find out whether the case exists.
    if (support != nullptr && IsUnfiled(c.state)) {
      RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimFiling> f, store.GetClaimFiling(c.id));
      if (f && f->status == "intent") {
        RECOUP_ASSIGN_OR_RETURN(std::optional<aws::SupportCase> found,
                                FindFiledCase(*support, c.id, f->created_ms));
        if (found) {
          f->status = "filed";
          f->case_id = found->case_id;
          f->updated_ms = now_ms;
          RECOUP_RETURN_IF_ERROR(store.PutClaimFiling(*f));
          c.case_id = found->case_id;
          c.filed_ms = now_ms;
          if (c.state == kDetected) {
            c.state = std::string(kReady);
            RECOUP_RETURN_IF_ERROR(
                store.TransitionClaim(c, std::string(kDetected), "evidence package built", now_ms));
          }
          RECOUP_RETURN_IF_ERROR(Move(store, c, kFiled,
                                      "found by reconciliation: AWS Support case " + found->case_id,
                                      now_ms));
          c.state = std::string(kFiled);
          ++out.transitions;
        }
      }
    }
    if (support != nullptr && !c.case_id.empty() &&
        (c.state == kFiled || c.state == kAwaitingCustomer)) {
      aws::DescribeCasesInput in;
      in.case_ids = {c.case_id};
      in.include_resolved_cases = true;
      in.include_communications = true;
      auto cases = support->DescribeCases(in);
      if (!cases.ok()) {
        out.notes.push_back("claim " + c.id + ": DescribeCases: " + cases.status().message());
      } else if (!cases->empty()) {
        ++out.cases_checked;
        const aws::SupportCase& kase = cases->front();
        std::vector<aws::SupportCommunication> comms = kase.recent_communications;
        auto all = support->DescribeCommunications(c.case_id);
        if (all.ok()) {
          comms = *all;
        } else {
          out.notes.push_back("claim " + c.id + ": DescribeCommunications: " +
                              all.status().message() + " (kept the recent ones)");
        }
        std::sort(comms.begin(), comms.end(),
                  [](const auto& a, const auto& b) { return a.time_created < b.time_created; });
        for (const aws::SupportCommunication& m : comms) {
          storage::ClaimCommunication sc;
          sc.claim_id = c.id;
          sc.case_id = c.case_id;
          sc.time_created = m.time_created;
          sc.submitted_by = m.submitted_by;
          sc.body = m.body;
          for (const auto& a : m.attachments) sc.attachments.push_back(a.file_name);
          RECOUP_ASSIGN_OR_RETURN(bool added, store.PutClaimCommunication(sc));
          if (added) ++out.new_communications;
        }
        c.case_status = kase.status;
        if (!kase.display_id.empty()) c.display_id = kase.display_id;
        std::optional<std::string> next = StateForCaseStatus(kase.status, c.state);
        std::string reason = "AWS Support case " + c.case_id + " is " + kase.status;
        if (!next && kase.status == "resolved") {
          for (auto it = comms.rbegin(); it != comms.rend(); ++it) {
            if (FromCustomer(*it)) continue;
            if (auto v = VerdictInText(it->body)) {
              next = std::string(*v);
              reason = "AWS answered on " + it->time_created + ": " +
                       it->body.substr(0, std::min<size_t>(it->body.size(), 200));
            }
            break;
          }
        }
        if (next && *next != c.state) {
          RECOUP_RETURN_IF_ERROR(Move(store, c, *next, reason, now_ms));
          c.state = *next;
          ++out.transitions;
        } else {
          c.updated_ms = now_ms;
          RECOUP_RETURN_IF_ERROR(store.PutClaim(c, ""));
        }
      }
    }
    // Credits on a later bill.
    if (open_case || c.state == kFiled || c.state == kAwaitingCustomer) {
      storage::SeriesFilter f;
      f.account = c.account;
      f.region = c.region;
      f.service = c.service;
      RECOUP_ASSIGN_OR_RETURN(std::vector<storage::ChargeRecord> charges, store.ListCharges(f));
      Rational credited = 0;
      std::string where;
      for (const storage::ChargeRecord& ch : charges) {
        if (ch.month <= c.month || ch.origin != "cur" || ch.credits >= 0) continue;
        credited -= ch.credits;
        where += (where.empty() ? "" : ", ") + ch.month.ToString();
      }
      if (credited > 0) {
        c.credit_received = credited;
        c.credited_ms = now_ms;
        RECOUP_RETURN_IF_ERROR(Move(store, c, kCredited,
                                    "credit of $" + FormatUsd(credited) +
                                        " on the bill of " + where + " (Cost and Usage Report)",
                                    now_ms));
        ++out.credited;
        ++out.transitions;
      }
    }
  }
  return out;
}

Status AddNote(storage::Store& store, SupportPort* support, const std::string& claim_id,
               const std::string& text, const std::string& case_id, int64_t now_ms) {
  RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimRecord> found, store.GetClaim(claim_id));
  if (!found) return NotFound("claim " + claim_id + ": no such claim (recoup claims list)");
  storage::ClaimRecord c = *found;
  if (!case_id.empty()) {
    if (!c.case_id.empty() && c.case_id != case_id) {
      return FailedPrecondition("claim " + claim_id + " is already case " + c.case_id);
    }
    storage::ClaimFiling f;
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
    c.filed_ms = now_ms;
    if (c.state == kDetected) {
      c.state = std::string(kReady);
      RECOUP_RETURN_IF_ERROR(
          store.TransitionClaim(c, std::string(kDetected), "filed by hand", now_ms));
    }
    if (c.state == kReady) {
      RECOUP_RETURN_IF_ERROR(
          Move(store, c, kFiled, "filed in the console as AWS Support case " + case_id, now_ms));
      c.state = std::string(kFiled);
    }
  } else if (!c.case_id.empty() && support != nullptr) {
    RECOUP_RETURN_IF_ERROR(support->AddCommunicationToCase(c.case_id, text)
                               .status()
                               .WithPrefix("claim " + claim_id + ": AddCommunicationToCase"));
  }
  storage::ClaimCommunication m;
  m.claim_id = c.id;
  m.case_id = c.case_id;
  m.time_created = FormatTimestamp(now_ms, true);
  m.submitted_by = support != nullptr && !c.case_id.empty() && case_id.empty()
                       ? "customer (sent with recoup claims note)"
                       : "customer (local note)";
  m.body = text;
  RECOUP_RETURN_IF_ERROR(store.PutClaimCommunication(m).status());
  if (c.state == kAwaitingCustomer && support != nullptr && case_id.empty()) {
    RECOUP_RETURN_IF_ERROR(Move(store, c, kFiled, "replied to AWS", now_ms));
  }
  return Status::Ok();
}

Status SetState(storage::Store& store, const std::string& claim_id, const std::string& state,
                const std::string& reason, int64_t now_ms) {
  if (!IsKnownState(state)) return InvalidArgument("STATE: unknown state '" + state + "'");
  RECOUP_ASSIGN_OR_RETURN(std::optional<storage::ClaimRecord> found, store.GetClaim(claim_id));
  if (!found) return NotFound("claim " + claim_id + ": no such claim (recoup claims list)");
  return Move(store, *found, state, reason.empty() ? "set by hand" : reason, now_ms);
}

}  // namespace recoup::claims
