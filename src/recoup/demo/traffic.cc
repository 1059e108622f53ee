#include "recoup/demo/traffic.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "recoup/demo/generator.h"
#include "recoup/demo/random.h"
#include "recoup/demo/records.h"
#include "recoup/demo/text.h"

namespace recoup::demo {
namespace {

// Relative traffic by local hour of day, percent.
constexpr std::array<int, 24> kDiurnal = {45,  40,  35,  35,  38,  45,  60,  80, 105, 125, 135, 140,
                                          135, 135, 140, 140, 130, 115, 100, 90, 80,  70,  60,  50};

Cls Classify(const KeyDef* key, const Outcome& o) {
  if (key != nullptr && key->kind == KeyKind::kXks) return kCustomKeyStore;
  if (o.code.empty()) return kSuccess;
  if (o.code == "ThrottlingException") return kThrottling;
  if (o.code == "KMSInternalException" || o.code == "DependencyTimeoutException" ||
      o.code == "KeyUnavailableException") {
    return kServerError;
  }
  return kClientError;
}

Outcome InternalError() {
  return {"KMSInternalException", "An internal error has occurred. Try your request again.", 500};
}

// A server error of the outage: 55% internal, 25% dependency timeout, 20%
// key unavailable.
Outcome ServerError(Rng& rng) {
  const uint64_t r = rng.Below(100);
  if (r < 55) return InternalError();
  if (r < 80) {
    return {"DependencyTimeoutException",
            "The system timed out while trying to fulfill the request. You can retry the request.",
            503};
  }
  return {"KeyUnavailableException",
          "The request was rejected because the specified KMS key was not available. You can "
          "retry the request.",
          500};
}

class CellGenerator {
 public:
  CellGenerator(const Cell& cell, const Windows& w, uint64_t seed, CellResult* out)
      : cell_(cell),
        w_(w),
        seed_(seed),
        rng_(HashString(seed, "traffic/" + cell.account + "/" + cell.region)),
        out_(out) {
    out_->intervals.assign(static_cast<size_t>(w.Intervals()), {});
    role_ids_.reserve(cell.actors.size());
    last_session_.assign(cell.actors.size(), {0, nullptr});
    for (const Actor& a : cell.actors) {
      Rng r(HashString(seed, "role/" + cell.account + "/" + a.role));
      role_ids_.push_back("AROA" + RandomChars(r, kBase32, 17));
    }
  }

  void Run() {
    std::vector<Intent> intents;
    for (int64_t iv = 0; iv < w_.Intervals(); ++iv) {
      PlanInterval(w_.month_start + iv * kIntervalMs, &intents);
      for (const Intent& in : intents) Call(in);
    }
  }

 private:
  // A call an actor will make, before its outcome is known.
  struct Intent {
    int64_t ms;
    size_t actor;
    bool server_error;  // an outage failure (actors without SDK retries)
  };

  // The mean number of calls x1000 actor `a` makes in the interval at t0.
  int64_t RateMilli(const Actor& a, int64_t t0) const {
    const int64_t days = FloorDiv(t0, kMsPerDay);
    const int weekday = static_cast<int>((days + 4) % 7);  // 0 = Sunday
    const int64_t local_hour = ((t0 / kHourMs + cell_.utc_offset_hours) % 24 + 24) % 24;
    const int64_t utc_hour = (t0 - days * kMsPerDay) / kHourMs;
    int64_t lam = a.rate_milli * kDiurnal[static_cast<size_t>(local_hour)] / 100;
    if (weekday == 0 || weekday == 6) lam = lam * cell_.weekend_percent / 100;
    if (a.settlement_batch && utc_hour == 9) lam += 16000;
    if (a.throttled && w_.InThrottle(t0)) lam += 20000;  // a backfill job
    if (!a.keys.empty() && cell_.keys[static_cast<size_t>(a.keys[0])].kind == KeyKind::kXks &&
        w_.InXks(t0)) {
      lam *= 3;  // the ledger's retries
    }
    return lam;
  }

  // The interval's calls of every actor, in time order, with the outage's
  // failures chosen.
  void PlanInterval(int64_t t0, std::vector<Intent>* intents) {
    intents->clear();
    for (size_t ai = 0; ai < cell_.actors.size(); ++ai) {
      const int64_t count = Binomial(RateMilli(cell_.actors[ai], t0));
      for (int64_t k = 0; k < count; ++k) {
        intents->push_back({t0 + static_cast<int64_t>(rng_.Below(kIntervalMs)), ai, false});
      }
    }
    if (cell_.outage && w_.InOutage(t0)) ChooseOutageFailures(*intents, t0);
    std::sort(intents->begin(), intents->end(),
              [](const Intent& a, const Intent& b) { return a.ms < b.ms; });
  }

  void Call(const Intent& in) {
    const Actor& a = cell_.actors[in.actor];
    if (a.sdk_app) {
      AppCall(a, in.actor, in.ms);
    } else {
      SimpleCall(a, in.actor, in.ms, in.server_error);
    }
    if (a.other_services && rng_.Chance(2, 100)) OtherServiceCall(a, in.actor, in.ms);
  }

  // Draws a call count with mean lam/1000 as a binomial over small slots,
  // in integers only.
  int64_t Binomial(int64_t lam_milli) {
    if (lam_milli <= 0) return 0;
    const int64_t trials = std::max<int64_t>(24, (lam_milli * 2 + 999) / 1000);
    const uint64_t threshold = static_cast<uint64_t>(lam_milli) * (uint64_t{1} << 32) /
                               static_cast<uint64_t>(trials * 1000);
    int64_t n = 0;
    for (int64_t i = 0; i < trials; ++i) n += (rng_.Next() >> 32) < threshold ? 1 : 0;
    return n;
  }

  // Whether the outage's failures are chosen per call (not per SDK attempt).
  bool FailsPerCall(const Actor& a) const {
    return !a.sdk_app && a.fixed_error == FixedError::kNone;
  }

  // Marks the interval's share of failing calls among those that can fail.
  void ChooseOutageFailures(std::vector<Intent>& intents, int64_t t0) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < intents.size(); ++i)
      if (FailsPerCall(cell_.actors[intents[i].actor])) idx.push_back(i);
    // Every outage interval shows the failure in every affected account.
    size_t main_actor = 0;
    while (main_actor < cell_.actors.size() && !FailsPerCall(cell_.actors[main_actor])) {
      ++main_actor;
    }
    while (idx.size() < 2 && main_actor < cell_.actors.size()) {
      intents.push_back({t0 + static_cast<int64_t>(rng_.Below(kIntervalMs)), main_actor, false});
      idx.push_back(intents.size() - 1);
    }
    const int64_t pct = w_.OutageFailPercent(t0);
    const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(idx.size()) * pct / 100);
    for (int64_t i = 0; i < k; ++i) {  // partial Fisher-Yates
      const size_t j = static_cast<size_t>(i) + rng_.Below(idx.size() - static_cast<size_t>(i));
      std::swap(idx[static_cast<size_t>(i)], idx[j]);
      intents[idx[static_cast<size_t>(i)]].server_error = true;
    }
  }

  const char* PickOp(const Actor& a) {
    int total = 0;
    for (const OpWeight& o : a.ops) total += o.weight;
    int r = static_cast<int>(rng_.Below(static_cast<uint64_t>(total)));
    for (const OpWeight& o : a.ops) {
      if (r < o.weight) return o.op;
      r -= o.weight;
    }
    return a.ops.back().op;
  }

  const KeyDef* PickKey(const Actor& a, std::string_view op) {
    if (op == "Sign") return &cell_.keys[static_cast<size_t>(a.sign_key)];
    if (a.tenant_percent > 0 && cell_.tenant_end > cell_.tenant_begin &&
        rng_.Chance(static_cast<uint64_t>(a.tenant_percent), 100)) {
      return &cell_.keys[static_cast<size_t>(rng_.Range(cell_.tenant_begin, cell_.tenant_end - 1))];
    }
    return &cell_.keys[static_cast<size_t>(a.keys[rng_.Below(a.keys.size())])];
  }

  const KeyDef* PickDest(const Actor& a, const KeyDef* src) {
    const KeyDef* d = &cell_.keys[static_cast<size_t>(a.keys[0])];
    if (d == src && a.keys.size() > 1) d = &cell_.keys[static_cast<size_t>(a.keys[1])];
    if (d == src) d = &cell_.keys[0];
    return d;
  }

  // The session actor `a` calls with at `ms`: one per credential period
  // (4 hours on Lambda, 6 elsewhere), shared by actors with one session_key.
  const Session& GetSession(const Actor& a, size_t actor_index, int64_t ms) {
    const int64_t period = a.host == Host::kLambda ? 4 * kHourMs : 6 * kHourMs;
    const int64_t idx = ms / period;
    // Periods divide a day, so an ECS session never spans two task IDs.
    auto& last = last_session_[actor_index];
    if (last.second != nullptr && last.first == idx) return *last.second;
    auto key = std::make_pair(a.session_key, idx);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) {
      it = sessions_.emplace(key, NewSession(a, actor_index, ms, idx, period)).first;
    }
    last = {idx, &it->second};
    return it->second;
  }

  Session NewSession(const Actor& a, size_t actor_index, int64_t ms, int64_t idx, int64_t period) {
    Rng r(HashString(seed_,
                     "session/" + cell_.account + "/" + a.session_key + "/" + std::to_string(idx)));
    Session s;
    s.access_key = "ASIA" + RandomChars(r, kBase32, 16);
    s.role_id = role_ids_[actor_index];
    s.session_name = SessionName(a, ms);
    s.principal_id = s.role_id + ":" + s.session_name;
    s.creation = Iso(idx * period - r.Range(60, 900) * 1000);
    s.token = "IQoJb3JpZ2luX2VjE" + RandomChars(r, kAlnum, 4) + "//////////wEaCX" +
              RandomChars(r, kBase64, 620);
    s.identity = IdentityJson(cell_, a, s);
    return s;
  }

  // The role session name: the ECS task ID of the day, the Lambda function,
  // the EC2 instance ID, or Glue's fixed name.
  std::string SessionName(const Actor& a, int64_t ms) const {
    switch (a.host) {
      case Host::kEcs: {
        Rng day(HashString(
            seed_, "task/" + a.session_key + "/" + std::to_string(FloorDiv(ms, kMsPerDay))));
        return RandomChars(day, kHex, 32);
      }
      case Host::kLambda:
        return a.session_key;
      case Host::kEc2: {
        Rng inst(HashString(seed_, "instance/" + a.session_key));
        return "i-0" + RandomChars(inst, kHex, 16);
      }
      case Host::kGlue:
        break;
    }
    return "GlueJobRunnerSession";
  }

  // keyId as the caller supplied it: alias name, key ARN or key ID.
  std::string KeyRef(const Actor& a, const KeyDef& k) {
    if (!a.invoked_by.empty() || k.alias.empty()) return k.arn;
    const uint64_t r = rng_.Below(100);
    if (r < 50) return "alias/" + k.alias;
    if (r < 75) return k.arn;
    return k.id;
  }

  Outcome ClientError(const Actor& a, const Session& s, std::string_view op, const KeyDef* key,
                      const KeyDef** resolved, std::string* key_ref) {
    const uint64_t r = rng_.Below(100);
    if (r < 40 || (op != "Decrypt" && r >= 60) || op == "ReEncrypt") {
      return {"AccessDeniedException",
              "User: arn:aws:sts::" + cell_.account + ":assumed-role/" + a.role + "/" +
                  s.session_name + " is not authorized to perform: kms:" + std::string(op) +
                  " on resource: " + key->arn +
                  " because no identity-based policy allows the kms:" + std::string(op) + " action",
              400};
    }
    if (r < 60) {
      const std::string alias = (key->alias.empty() ? std::string("tenant") : key->alias) + "-v1";
      *key_ref = "alias/" + alias;
      *resolved = nullptr;
      return {"NotFoundException",
              "Alias arn:aws:kms:" + cell_.region + ":" + cell_.account + ":alias/" + alias +
                  " is not found.",
              404};
    }
    if (r < 75) {
      return {"IncorrectKeyException",
              "The key ID in the request does not identify a KMS key that can perform this "
              "operation.",
              400};
    }
    return {"InvalidCiphertextException", "", 400};
  }

  // Decides a non-server outcome: fixed errors, XKS, throttling, scattered
  // client errors. `key` and `key_ref` may be changed (NotFound has no key).
  Outcome OrdinaryOutcome(const Actor& a, const Session& s, std::string_view op, int64_t ms,
                          const KeyDef** key, std::string* key_ref, bool allow_client) {
    const KeyDef* k = *key;
    if (a.fixed_error == FixedError::kDisabled)
      return {"DisabledException", k->arn + " is disabled.", 409};
    if (a.fixed_error == FixedError::kPendingDeletion) {
      return {"KMSInvalidStateException", k->arn + " is pending deletion.", 409};
    }
    if (k->kind == KeyKind::kXks && w_.InXks(ms)) {
      return {"KMSInvalidStateException",
              "The external key store proxy did not respond to the request within the timeout "
              "allowed by AWS KMS. Retry the request. If you see this error repeatedly, report "
              "it to your external key store proxy administrator.",
              409};
    }
    if (a.throttled && w_.InThrottle(ms) && rng_.Chance(60, 100)) {
      return {"ThrottlingException",
              "You have exceeded the rate at which you may call KMS. Reduce the frequency of "
              "your calls.",
              400};
    }
    if (allow_client && a.scattered_errors && rng_.Chance(25, 10000)) {
      return ClientError(a, s, op, k, key, key_ref);
    }
    return {};
  }

  // Builds and stores one KMS CloudTrail record and counts it.
  void EmitKms(const Actor& a, size_t actor_index, int64_t ms, std::string_view op,
               const KeyDef* key, const KeyDef* dest, std::string key_ref, const Outcome& o,
               const std::string& request_id) {
    const Session& s = GetSession(a, actor_index, ms);
    const KmsCall call{&a, &s, ms, op, key, dest, std::move(key_ref), &o, request_id};
    out_->records.push_back({ms, seq_++, KmsRecordJson(cell_, call, rng_)});
    CountKms(ms, op, key, o);
  }

  void CountKms(int64_t ms, std::string_view op, const KeyDef* key, const Outcome& o) {
    const Cls cls = Classify(key, o);
    ++out_->kms_records;
    ++out_->classes[cls];
    if (cls == kCustomKeyStore && !o.code.empty()) ++out_->custom_key_store_failed;
    const int64_t sec_ms = ms / 1000 * 1000;
    IntervalStat& st =
        out_->intervals[static_cast<size_t>((sec_ms - w_.month_start) / kIntervalMs)];
    if (cls != kCustomKeyStore) ++st.requests;
    if (cls == kServerError) ++st.server_errors;
    if (cls != kThrottling) ++out_->billable_ops[std::string(op)];
  }

  // One call of a caller without SDK retries: one record.
  void SimpleCall(const Actor& a, size_t ai, int64_t ms, bool server_error) {
    const char* op = PickOp(a);
    const KeyDef* key = PickKey(a, op);
    const KeyDef* dest = std::string_view(op) == "ReEncrypt" ? PickDest(a, key) : nullptr;
    std::string key_ref = KeyRef(a, *key);
    const Session& s = GetSession(a, ai, ms);
    Outcome o =
        server_error ? ServerError(rng_) : OrdinaryOutcome(a, s, op, ms, &key, &key_ref, true);
    if (key == nullptr) dest = nullptr;
    EmitKms(a, ai, ms, op, key, dest, std::move(key_ref), o, Uuid(rng_));
  }

  // One SDK attempt and whether CloudTrail logs it and the SDK retries it.
  struct Attempt {
    CsmAttempt csm;
    bool in_cloudtrail = true;
    bool retryable = false;
  };

  // An attempt the outage fails: 10% time out (40% of those connecting),
  // 14% get a 500 KMS does not log, the others a logged server error.
  void OutageFailure(Attempt* at) {
    CsmAttempt& c = at->csm;
    const uint64_t r = rng_.Below(100);
    if (r < 10) {
      at->in_cloudtrail = false;
      if (rng_.Chance(2, 5)) {
        c.sdk_exception = "ConnectTimeoutError";
        c.latency = 2000 + rng_.Range(0, 4);
      } else {
        c.sdk_exception = "ReadTimeoutError";
        c.latency = 5000 + rng_.Range(0, 6);
      }
    } else if (r < 24) {
      at->in_cloudtrail = false;  // KMS answered 500 but logged nothing
      c.outcome = InternalError();
      c.latency = rng_.Range(30, 400);
    } else {
      c.outcome = ServerError(rng_);
      c.latency = c.outcome.http == 503 ? rng_.Range(1500, 4500) : rng_.Range(20, 600);
    }
    at->retryable = true;
  }

  // Decides the attempt at `t`; `key` and `key_ref` as in OrdinaryOutcome.
  Attempt TryOnce(const Actor& a, const Session& s, std::string_view op, int64_t t, bool first,
                  const KeyDef** key, std::string* key_ref) {
    Attempt at;
    at.csm.ms = t;
    const bool outage = cell_.outage && w_.InOutage(t);
    if (outage && rng_.Chance(static_cast<uint64_t>(w_.OutageFailPercent(t)), 100)) {
      OutageFailure(&at);
    } else {
      at.csm.outcome = OrdinaryOutcome(a, s, op, t, key, key_ref, first);
      at.csm.latency = outage ? rng_.Range(40, 900) : rng_.Range(6, 45);
    }
    if (at.csm.sdk_exception.empty()) at.csm.request_id = Uuid(rng_);
    return at;
  }

  // The attempt's datagram and what the truth file counts of it.
  void RecordCsmAttempt(const Actor& a, const Session& s, std::string_view op, const Attempt& at) {
    CsmTruth& ct = out_->csm_truth;
    const CsmAttempt& c = at.csm;
    ++ct.attempts;
    if (at.in_cloudtrail) ++ct.attempts_in_cloudtrail;
    if (std::find(ct.access_keys.begin(), ct.access_keys.end(), s.access_key) ==
        ct.access_keys.end()) {
      ct.access_keys.push_back(s.access_key);
    }
    const int64_t iv = (c.ms - w_.month_start) / kIntervalMs;
    if (!c.sdk_exception.empty()) {
      ct.no_response.push_back({c.ms, std::string(op), c.sdk_exception});
      ++ct.intervals[iv].no_response;
    } else if (!at.in_cloudtrail) {
      ct.csm_only.push_back({c.ms, c.request_id, std::string(op), c.outcome.code, c.outcome.http});
      ++ct.intervals[iv].csm_only_server_errors;
    }
    out_->csm.push_back({c.ms + c.latency, seq_++, CsmAttemptJson(cell_, a, s, op, c)});
  }

  // One boto3 call (standard retry mode, 3 attempts, connect_timeout=2,
  // read_timeout=5) as CloudTrail and, on the outage day, CSM see it.
  void AppCall(const Actor& a, size_t ai, int64_t start) {
    const char* op = PickOp(a);
    const KeyDef* key = PickKey(a, op);
    const KeyDef* dest = std::string_view(op) == "ReEncrypt" ? PickDest(a, key) : nullptr;
    const std::string key_ref = KeyRef(a, *key);
    const bool csm = a.emits_csm && w_.DayOfMonth(start) == kOutageDay;
    int64_t t = start + rng_.Range(1, 3);
    int attempts = 0;
    Attempt at;
    while (true) {
      ++attempts;
      const Session& s = GetSession(a, ai, t);
      const KeyDef* k = key;
      std::string ref = key_ref;
      at = TryOnce(a, s, op, t, attempts == 1, &k, &ref);
      if (at.in_cloudtrail) {
        EmitKms(a, ai, t, op, k, k == nullptr ? nullptr : dest, ref, at.csm.outcome,
                at.csm.request_id);
      }
      if (csm) RecordCsmAttempt(a, s, op, at);
      if (!at.retryable || attempts == 3) break;
      // Standard mode: exponential backoff with full jitter, base 1 s.
      t = t + at.csm.latency + rng_.Range(1, 1000 << attempts);
    }
    const int64_t end = t + at.csm.latency + rng_.Range(1, 2);
    if (!csm) return;
    CsmTruth& ct = out_->csm_truth;
    ++ct.api_calls;
    const bool exceeded = at.retryable && attempts == 3;
    if (exceeded) ++ct.max_retries_exceeded;
    out_->csm.push_back(
        {end, seq_++, CsmApiCallJson(cell_, a, op, start, end, attempts, at.csm, exceeded)});
  }

  // About 2% of a trail is other services: the same callers' STS, S3 and
  // Secrets Manager calls.
  void OtherServiceCall(const Actor& a, size_t ai, int64_t ms) {
    ms = std::min(ms + rng_.Range(0, 30000), w_.month_end - 1);
    const Session& s = GetSession(a, ai, ms);
    out_->records.push_back({ms, seq_++, OtherServiceRecordJson(cell_, a, s, ms, rng_)});
    ++out_->other_service_records;
  }

  const Cell& cell_;
  const Windows& w_;
  uint64_t seed_;
  Rng rng_;
  CellResult* out_;
  uint32_t seq_ = 0;
  std::vector<std::string> role_ids_;
  std::map<std::pair<std::string, int64_t>, Session> sessions_;
  std::vector<std::pair<int64_t, const Session*>> last_session_;  // per actor
};

}  // namespace

CellResult GenerateTraffic(const Cell& cell, const Windows& w, uint64_t seed) {
  CellResult out;
  CellGenerator(cell, w, seed, &out).Run();
  return out;
}

}  // namespace recoup::demo
