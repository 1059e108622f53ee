#include "recoup/core/safe_text.h"

namespace recoup {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(std::string* out, const char* prefix, unsigned char c) {
  *out += prefix;
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xF]);
}

}  // namespace

std::string EscapeControls(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      if (keep_line_breaks && (c == '\n' || c == '\t')) {
        out.push_back(static_cast<char>(c));
      } else {
        AppendHex(&out, "\\x", c);
      }
      continue;
    }
    // U+0080..U+009F in UTF-8: C2 80 .. C2 9F.
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto n = static_cast<unsigned char>(text[i + 1]);
      if (n >= 0x80 && n <= 0x9F) {
        AppendHex(&out, "\\u00", n);
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

bool IsFormulaLead(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

std::string CsvQuote(std::string_view text) {
  const bool quote = text.find_first_of(",\"\n\r") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string CsvText(std::string_view text) {
  std::string cell = IsFormulaLead(text) ? "'" : "";
  cell += EscapeControls(text);
  return CsvQuote(cell);
}

}  // namespace recoup
