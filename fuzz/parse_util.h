// Shared driver for the RecordParser harnesses (fuzz_cloudtrail, fuzz_csm,
// fuzz_jsonl): split the input with RecordStream, parse every record, and
// check what every accepted event must satisfy.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/events/event.h"
#include "recoup/ingest/record_parser.h"
#include "recoup/ingest/record_stream.h"
#include "recoup/io/byte_source.h"
#include "recoup/sla/catalog.h"

namespace recoup::fuzz {

inline const char* OutcomeName(ingest::ParseOutcome o) {
  switch (o) {
    case ingest::ParseOutcome::kAccepted:
      return "accepted";
    case ingest::ParseOutcome::kSkipped:
      return "skipped";
    case ingest::ParseOutcome::kRejected:
      return "rejected";
  }
  return "?";
}

// Checks one Parse result. Reads every byte of every view (via Event::From),
// so ASan reports a view that dangles or overruns its buffer.
inline events::Event CheckParsed(ingest::ParseOutcome o, const events::EventView& ev,
                                 const std::string& error, const sla::Catalog& catalog,
                                 std::string_view record) {
  FUZZ_CHECK(o == ingest::ParseOutcome::kAccepted || o == ingest::ParseOutcome::kSkipped ||
                 o == ingest::ParseOutcome::kRejected,
             "bad outcome %d", static_cast<int>(o));
  if (o == ingest::ParseOutcome::kRejected) {
    FUZZ_CHECK(!error.empty(), "rejected without an error for '%s'", Escape(record).c_str());
    FUZZ_CHECK(error.rfind("line ", 0) == 0, "error does not say where: %s", Escape(error).c_str());
    return {};
  }
  if (o != ingest::ParseOutcome::kAccepted) return {};
  const events::Event e = events::Event::From(ev);
  FUZZ_CHECK(!e.account.empty(), "accepted without an account: '%s'", Escape(record).c_str());
  FUZZ_CHECK(!e.region.empty(), "accepted without a region: '%s'", Escape(record).c_str());
  FUZZ_CHECK(catalog.Find(e.service) != nullptr, "accepted service '%s' not in the catalog",
             Escape(e.service).c_str());
  FUZZ_CHECK(static_cast<int>(e.outcome) < events::kOutcomeClassCount, "bad outcome class %d",
             static_cast<int>(e.outcome));
  FUZZ_CHECK(static_cast<int>(e.source) < events::kSourceKindCount, "bad source %d",
             static_cast<int>(e.source));
  if (e.source == events::SourceKind::kCloudTrail) {
    FUZZ_CHECK(e.latency_ms == -1 && e.http_status == 0,
               "CloudTrail event with latency %lld, status %d",
               static_cast<long long>(e.latency_ms), e.http_status);
  }
  if (e.source == events::SourceKind::kJsonl) {
    FUZZ_CHECK(e.http_status >= 0 && e.http_status <= 999, "http_status %d", e.http_status);
  }
  // The names used for output must exist for every value.
  FUZZ_CHECK(events::OutcomeClassName(e.outcome) != nullptr, "no outcome name");
  FUZZ_CHECK(events::SourceKindName(e.source) != nullptr, "no source name");
  return e;
}

// Runs the input through RecordStream and calls `each` for every record.
inline void ForEachRecord(std::string_view input,
                          const std::function<void(const ingest::RawRecord&)>& each) {
  static io::Buffer buffer;  // reused across inputs, as ingest reuses it across files
  auto src = io::FromMemory(input);
  ingest::RecordStream rs(
      src.get(), "fuzz", [](const std::string&) {}, 16u << 20, &buffer);
  for (;;) {
    ingest::RawRecord r;
    auto more = rs.Next(&r);
    if (!more.ok() || !*more) break;
    FUZZ_CHECK(r.capacity >= r.json.size() + 64, "capacity %zu < size %zu + 64", r.capacity,
               r.json.size());
    each(r);
  }
}

// Parses `json` as one record whose buffer has exactly the 64 padding bytes
// RawRecord promises: ASan reports a parser that reads further. Checks the
// result while the buffer lives and returns an owning copy.
struct Parsed {
  ingest::ParseOutcome outcome;
  events::Event event;
  std::string error;
};
inline Parsed ParseExactlyPadded(ingest::RecordParser& parser, std::string_view json,
                                 const sla::Catalog& catalog) {
  PaddedCopy copy(json, 64);
  ingest::RawRecord r;
  r.json = copy.view();
  r.capacity = copy.capacity();
  r.line = 1;
  r.index = 0;
  events::EventView ev;
  Parsed p;
  p.outcome = parser.Parse(r, &ev, &p.error);
  p.event = CheckParsed(p.outcome, ev, p.error, catalog, json);
  return p;
}

}  // namespace recoup::fuzz
