#include "recoup/billing/cur_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "recoup/core/strings.h"
#include "recoup/validate/validate.h"

namespace recoup::billing {
namespace {

constexpr size_t kReadChunk = size_t{1} << 16;
constexpr unsigned kGzBuffer = 1u << 17;
constexpr size_t kMaxRecordBytes = size_t{16} << 20;
constexpr size_t kMaxErrors = 1000;

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.append("'");
  return out;
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// One CSV record; `fields[0, size)` are valid. Strings are reused across
// records to avoid reallocating on every row.
struct CsvRecord {
  std::vector<std::string> fields;
  size_t size = 0;

  std::string& NewField() {
    if (size == fields.size()) fields.emplace_back();
    std::string& f = fields[size++];
    f.clear();
    return f;
  }
  const std::string& operator[](size_t i) const { return fields[i]; }
};

// Streaming RFC 4180 reader over a zlib file (plain or gzip).
class CsvReader {
 public:
  CsvReader(gzFile file, const std::string& path) : file_(file), path_(path), buf_(kReadChunk) {}

  // Reads the next non-blank record into *rec. Returns false at end of input.
  // A record that breaks the quoting rules is still returned, with
  // malformed() describing the problem.
  Result<bool> Next(CsvRecord* rec) {
    rec->size = 0;
    malformed_.clear();
    enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
    State state = State::kFieldStart;
    bool started = false;
    size_t bytes = 0;
    std::string* field = nullptr;
    record_line_ = line_;
    while (true) {
      if (pos_ == len_) {
        RECOUP_RETURN_IF_ERROR(Fill());
        if (len_ == 0) {  // end of input
          if (!started) return false;
          if (state == State::kQuoted) malformed_ = "unterminated quoted field";
          if (field == nullptr) rec->NewField();
          return true;
        }
      }
      const char c = buf_[pos_++];
      const bool lf_after_cr = c == '\n' && prev_cr_;
      prev_cr_ = c == '\r';
      const bool line_break = c == '\r' || (c == '\n' && !lf_after_cr);
      if (lf_after_cr && state != State::kQuoted) continue;  // second half of CRLF
      if (++bytes > kMaxRecordBytes) {
        return DataLoss(path_ + ":" + std::to_string(record_line_) + ": record exceeds " +
                        std::to_string(kMaxRecordBytes >> 20) +
                        " MiB (unterminated quoted field?)");
      }
      if (state == State::kQuoted) {
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else {
          field->push_back(c);
          if (line_break) ++line_;
        }
        continue;
      }
      if (line_break) {
        ++line_;
        if (!started) {  // blank line: skip
          record_line_ = line_;
          continue;
        }
        if (field == nullptr) rec->NewField();
        return true;
      }
      started = true;
      switch (state) {
        case State::kFieldStart:
          // `field` is null here; a field that ends at ',' or at the end of
          // the record without content is created empty.
          if (c == ',') {
            rec->NewField();
          } else if (c == '"') {
            field = &rec->NewField();
            state = State::kQuoted;
          } else {
            field = &rec->NewField();
            field->push_back(c);
            state = State::kUnquoted;
          }
          break;
        case State::kUnquoted:
          if (c == ',') {
            field = nullptr;
            state = State::kFieldStart;
          } else {
            field->push_back(c);  // a stray '"' is kept literally
          }
          break;
        case State::kQuoteInQuoted:
          if (c == '"') {
            field->push_back('"');
            state = State::kQuoted;
          } else if (c == ',') {
            field = nullptr;
            state = State::kFieldStart;
          } else {
            if (malformed_.empty()) malformed_ = "text after closing quote";
            field->push_back(c);
            state = State::kUnquoted;
          }
          break;
        case State::kQuoted:
          break;  // handled above
      }
    }
  }

  int64_t record_line() const { return record_line_; }
  int64_t line() const { return line_; }
  const std::string& malformed() const { return malformed_; }

 private:
  Status Fill() {
    pos_ = 0;
    len_ = 0;
    if (eof_) return Status::Ok();
    const int n = gzread(file_, buf_.data(), static_cast<unsigned>(buf_.size()));
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    if (n < 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
      std::string why = msg != nullptr ? msg : "read error";
      if (err == Z_ERRNO) why = std::strerror(errno);
      return DataLoss(path_ + ": corrupt or unreadable input near line " + std::to_string(line_) +
                      ": " + why);
    }
    if (n == 0) {
      if (err == Z_BUF_ERROR) {
        return DataLoss(path_ + ": truncated gzip stream (" + (msg != nullptr ? msg : "") +
                        ") after line " + std::to_string(line_) +
                        "; totals discarded because the file is incomplete");
      }
      eof_ = true;
      return Status::Ok();
    }
    len_ = static_cast<size_t>(n);
    return Status::Ok();
  }

  gzFile file_;
  const std::string& path_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  bool prev_cr_ = false;
  int64_t line_ = 1;
  int64_t record_line_ = 1;
  std::string malformed_;
};

// Column positions in the header; -1 when absent.
struct Columns {
  std::string_view format;
  size_t count = 0;
  std::vector<std::string> names;  // header text, for messages
  int account = -1;
  int product = -1;
  int type = -1;
  int unblended = -1;
  int net = -1;
  int bill_start = -1;
  int usage_start = -1;
  int region = -1;
  int currency = -1;
  int usage_type = -1;  // optional
};

struct ColumnNames {
  const char* account;
  const char* product;
  const char* type;
  const char* unblended;
  const char* net;
  const char* bill_start;
  const char* usage_start;
  const char* region;
  const char* region_fallback;
  const char* currency;
  const char* usage_type;
};

// Canonical spellings; the header is matched case-insensitively.
constexpr ColumnNames kLegacyNames = {"lineItem/UsageAccountId",   "lineItem/ProductCode",
                                      "lineItem/LineItemType",     "lineItem/UnblendedCost",
                                      "lineItem/NetUnblendedCost", "bill/BillingPeriodStartDate",
                                      "lineItem/UsageStartDate",   "product/region",
                                      "product/regionCode",        "lineItem/CurrencyCode",
                                      "lineItem/UsageType"};

constexpr ColumnNames kCur2Names = {
    "line_item_usage_account_id", "line_item_product_code",       "line_item_line_item_type",
    "line_item_unblended_cost",   "line_item_net_unblended_cost", "bill_billing_period_start_date",
    "line_item_usage_start_date", "product_region_code",          nullptr,
    "line_item_currency_code",    "line_item_usage_type"};

Result<Columns> ResolveColumns(const CsvRecord& header, const std::string& path) {
  std::map<std::string, int> index;
  Columns cols;
  cols.count = header.size;
  for (size_t i = 0; i < header.size; ++i) {
    std::string_view name = TrimBlanks(header[i]);
    if (i == 0 && name.substr(0, 3) == "\xEF\xBB\xBF") name.remove_prefix(3);  // UTF-8 BOM
    cols.names.emplace_back(name);
    index.emplace(AsciiLower(name), static_cast<int>(i));  // first occurrence wins
  }
  auto find = [&index](const char* name) {
    if (name == nullptr) return -1;
    auto it = index.find(AsciiLower(name));
    return it == index.end() ? -1 : it->second;
  };
  const ColumnNames* names = nullptr;
  if (find(kLegacyNames.account) >= 0 || find(kLegacyNames.product) >= 0) {
    names = &kLegacyNames;
    cols.format = kCurFormatLegacy;
  } else if (find(kCur2Names.account) >= 0 || find(kCur2Names.product) >= 0) {
    names = &kCur2Names;
    cols.format = kCurFormat2;
  } else {
    return InvalidArgument(path +
                           ": not a Cost and Usage Report: the first line has neither "
                           "'lineItem/UsageAccountId' (legacy CUR) nor "
                           "'line_item_usage_account_id' (CUR 2.0)");
  }
  cols.account = find(names->account);
  cols.product = find(names->product);
  cols.type = find(names->type);
  cols.unblended = find(names->unblended);
  cols.net = find(names->net);
  cols.bill_start = find(names->bill_start);
  cols.usage_start = find(names->usage_start);
  cols.region = find(names->region);
  if (cols.region < 0) cols.region = find(names->region_fallback);
  cols.currency = find(names->currency);
  cols.usage_type = find(names->usage_type);
  const std::pair<int, const char*> required[] = {
      {cols.account, names->account},     {cols.product, names->product}, {cols.type, names->type},
      {cols.unblended, names->unblended}, {cols.region, names->region},
  };
  for (const auto& [pos, name] : required) {
    if (pos < 0) {
      return InvalidArgument(path + ": " + std::string(cols.format) +
                             " header lacks required column '" + name + "'");
    }
  }
  if (cols.bill_start < 0 && cols.usage_start < 0) {
    return InvalidArgument(path + ": " + std::string(cols.format) + " header lacks both '" +
                           names->bill_start + "' and '" + names->usage_start + "'");
  }
  return cols;
}

enum class ItemClass { kCharge, kCredit, kTax, kIgnored, kUnknown };

ItemClass Classify(std::string_view type) {
  static const std::pair<std::string_view, ItemClass> kTypes[] = {
      {"Usage", ItemClass::kCharge},
      {"DiscountedUsage", ItemClass::kCharge},
      {"SavingsPlanCoveredUsage", ItemClass::kCharge},
      {"Credit", ItemClass::kCredit},
      {"Refund", ItemClass::kCredit},
      {"Tax", ItemClass::kTax},
      {"Fee", ItemClass::kIgnored},
      {"RIFee", ItemClass::kIgnored},
      {"SavingsPlanNegation", ItemClass::kIgnored},
      {"SavingsPlanRecurringFee", ItemClass::kIgnored},
      {"SavingsPlanUpfrontFee", ItemClass::kIgnored},
      {"BundledDiscount", ItemClass::kIgnored},
      {"EdpDiscount", ItemClass::kIgnored},
      {"PrivateRateDiscount", ItemClass::kIgnored},
  };
  for (const auto& [name, cls] : kTypes) {
    if (name == type) return cls;
  }
  return ItemClass::kUnknown;
}

struct Group {
  Rational unblended;
  Rational net_unblended;
  bool net_complete = true;
  Rational credits;
  Rational tax;
  int64_t line_items = 0;
  std::string currency;
};

// (product code, account, Region, month).
using GroupKey = std::tuple<std::string, std::string, std::string, YearMonth>;

class Aggregator {
 public:
  Aggregator(const Columns& cols, const std::vector<std::string>& product_codes,
             const std::vector<UsageSplit>& splits)
      : cols_(cols), product_codes_(product_codes), splits_(splits) {}

  // Returns true if the row belongs to one of the products. A non-OK status
  // rejects the row; its message names the field.
  Result<bool> Add(const CsvRecord& rec) {
    const std::string_view product = TrimBlanks(rec[cols_.product]);
    if (std::find(product_codes_.begin(), product_codes_.end(), product) == product_codes_.end()) {
      return false;
    }
    const std::string_view account = TrimBlanks(rec[cols_.account]);
    if (account.empty()) return FieldError(cols_.account, "is empty");
    if (Status st = validate::AccountId("field '" + cols_.names[cols_.account] + "'", account);
        !st.ok()) {
      return st;
    }
    const std::string_view type = TrimBlanks(rec[cols_.type]);
    const ItemClass cls = Classify(type);
    if (cls == ItemClass::kUnknown) {
      return FieldError(cols_.type, "unknown line item type " + Quote(type));
    }
    if (cls == ItemClass::kIgnored) return true;
    const std::string_view region = TrimBlanks(rec[cols_.region]);
    if (region.empty() && cls == ItemClass::kCharge) {
      return FieldError(cols_.region, "is empty for a " + std::string(type) + " line item");
    }
    if (!region.empty()) {
      if (Status st = validate::Region("field '" + cols_.names[cols_.region] + "'", region);
          !st.ok()) {
        return st;
      }
    }
    RECOUP_ASSIGN_OR_RETURN(YearMonth month, Month(rec));
    auto amount = ParseCurAmount(rec[cols_.unblended]);
    if (!amount.ok()) return FieldError(cols_.unblended, amount.status().message());
    std::optional<Rational> net;
    if (cls == ItemClass::kCharge && cols_.net >= 0 && !TrimBlanks(rec[cols_.net]).empty()) {
      auto parsed = ParseCurAmount(rec[cols_.net]);
      if (!parsed.ok()) return FieldError(cols_.net, parsed.status().message());
      net = std::move(parsed).value();
    }
    std::string_view currency = cols_.currency >= 0 ? TrimBlanks(rec[cols_.currency]) : "";
    if (currency.empty()) currency = "USD";

    GroupKey key(SplitProduct(product, rec), std::string(account), std::string(region), month);
    auto it = groups_.find(key);
    if (it != groups_.end() && it->second.currency != currency) {
      return FieldError(cols_.currency, "currency " + Quote(currency) + " differs from " +
                                            Quote(it->second.currency) +
                                            " already seen for product " + std::string(product) +
                                            ", account " + std::string(account) + ", region " +
                                            Quote(region) + ", month " + month.ToString());
    }
    if (it == groups_.end()) {
      it = groups_.emplace(std::move(key), Group{}).first;
      it->second.currency = std::string(currency);
    }
    Group& g = it->second;
    ++g.line_items;
    switch (cls) {
      case ItemClass::kCharge:
        g.unblended += *amount;
        if (net.has_value()) {
          g.net_unblended += *net;
        } else {
          g.net_complete = false;
        }
        break;
      case ItemClass::kCredit:
        g.credits += *amount;
        break;
      case ItemClass::kTax:
        g.tax += *amount;
        break;
      case ItemClass::kIgnored:
      case ItemClass::kUnknown:
        break;
    }
    return true;
  }

  // The product code, or the split's name when the usage type puts the row
  // in a split ("AmazonS3#infrequent_access").
  std::string SplitProduct(std::string_view product, const CsvRecord& rec) const {
    if (cols_.usage_type < 0 || splits_.empty()) return std::string(product);
    const std::string_view usage = TrimBlanks(rec[cols_.usage_type]);
    for (const UsageSplit& s : splits_) {
      if (s.product_code != product) continue;
      size_t start = 0;
      while (start <= usage.size()) {
        const size_t dash = std::min(usage.find('-', start), usage.size());
        const std::string_view token = usage.substr(start, dash - start);
        if (std::find(s.tokens.begin(), s.tokens.end(), token) != s.tokens.end()) {
          return std::string(product) + "#" + s.part;
        }
        start = dash + 1;
      }
    }
    return std::string(product);
  }

  std::vector<KmsCharge> Finish() {
    std::vector<KmsCharge> out;
    out.reserve(groups_.size());
    for (auto& [key, g] : groups_) {
      KmsCharge c;
      c.product_code = std::get<0>(key);
      c.account = std::get<1>(key);
      c.region = std::get<2>(key);
      c.month = std::get<3>(key);
      c.unblended = std::move(g.unblended);
      if (cols_.net >= 0 && g.net_complete) c.net_unblended = std::move(g.net_unblended);
      c.credits = std::move(g.credits);
      c.tax = std::move(g.tax);
      c.line_items = g.line_items;
      c.currency = std::move(g.currency);
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  Status FieldError(int column, const std::string& why) const {
    return InvalidArgument("field '" + cols_.names[column] + "' " + why);
  }

  Result<YearMonth> Month(const CsvRecord& rec) const {
    for (int column : {cols_.bill_start, cols_.usage_start}) {
      if (column < 0) continue;
      const std::string_view text = TrimBlanks(rec[column]);
      if (text.empty()) continue;
      auto ms = ParseTimestampMs(text);
      if (!ms.ok()) return FieldError(column, ms.status().message());
      return YearMonth::FromMs(*ms);
    }
    const int shown = cols_.bill_start >= 0 ? cols_.bill_start : cols_.usage_start;
    return FieldError(shown, "is empty and no usage start date is given");
  }

  const Columns& cols_;
  const std::vector<std::string>& product_codes_;
  const std::vector<UsageSplit>& splits_;
  std::map<GroupKey, Group> groups_;
};

}  // namespace

Result<Rational> ParseCurAmount(std::string_view text) {
  text = TrimBlanks(text);
  if (text.empty()) return InvalidArgument("empty amount");
  const size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos) return ParseDecimal(text);
  std::string_view exp_text = text.substr(e + 1);
  bool neg = false;
  if (!exp_text.empty() && (exp_text.front() == '+' || exp_text.front() == '-')) {
    neg = exp_text.front() == '-';
    exp_text.remove_prefix(1);
  }
  if (exp_text.empty() || exp_text.size() > 3) {
    return InvalidArgument("invalid amount " + Quote(text));
  }
  unsigned long exponent = 0;
  for (char c : exp_text) {
    if (c < '0' || c > '9') return InvalidArgument("invalid amount " + Quote(text));
    exponent = exponent * 10 + static_cast<unsigned long>(c - '0');
  }
  auto mantissa = ParseDecimal(text.substr(0, e));
  if (!mantissa.ok()) return InvalidArgument("invalid amount " + Quote(text));
  mpz_class scale;
  mpz_ui_pow_ui(scale.get_mpz_t(), 10, exponent);
  Rational value = neg ? Rational(*mantissa / Rational(scale)) : Rational(*mantissa * scale);
  value.canonicalize();
  return value;
}

Result<CurReadResult> ReadCurFile(const std::string& path, std::string_view product_code) {
  return ReadCurFile(path, std::vector<std::string>{std::string(product_code)});
}

Result<CurReadResult> ReadCurFile(const std::string& path,
                                  const std::vector<std::string>& product_codes) {
  return ReadCurFile(path, product_codes, {});
}

Result<CurReadResult> ReadCurFile(const std::string& path,
                                  const std::vector<std::string>& product_codes,
                                  const std::vector<UsageSplit>& splits) {
  errno = 0;
  GzHandle file(gzopen(path.c_str(), "rb"));
  if (file == nullptr) {
    const int err = errno;
    const std::string why = err != 0 ? std::strerror(err) : "cannot open";
    if (err == ENOENT) return NotFound(path + ": " + why);
    return Unavailable(path + ": " + why);
  }
  gzbuffer(file.get(), kGzBuffer);
  CsvReader csv(file.get(), path);
  CsvRecord rec;
  RECOUP_ASSIGN_OR_RETURN(const bool have_header, csv.Next(&rec));
  if (!have_header) {
    return InvalidArgument(path + ": not a Cost and Usage Report: the file is empty");
  }
  RECOUP_ASSIGN_OR_RETURN(const Columns cols, ResolveColumns(rec, path));

  CurReadResult result;
  result.format = std::string(cols.format);
  Aggregator aggregator(cols, product_codes, splits);
  int64_t suppressed = 0;
  auto reject = [&](const std::string& why) {
    ++result.rejected_rows;
    if (result.errors.size() < kMaxErrors) {
      result.errors.push_back(path + ":" + std::to_string(csv.record_line()) + ": " + why);
    } else {
      ++suppressed;
    }
  };
  while (true) {
    RECOUP_ASSIGN_OR_RETURN(const bool have, csv.Next(&rec));
    if (!have) break;
    ++result.rows;
    if (!csv.malformed().empty()) {
      reject("malformed CSV record: " + csv.malformed());
      continue;
    }
    if (rec.size != cols.count) {
      reject("row has " + std::to_string(rec.size) + " fields, header has " +
             std::to_string(cols.count));
      continue;
    }
    Result<bool> added = aggregator.Add(rec);
    if (!added.ok()) {
      reject(added.status().message());
    } else if (*added) {
      ++result.matched_rows;
    }
  }
  if (suppressed > 0) {
    result.errors.push_back(path + ": " + std::to_string(suppressed) +
                            " further rejected rows not listed");
  }
  result.charges = aggregator.Finish();
  return result;
}

}  // namespace recoup::billing
