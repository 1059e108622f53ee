// Text formatting for the demo generator: JSON string fields written by hand
// (so field order and bytes are exactly AWS's), the timestamp styles of
// CloudTrail, CUR and STS, and exact decimal amounts. Internal to recoup_demo.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace recoup::demo {

// Money (and CUR usage amounts) are counted in units of 1e-10, the precision
// of CUR amounts: kUsd units make one USD.
inline constexpr int64_t kUsd = 10'000'000'000;

// Appends `s` JSON-escaped (quotes, backslashes, control characters), without
// the surrounding quotes.
void AppendEscaped(std::string& out, std::string_view s);

// Appends "key":"value", the value escaped.
void Kv(std::string& out, std::string_view key, std::string_view value);

// Appends "k1":"v1","k2":"v2",...: Kv of each field, comma-separated.
using KvField = std::pair<std::string_view, std::string_view>;
void KvList(std::string& out, std::initializer_list<KvField> fields);

// ISO 8601 UTC to the second: "2026-10-14T09:15:00Z".
std::string Iso(int64_t ms);
// "20261014T0915Z", the minute of a CloudTrail file name.
std::string CompactMinute(int64_t ms);
// "2026/10/14", the day folder of a CloudTrail file.
std::string DatePath(int64_t ms);
// "2026-10-14".
std::string DateDash(int64_t ms);
// CUR style: "2026-10-01T00:00:00.000Z".
std::string CurTime(int64_t ms);
// STS style: "Oct 14, 2026, 10:10:22 AM".
std::string StsExpiration(int64_t ms);

// Units of 1e-10 as a plain decimal with at least `min_frac` fraction digits:
// 4123700000000 -> "412.37".
std::string FormatUnits(int64_t units, int min_frac);

}  // namespace recoup::demo
