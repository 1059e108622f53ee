// The seam between SLA families: a Measure turns one month's intervals into
// the uptime figures of a Verdict, as an aggregate with four steps (after
// DuckDB's aggregate functions):
//   Init      a fresh state for one (version, month);
//   Update    folds one interval in (INVALID_ARGUMENT names a bad one);
//   Combine   merges another state of the same month over other intervals
//             (partial states built apart: per source, per thread, per day);
//   Finalize  writes the figures into the verdict: intervals, counts, the
//             sum the SLA averages, MUP and the customer's view of it.
// Pricing the verdict (tier, credit, minimum, deadline) is the same for every
// family and stays in sla::Evaluate.
//
// Today's family is the request error rate per interval (KMS, and every SLA
// that counts failed requests); per-minute resource availability is a second
// implementation of the same interface. Pure; a Measure is stateless and
// thread-safe, a state is used by one thread at a time.
#pragma once

#include <memory>
#include <string_view>

#include "recoup/core/status.h"
#include "recoup/core/time.h"
#include "recoup/sla/catalog.h"
#include "recoup/sla/evaluator.h"

namespace recoup::sla {

class MeasureState {
 public:
  virtual ~MeasureState() = default;
};

class Measure {
 public:
  virtual ~Measure() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<MeasureState> Init(const SlaVersion& version, YearMonth month) const = 0;
  virtual Status Update(MeasureState& state, const IntervalCounts& interval) const = 0;
  // REQUIRES: `other` comes from Init of this measure with the same version
  // and month. An interval present in both is INVALID_ARGUMENT.
  virtual Status Combine(MeasureState& state, const MeasureState& other) const = 0;
  virtual void Finalize(const MeasureState& state, Verdict* out) const = 0;
};

// The measure a version names (SlaVersion::measure); the catalog accepts
// only names that have one.
const Measure& MeasureFor(const SlaVersion& version);

}  // namespace recoup::sla
