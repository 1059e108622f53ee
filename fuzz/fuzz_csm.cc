// Fuzzes the AWS SDK client-side monitoring (CSM) path: RecordStream over the
// bytes (datagrams saved one per line), then RecordParser::Parse with
// --format csm, a default account and an access-key map.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * an accepted event is a CSM event with a Region, a catalog service, a
//     non-negative time and an account from the map or the default;
//   * format auto (same options) gives the same event for every record that
//     --format csm accepts;
//   * the parser never reads past the 64 padding bytes RawRecord promises.
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

constexpr const char* kDefaultAccount = "111122223333";
constexpr const char* kMappedAccount = "444455556666";

std::unique_ptr<RecordParser> MakeParser(InputFormat format) {
  ParserOptions opt;
  opt.format = format;
  opt.default_account = kDefaultAccount;
  opt.access_key_accounts["AKIDEXAMPLE"] = kMappedAccount;
  return std::make_unique<RecordParser>(recoup::sla::Catalog::Default(), std::move(opt));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalog = recoup::sla::Catalog::Default();
  static auto csm = MakeParser(InputFormat::kCsm);
  static auto padded = MakeParser(InputFormat::kCsm);
  static auto automatic = MakeParser(InputFormat::kAuto);
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  recoup::fuzz::ForEachRecord(input, [&](const recoup::ingest::RawRecord& r) {
    EventView ev;
    std::string error;
    const ParseOutcome o = csm->Parse(r, &ev, &error);
    const Event e = CheckParsed(o, ev, error, *catalog, r.json);
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(e.source == recoup::events::SourceKind::kCsm, "csm accepted source %d",
                 static_cast<int>(e.source));
      FUZZ_CHECK(e.time_ms >= 0, "negative time %lld", static_cast<long long>(e.time_ms));
      FUZZ_CHECK(e.account == kDefaultAccount || e.account == kMappedAccount,
                 "account '%s' from neither the map nor the default", Escape(e.account).c_str());
    }

    const auto exact = recoup::fuzz::ParseExactlyPadded(*padded, r.json, *catalog);
    FUZZ_CHECK(exact.outcome == o, "exactly padded copy: %s vs %s for '%s'",
               OutcomeName(exact.outcome), OutcomeName(o), Escape(r.json).c_str());

    EventView aev;
    std::string aerror;
    const ParseOutcome ao = automatic->Parse(r, &aev, &aerror);
    const Event ae = CheckParsed(ao, aev, aerror, *catalog, r.json);
    if (o == ParseOutcome::kAccepted) {
      FUZZ_CHECK(ao == ParseOutcome::kAccepted, "--format csm accepted, auto %s (%s): '%s'",
                 OutcomeName(ao), aerror.c_str(), Escape(r.json).c_str());
      FUZZ_CHECK(ae.time_ms == e.time_ms && ae.account == e.account && ae.region == e.region &&
                     ae.operation == e.operation && ae.error_code == e.error_code &&
                     ae.request_id == e.request_id && ae.http_status == e.http_status &&
                     ae.latency_ms == e.latency_ms && ae.outcome == e.outcome,
                 "auto and --format csm disagree on '%s'", Escape(r.json).c_str());
    }
  });
  return 0;
}
