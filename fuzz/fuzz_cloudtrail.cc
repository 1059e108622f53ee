// Fuzzes the CloudTrail path: RecordStream over the bytes, then
// RecordParser::Parse (format auto) on every record. Covers CloudTrail log
// files, exports, LookupEvents results (a record inside a JSON string) and
// EventBridge events.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * an accepted event has an account, a Region and a catalog service; a
//     rejected one has an error that says where;
//   * the parser never reads past the 64 padding bytes RawRecord promises
//     (each record is re-parsed from a buffer with exactly that padding, and
//     must give the same answer);
//   * --format cloudtrail (with a default account) accepts every record that
//     auto accepts as CloudTrail, with the same event.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "parse_util.h"

namespace {

using recoup::events::Event;
using recoup::events::EventView;
using recoup::fuzz::CheckParsed;
using recoup::fuzz::Escape;
using recoup::fuzz::OutcomeName;
using recoup::ingest::InputFormat;
using recoup::ingest::ParseOutcome;
using recoup::ingest::ParserOptions;
using recoup::ingest::RecordParser;

std::unique_ptr<RecordParser> MakeParser(InputFormat format, const char* account) {
  ParserOptions opt;
  opt.format = format;
  opt.default_account = account;
  return std::make_unique<RecordParser>(recoup::sla::Catalog::Default(), std::move(opt));
}

bool SameEvent(const Event& a, const Event& b) {
  return a.time_ms == b.time_ms && a.region == b.region && a.service == b.service &&
         a.operation == b.operation && a.error_code == b.error_code &&
         a.request_id == b.request_id && a.resource == b.resource && a.outcome == b.outcome &&
         a.source == b.source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalog = recoup::sla::Catalog::Default();
  static auto automatic = MakeParser(InputFormat::kAuto, "");
  static auto padded = MakeParser(InputFormat::kAuto, "");
  static auto cloudtrail = MakeParser(InputFormat::kCloudTrail, "111122223333");
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  recoup::fuzz::ForEachRecord(input, [&](const recoup::ingest::RawRecord& r) {
    EventView ev;
    std::string error;
    const ParseOutcome o = automatic->Parse(r, &ev, &error);
    const Event e = CheckParsed(o, ev, error, *catalog, r.json);
    if (o == ParseOutcome::kAccepted) {
      // No default account and no access-key map: a CSM record cannot be accepted.
      FUZZ_CHECK(e.source == recoup::events::SourceKind::kCloudTrail, "auto accepted source %d",
                 static_cast<int>(e.source));
    }

    const auto exact = recoup::fuzz::ParseExactlyPadded(*padded, r.json, *catalog);
    FUZZ_CHECK(exact.outcome == o, "exactly padded copy: %s vs %s for '%s'",
               OutcomeName(exact.outcome), OutcomeName(o), Escape(r.json).c_str());
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(SameEvent(e, exact.event) && e.account == exact.event.account,
                 "exactly padded copy gives another event for '%s'", Escape(r.json).c_str());
    }

    EventView cev;
    std::string cerror;
    const ParseOutcome co = cloudtrail->Parse(r, &cev, &cerror);
    const Event ce = CheckParsed(co, cev, cerror, *catalog, r.json);
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(co == ParseOutcome::kAccepted, "auto accepted, --format cloudtrail %s (%s): '%s'",
                 OutcomeName(co), cerror.c_str(), Escape(r.json).c_str());
      FUZZ_CHECK(SameEvent(e, ce) && e.account == ce.account,
                 "auto and --format cloudtrail disagree on '%s'", Escape(r.json).c_str());
    }
  });

  // The whole input as one record, exactly padded (a single event as a file).
  (void)recoup::fuzz::ParseExactlyPadded(*padded, input, *catalog);
  return 0;
}
