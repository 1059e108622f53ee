// The demo month's other services: DynamoDB, Lambda, SQS, API Gateway and S3
// traffic of each cell, with the day-20 partial outage in us-east-1 that hits
// several of them at once (as us-east-1 did on October 20, 2025), as the
// evidence users keep of them: CloudTrail data events in a data-event trail,
// botocore CSM of the payments application's DynamoDB calls, S3 server access
// logs and API Gateway access logs; their charges for the CUR; and the truth
// per series. Internal to recoup_demo.
//
// Each cell draws from its own streams: a pure function of (cell, month,
// seed), independent of the KMS traffic's streams (the KMS files stay the
// same bytes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "recoup/demo/traffic.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

inline constexpr int kServicesOutageDay = 20;  // 06:50-09:20 UTC in us-east-1

// The services each cell uses, by catalog key.
std::vector<std::string> CellServices(const Cell& cell);

// One (account, Region, service) as the generator counted it.
struct ServiceTruth {
  std::string account, region, service;
  // interval index -> (counted requests, server errors): every interval with
  // a server error (the others have error rate 0).
  std::map<int64_t, std::pair<int64_t, int64_t>> failing;
  int64_t requests = 0, server_errors = 0, throttled = 0, client_errors = 0;
};

// A Usage row of the CUR for one of these services.
struct ServiceCharge {
  std::string account, region, product, product_name, usage_type, operation, family, unit,
      description;
  int64_t amount = 0, rate = 0, cost = 0;  // 1e-10 units (cost = amount x rate)
};

struct ServicesCell {
  std::vector<CtRecord> data_events;                          // for the data-event trail, unsorted
  std::vector<std::pair<int64_t, std::string>> s3_log_lines;  // (ms, line)
  std::vector<std::pair<int64_t, std::string>> apigateway_lines;  // (ms, line)
  std::vector<CsmLine> csm;  // payments us-east-1's DynamoDB calls in the outage
  std::vector<ServiceTruth> truth;
  std::vector<ServiceCharge> charges;
};

// The outage's failing share (percent) of `service`'s calls in outage
// interval `i` (0..29), 0 outside the services the outage hits.
int ServicesOutagePercent(const std::string& service, int i);

ServicesCell GenerateServices(const Cell& cell, const Windows& w, uint64_t seed);

}  // namespace recoup::demo
