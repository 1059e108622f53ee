// Fuzzes the OTLP/HTTP trace decoders (src/recoup/web/otlp.h): the first
// byte picks the encoding (even: JSON, odd: protobuf), the rest is the body.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * every span is counted once: events + ignored + rejected == spans;
//   * every event is an OTLP event of a catalog service with a 12-digit
//     account, a Region, an operation and a time after 2000-01-01;
//   * a rejection always says why;
//   * the response encoders accept whatever the decoder produced.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/sla/catalog.h"
#include "recoup/web/otlp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalog = recoup::sla::Catalog::Default();
  if (size == 0) return 0;
  const bool proto = (data[0] & 1) != 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  recoup::web::OtlpDecodeOptions opt;
  opt.catalog = catalog.get();
  opt.now_ms = 1792000000000;  // fixed, so that a run replays exactly
  opt.default_account = (data[0] & 2) ? "111122223333" : "";
  auto d = proto ? recoup::web::DecodeOtlpTracesProtobuf(body, opt)
                 : recoup::web::DecodeOtlpTracesJson(body, opt);
  if (!d.ok()) {
    FUZZ_CHECK(!d.status().message().empty(), "error without a message");
    return 0;
  }
  FUZZ_CHECK(static_cast<int64_t>(d->events.size()) + d->ignored + d->rejected == d->spans,
             "events %zu + ignored %lld + rejected %lld != spans %lld", d->events.size(),
             static_cast<long long>(d->ignored), static_cast<long long>(d->rejected),
             static_cast<long long>(d->spans));
  FUZZ_CHECK(d->rejected == 0 || !d->reject_reason.empty(), "rejection without a reason");
  for (const recoup::events::Event& e : d->events) {
    FUZZ_CHECK(e.source == recoup::events::SourceKind::kOtel, "source");
    FUZZ_CHECK(catalog->Find(e.service) != nullptr, "service '%s'", e.service.c_str());
    FUZZ_CHECK(e.account.size() == 12, "account '%s'", e.account.c_str());
    FUZZ_CHECK(!e.region.empty() && !e.operation.empty(), "region/operation");
    FUZZ_CHECK(e.time_ms >= 946684800000LL, "time %lld", static_cast<long long>(e.time_ms));
  }
  (void)recoup::web::OtlpResponseJson(*d);
  (void)recoup::web::OtlpResponseProtobuf(*d);
  return 0;
}
