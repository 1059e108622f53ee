#include "recoup/aws/xml.h"

#include <cctype>
#include <cstdlib>

namespace recoup::aws {
namespace {

void AppendUtf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The code point of a numeric reference body ("#38", "#x26"), or 0 when it
// is malformed or out of range.
unsigned long NumericReference(std::string_view entity) {
  const bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
  const std::string digits(entity.substr(hex ? 2 : 1));
  if (digits.empty() || digits.size() > 8) return 0;
  for (char c : digits) {
    const bool ok = hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                        : std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return 0;
  }
  const unsigned long cp = std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10);
  return cp > 0x10FFFF ? 0 : cp;
}

// Appends the decoded entity `entity` (without '&' and ';'); false when it
// is not one.
bool AppendEntity(std::string& out, std::string_view entity) {
  static constexpr struct {
    std::string_view name;
    char value;
  } kNamed[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& named : kNamed) {
    if (entity == named.name) {
      out.push_back(named.value);
      return true;
    }
  }
  if (entity.size() < 2 || entity[0] != '#') return false;
  const unsigned long cp = NumericReference(entity);
  if (cp == 0) return false;
  AppendUtf8(out, cp);
  return true;
}

bool EndsName(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::optional<XmlElement> FindXmlElement(std::string_view xml, std::string_view tag, size_t from) {
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  for (size_t pos = xml.find(open, from); pos != std::string_view::npos;
       pos = xml.find(open, pos + open.size())) {
    const size_t after = pos + open.size();
    if (after >= xml.size()) return std::nullopt;
    if (!EndsName(xml[after])) continue;  // a longer name, e.g. <CodeX>
    const size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) return std::nullopt;
    if (xml[gt - 1] == '/') return XmlElement{.inner = {}, .end = gt + 1};
    const size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return XmlElement{.inner = xml.substr(gt + 1, end - gt - 1), .end = end + close.size()};
  }
  return std::nullopt;
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag) {
  std::optional<XmlElement> element = FindXmlElement(xml, tag);
  if (!element) return std::nullopt;
  return DecodeXmlText(element->inner);
}

std::string XmlTagText(std::string_view xml, std::string_view tag) {
  return XmlElementText(xml, tag).value_or("");
}

std::vector<std::string_view> XmlBlocks(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  for (auto e = FindXmlElement(xml, tag); e; e = FindXmlElement(xml, tag, e->end)) {
    out.push_back(e->inner);
  }
  return out;
}

std::string DecodeXmlText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t semi = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 12 ||
        !AppendEntity(out, text.substr(i + 1, semi - i - 1))) {
      out.push_back(text[i]);
      continue;
    }
    i = semi;
  }
  return out;
}

}  // namespace recoup::aws
