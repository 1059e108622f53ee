// Fuzzes the application-log path: RecordStream over the bytes, then
// RecordParser::Parse with --format jsonl and a field mapping.
//
// Input layout: an optional first line "MAP:<spec>" is a --map spec
// ("time=ts,request_id=aws.requestId"), parsed with JsonlMapping::Parse (the
// default mapping is used when the spec is rejected); the rest is the log.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * an accepted event is a jsonl event with an account, a Region, a catalog
//     service and an HTTP status in 0..999;
//   * the parser never reads past the 64 padding bytes RawRecord promises, and
//     an exactly padded copy of a record gives the same event.
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
using recoup::ingest::JsonlMapping;
using recoup::ingest::ParseOutcome;
using recoup::ingest::ParserOptions;
using recoup::ingest::RecordParser;

std::unique_ptr<RecordParser> MakeParser(const JsonlMapping& mapping) {
  ParserOptions opt;
  opt.format = InputFormat::kJsonl;
  opt.mapping = mapping;
  return std::make_unique<RecordParser>(recoup::sla::Catalog::Default(), std::move(opt));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalog = recoup::sla::Catalog::Default();
  static auto default_parser = MakeParser(JsonlMapping{});
  static auto default_padded = MakeParser(JsonlMapping{});
  std::string_view input(reinterpret_cast<const char*>(data), size);

  RecordParser* parser = default_parser.get();
  RecordParser* padded = default_padded.get();
  std::unique_ptr<RecordParser> custom, custom_padded;
  if (input.substr(0, 4) == "MAP:") {
    const size_t nl = input.find('\n');
    const std::string_view spec = input.substr(4, nl == std::string_view::npos ? nl : nl - 4);
    // An empty rest keeps a non-null data(): FromMemory(std::string_view()) memcpys from null.
    input = nl == std::string_view::npos ? input.substr(input.size()) : input.substr(nl + 1);
    auto mapping = JsonlMapping::Parse(spec);
    if (mapping.ok()) {
      custom = MakeParser(*mapping);
      custom_padded = MakeParser(*mapping);
      parser = custom.get();
      padded = custom_padded.get();
    } else {
      FUZZ_CHECK(!mapping.status().message().empty(), "mapping rejected without a message");
    }
  }

  recoup::fuzz::ForEachRecord(input, [&](const recoup::ingest::RawRecord& r) {
    EventView ev;
    std::string error;
    const ParseOutcome o = parser->Parse(r, &ev, &error);
    const Event e = CheckParsed(o, ev, error, *catalog, r.json);
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(e.source == recoup::events::SourceKind::kJsonl, "jsonl accepted source %d",
                 static_cast<int>(e.source));
    }
    const auto exact = recoup::fuzz::ParseExactlyPadded(*padded, r.json, *catalog);
    FUZZ_CHECK(exact.outcome == o, "exactly padded copy: %s vs %s for '%s'",
               OutcomeName(exact.outcome), OutcomeName(o), Escape(r.json).c_str());
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(exact.event.time_ms == e.time_ms && exact.event.account == e.account &&
                     exact.event.region == e.region && exact.event.operation == e.operation &&
                     exact.event.request_id == e.request_id && exact.event.outcome == e.outcome,
                 "exactly padded copy gives another event for '%s'", Escape(r.json).c_str());
    }
  });
  return 0;
}
