// truth.json: what the generator knows, counted while generating, and the
// MUP, tier and credit these imply under the 2022 KMS SLA. Internal to
// recoup_demo.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "recoup/demo/generator.h"
#include "recoup/demo/services.h"
#include "recoup/demo/traffic.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

struct TruthInputs {
  const DemoOptions* options = nullptr;
  const Windows* windows = nullptr;
  const std::vector<Cell>* cells = nullptr;
  const std::vector<CellResult>* results = nullptr;     // cell 0 holds the CSM truth
  const std::vector<int64_t>* kms_charges = nullptr;    // per cell, 1e-10 USD
  const DemoManifest* manifest = nullptr;               // counts of what was written
  const std::vector<ServicesCell>* services = nullptr;  // per cell: the other services
  // Usage charges (1e-10 USD) per (account, Region, product code).
  const std::map<std::tuple<std::string, std::string, std::string>, int64_t>* usage = nullptr;
};

// The text of truth.json (two-space indented, ending in a newline).
std::string RenderTruth(const TruthInputs& in);

}  // namespace recoup::demo
