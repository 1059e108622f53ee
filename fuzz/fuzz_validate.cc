// Fuzzes the validation layer at the edge (validate.h) with arbitrary bytes.
// The first byte picks how the rest is cut into values; every validator runs
// on them.
//
// Invariants (besides no crash, no UB, no escaping exception):
//   * a message never carries a control or non-ASCII byte (values are quoted
//     escaped), and always starts with the field's name;
//   * an account ID, Region or file-name component that passes is a plain
//     file name: <root>/<value> stays inside <root>;
//   * a passing time lies within its bounds; bounds never overflow;
//   * a claim ID made of passing parts passes FileNameComponent;
//   * Text accepts exactly what it promises (no byte < 0x20 or 0x7f).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "recoup/sla/catalog.h"
#include "recoup/validate/validate.h"

namespace {

namespace validate = recoup::validate;
using recoup::Status;

void CheckMessage(const Status& st, std::string_view field) {
  if (st.ok()) return;
  const std::string& m = st.message();
  FUZZ_CHECK(m.compare(0, field.size(), field) == 0, "message does not name the field: %s",
             m.c_str());
  for (char c : m) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u >= 0x20 && u < 0x7f, "raw byte 0x%02x in message", u);
  }
}

void CheckPlainName(std::string_view v) {
  FUZZ_CHECK(validate::FileNameComponent("name", v).ok(), "passing value is no file name");
  FUZZ_CHECK(validate::PathInside("/root/out", "/root/out/" + std::string(v)),
             "passing value leaves its folder");
}

int64_t Int64Of(std::string_view v) {
  int64_t n = 0;
  if (!v.empty()) std::memcpy(&n, v.data(), std::min(v.size(), sizeof n));
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto catalog = recoup::sla::Catalog::Default();
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Values separated by NUL (so a value itself may hold any other byte).
  std::string_view parts[4];
  std::string_view rest = all;
  for (std::string_view& p : parts) {
    const size_t z = rest.find('\0');
    p = rest.substr(0, z);
    rest = z == std::string_view::npos ? std::string_view() : rest.substr(z + 1);
  }
  const std::string_view v = parts[0];

  const Status account = validate::AccountId("account", v);
  CheckMessage(account, "account");
  if (account.ok()) CheckPlainName(v);
  const Status region = validate::Region("region", v);
  CheckMessage(region, "region");
  if (region.ok()) CheckPlainName(v);
  CheckMessage(validate::AvailabilityZone("zone", v), "zone");
  CheckMessage(validate::Service("service", v, *catalog), "service");
  CheckMessage(validate::RequestId("request_id", v), "request_id");
  CheckMessage(validate::Arn("resource", v), "resource");
  const Status text = validate::Text("text", v, 256);
  CheckMessage(text, "text");
  if (text.ok()) {
    for (char c : v) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u != 0x7f, "Text passed control byte 0x%02x", u);
    }
  }
  const Status name = validate::FileNameComponent("name", v);
  CheckMessage(name, "name");
  if (name.ok()) CheckPlainName(v);
  (void)validate::PathInside(std::string(parts[1]), std::string(parts[2]));

  const int64_t now = Int64Of(parts[1]);
  const int64_t t = Int64Of(parts[2]);
  const validate::TimeBounds b = validate::TimeBounds::For(*catalog, now);
  FUZZ_CHECK(b.latest_ms >= now, "latest bound %lld below now %lld",
             static_cast<long long>(b.latest_ms), static_cast<long long>(now));
  const Status time = validate::Time("time", t, b);
  CheckMessage(time, "time");
  if (time.ok()) FUZZ_CHECK(t >= b.earliest_ms && t <= b.latest_ms, "time outside its bounds");
  CheckMessage(validate::IntInRange("n", t, -1, 999), "n");

  // A whole event made of the pieces.
  recoup::events::EventView e;
  e.time_ms = t;
  e.account = parts[0];
  e.region = parts[1];
  e.service = parts[2];
  e.request_id = parts[3];
  e.resource = parts[3];
  e.operation = parts[2];
  e.http_status = static_cast<int>(t % 2000);
  e.latency_ms = now % 100000;
  const Status ev = validate::EventFields(e, validate::FieldNames{}, b, *catalog);
  if (ev.ok()) {
    const std::string id = std::string(e.account) + "-" + std::string(e.region) + "-" +
                           std::string(e.service) + "-2024-05";
    FUZZ_CHECK(validate::FileNameComponent("claim", id).ok(), "claim ID of valid parts: %s",
               id.c_str());
  }
  return 0;
}
