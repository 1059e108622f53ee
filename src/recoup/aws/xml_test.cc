#include "recoup/aws/xml.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace recoup::aws {
namespace {

TEST(XmlTest, ExtractsTags) {
  EXPECT_EQ(XmlElementText("<a><Code>X&amp;Y</Code></a>", "Code"), "X&Y");
  EXPECT_EQ(XmlElementText("<CodeX>1</CodeX><Code attr=\"1\">2</Code>", "Code"), "2");
  EXPECT_EQ(XmlElementText("<Code/>", "Code"), "");
  EXPECT_EQ(XmlElementText("<Other>1</Other>", "Code"), std::nullopt);
  EXPECT_EQ(XmlElementText("<Code>unterminated", "Code"), std::nullopt);
  EXPECT_EQ(XmlTagText("<Other>1</Other>", "Code"), "");
}

TEST(XmlTest, BlocksInOrder) {
  const std::vector<std::string_view> blocks =
      XmlBlocks("<r><C><K>a</K></C><Cx/><C><K>b</K></C><C/></r>", "C");
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0], "<K>a</K>");
  EXPECT_EQ(blocks[1], "<K>b</K>");
  EXPECT_EQ(blocks[2], "");
  std::optional<XmlElement> second = FindXmlElement("<C>1</C><C>2</C>", "C", 1);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->inner, "2");
  EXPECT_EQ(second->end, 16u);
}

TEST(XmlTest, DecodesEntitiesAndKeepsMalformedOnes) {
  const std::pair<const char*, const char*> cases[] = {
      {"&lt;a&gt; &quot;&apos;&amp;", "<a> \"'&"},
      {"&#38;&#x26;&#xe9;", "&&\xC3\xA9"},
      {"a & b &unknown; &#; &#xZZ;", "a & b &unknown; &#; &#xZZ;"},
      {"  spaced  ", "  spaced  "}};
  for (const auto& [text, decoded] : cases) EXPECT_EQ(DecodeXmlText(text), decoded) << text;
}

}  // namespace
}  // namespace recoup::aws
