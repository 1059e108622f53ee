// truth.json: what the generator knows, counted while generating, and the
// MUP, tier and credit these imply under the 2022 KMS SLA. Internal to
// recoup_demo.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recoup/demo/generator.h"
#include "recoup/demo/traffic.h"
#include "recoup/demo/world.h"

namespace recoup::demo {

struct TruthInputs {
  const DemoOptions* options = nullptr;
  const Windows* windows = nullptr;
  const std::vector<Cell>* cells = nullptr;
  const std::vector<CellResult>* results = nullptr;   // cell 0 holds the CSM truth
  const std::vector<int64_t>* kms_charges = nullptr;  // per cell, 1e-10 USD
  const DemoManifest* manifest = nullptr;             // counts of what was written
};

// The text of truth.json (two-space indented, ending in a newline).
std::string RenderTruth(const TruthInputs& in);

}  // namespace recoup::demo
