// The demo's evidence as AWS writes it: CloudTrail records (KMS and the few
// other services' calls a trail also holds) and the AWS SDK's client-side
// monitoring (CSM) datagrams, as JSON text with AWS's field order. Internal to
// recoup_demo.
//
// These functions decide nothing about what happened: the traffic generator
// gives the call, its caller, session and outcome. The ones taking an Rng draw
// the details AWS adds (event IDs, encryption contexts, source address); they
// draw in a fixed order, which the byte-identical output depends on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "recoup/demo/random.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

// The temporary credentials an actor's calls carry in one credential period.
struct Session {
  std::string access_key, principal_id, role_id, session_name, creation, token;
  std::string identity;  // IdentityJson(): userIdentity up to (excluding) invokedBy
};

// What KMS answered to one attempt.
struct Outcome {
  std::string code;  // empty on success
  std::string message;
  int http = 200;
};

// The "userIdentity":{...} of an assumed-role session, without invokedBy and
// the closing brace (AppendIdentity adds them per call).
std::string IdentityJson(const Cell& cell, const Actor& a, const Session& s);

// One KMS call as its CloudTrail record shows it.
struct KmsCall {
  const Actor* actor = nullptr;
  const Session* session = nullptr;
  int64_t ms = 0;
  std::string_view op;
  const KeyDef* key = nullptr;   // nullptr when the key was not found
  const KeyDef* dest = nullptr;  // ReEncrypt's destination key, else nullptr
  std::string key_ref;           // keyId as the caller gave it
  const Outcome* outcome = nullptr;
  std::string request_id;
};

// The JSON of one KMS CloudTrail record (eventVersion 1.11).
std::string KmsRecordJson(const Cell& cell, const KmsCall& call, Rng& rng);

// The JSON of one STS AssumeRole, S3 ListBuckets or Secrets Manager
// GetSecretValue record of actor `a` at `ms` (40/20/40%).
std::string OtherServiceRecordJson(const Cell& cell, const Actor& a, const Session& s, int64_t ms,
                                   Rng& rng);

// One SDK attempt as CSM reports it: answered (outcome and request ID) or
// not (sdk_exception "ConnectTimeoutError" or "ReadTimeoutError").
struct CsmAttempt {
  int64_t ms = 0;
  int64_t latency = 0;
  Outcome outcome;
  std::string sdk_exception;  // empty when KMS answered
  std::string request_id;     // empty when KMS did not answer
};

// botocore's ApiCallAttempt datagram.
std::string CsmAttemptJson(const Cell& cell, const Actor& a, const Session& s, std::string_view op,
                           const CsmAttempt& attempt);

// botocore's ApiCall datagram: the call from `start` to `end` after
// `attempts` attempts, `last` being the final one.
std::string CsmApiCallJson(const Cell& cell, const Actor& a, std::string_view op, int64_t start,
                           int64_t end, int attempts, const CsmAttempt& last, bool exceeded);

}  // namespace recoup::demo
