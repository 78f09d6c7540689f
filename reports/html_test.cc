#include "reports/html.h"

#include <gtest/gtest.h>

namespace crashlab::report {
namespace {

TEST(Escape, ScriptFromAnEngineBecomesText) {
  EXPECT_EQ(Escape("err <script>alert(1)</script>"), "err &lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(Escape("a & b \"c\" 'd'"), "a &amp; b &quot;c&quot; &#39;d&#39;");
}

TEST(Escape, BinaryJunkIsShownNotPassedThrough) {
  EXPECT_EQ(Escape(std::string("k\0ey\x01\xff\n", 7)), "k\\x00ey\\x01\\xFF\n");
  // Valid UTF-8 stays; a truncated or overlong sequence does not.
  EXPECT_EQ(Escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(Escape("\xc3"), "\\xC3");
  EXPECT_EQ(Escape("\xc0\xaf"), "\\xC0\\xAF");
  EXPECT_EQ(Escape("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
}

TEST(RenderTable, EscapesCellsAndKeepsSortKeys) {
  Table t;
  t.id = "verdicts";
  t.headers = {"variant", "cases"};
  t.rows.push_back({TextCell("<b>x</b>", "violated"), NumberCell(12.5, 1)});
  const std::string html = RenderTable(t);
  EXPECT_NE(html.find("id=\"verdicts\""), std::string::npos) << html;
  EXPECT_NE(html.find("<td class=\"violated\">&lt;b&gt;x&lt;/b&gt;</td>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("data-sort=\"12.5\">12.5</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<th scope=\"col\">cases</th>"), std::string::npos) << html;
}

TEST(Page, IsSelfContained) {
  const std::string page = Page("a <title>", "<p>body</p>");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<title>a &lt;title&gt;</title>"), std::string::npos);
  EXPECT_EQ(page.find("http:"), std::string::npos);
  EXPECT_EQ(page.find("https:"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
}

}  // namespace
}  // namespace crashlab::report
