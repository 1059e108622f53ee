// The one small XML reader of the aws module. AWS answers S3 and awsQuery
// (STS) calls, and their errors, with flat, well-known XML documents; recoup
// reads a handful of leaf elements from them, so a full parser is not needed.
//
// Matching is by element name, without namespaces: "<Code>", "<Code a=\"1\">"
// and the empty "<Code/>" are elements named Code; "<CodeX>" is not. Nested
// elements of the same name are not supported (AWS documents have none).
// Element text is returned with the five XML entities and numeric character
// references decoded (as UTF-8); it is not trimmed. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recoup::aws {

// One element found in a document.
struct XmlElement {
  std::string_view inner;  // the raw content between the tags, not decoded
  size_t end = 0;          // offset just past the end tag (or "/>")
};

// The first complete element named `tag` that starts at or after `from`;
// nullopt when there is none or its end tag is missing.
std::optional<XmlElement> FindXmlElement(std::string_view xml, std::string_view tag,
                                         size_t from = 0);

// The decoded text of the first element named `tag`; nullopt when absent.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag);

// As XmlElementText, but empty when absent.
std::string XmlTagText(std::string_view xml, std::string_view tag);

// The raw content of every element named `tag`, in document order.
std::vector<std::string_view> XmlBlocks(std::string_view xml, std::string_view tag);

// Decodes the five XML entities and numeric character references (as
// UTF-8). A malformed reference is kept as written.
std::string DecodeXmlText(std::string_view text);

}  // namespace recoup::aws
