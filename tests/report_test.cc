// `crashlab report` end to end: campaigns on real engines, the report
// written from their database, then opened in headless Chromium (Debian's
// chromium, installed by scripts/setup): the DOM holds the expected parts,
// nothing refers outside the file, and a screenshot is kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

// The DOM after the page's script ran, from headless Chromium; and a
// screenshot at `width` pixels in the test artifacts directory.
std::string RenderInChromium(const TempDir& dir, const std::string& html, const std::string& shot,
                             int width, const std::string& fragment = "") {
  const std::string url = "file://" + html + fragment;
  const std::vector<std::string> common = {
      "chromium",      "--headless",        "--no-sandbox",
      "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + dir / "chromium-profile"};
  std::vector<std::string> dump = common;
  dump.push_back("--dump-dom");
  dump.push_back(url);
  CommandResult dom = RunProgram(dump);
  EXPECT_EQ(dom.exit_code, 0) << "headless chromium failed (scripts/setup installs it): "
                              << dom.err;
  fs::create_directories(CRASHLAB_TEST_ARTIFACTS);
  const std::string png = std::string(CRASHLAB_TEST_ARTIFACTS) + "/" + shot;
  fs::remove(png);
  std::vector<std::string> screenshot = common;
  screenshot.push_back("--screenshot=" + png);
  screenshot.push_back("--window-size=" + std::to_string(width) + ",2000");
  screenshot.push_back(url);
  CommandResult taken = RunProgram(screenshot);
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
  EXPECT_TRUE(fs::exists(png)) << png;
  if (fs::exists(png)) {
    EXPECT_GT(fs::file_size(png), 10000u) << png;
  }
  return dom.out;
}

// How many times `what` occurs in `text`.
int Occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

void RunExpecting(const std::vector<std::string>& args, int want) {
  CommandResult r = RunCrashlab(args);
  ASSERT_EQ(r.exit_code, want) << r.out << r.err;
}

TEST(Report, ComparesVariantsAndTellsAFailureWithItsTimelineInABrowser) {
  TempDir dir;
  const std::string db = dir / "results.db";
  RunExpecting({"run", "--engine", "sqlite", "--variant", "wal-full", "--variant", "delete-off",
                "--seed", "1", "--cases", "4", "--crash", "kill,power-loss", "--db", db},
               0);
  RunExpecting(
      {"run", "--engine", "pagejournal", "--variant", "correct", "--variant", "journal-no-sync",
       "--seed", "11", "--cases", "8", "--crash", "power-loss", "--db", db},
      1);
  RunExpecting({"run", "--engine", "pagejournal", "--variant", "correct", "--variant",
                "ack-before-journal", "--seed", "1", "--cases", "6", "--db", db},
               1);
  const std::string html = dir / "report.html";
  CommandResult r = RunCrashlab({"report", "--db", db, "-o", html});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("report: " + html), std::string::npos) << r.out;

  const std::string page = ReadFile(html);
  // Self-contained: no URL, no file or script brought in from elsewhere.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(Occurrences(page, "<script"), 1);

  const std::string dom = RenderInChromium(dir, html, "report-1280.png", 1280);
  for (const char* part :
       {"id=\"campaigns\"", "id=\"matrix\"", "id=\"variant-comparison\"", "id=\"verdict-bars\"",
        "id=\"verdicts-by-fault\"", "id=\"durability-cost\"", "id=\"failure-list\"",
        "id=\"trend-violations\"", "sqlite/wal-full", "sqlite/delete-off",
        "pagejournal/journal-no-sync", "pagejournal/ack-before-journal", "VIOLATED",
        "class=\"chart timeline\"", "class=\"crash-point\"", "crashlab repro "}) {
    EXPECT_NE(dom.find(part), std::string::npos) << part;
  }
  // A power-loss failure's timeline names its files and shows lost writes.
  EXPECT_NE(dom.find(">journal"), std::string::npos);
  EXPECT_GT(Occurrences(dom, "class=\"failure\""), 1);
  // Each failure page names its signature (what shrinking keeps).
  EXPECT_EQ(Occurrences(dom, "class=\"signature\""), Occurrences(dom, "class=\"failure\""));
  EXPECT_NE(dom.find("<code>lost-acked, acknowledged data lost</code>"), std::string::npos);
  // The counts: 4 campaigns... 3 here, and the variants compared side by side.
  EXPECT_NE(dom.find("<b>3</b> campaign(s), <b>2</b> engine(s), <b>5</b> variant(s)"),
            std::string::npos);
  RenderInChromium(dir, html, "report-phone.png", 390);

  // Sorting by a header, in the browser: cases, most first, then fewest.
  auto first_row = [](const std::string& sorted) {
    const std::size_t table = sorted.find("id=\"variant-comparison\"");
    const std::size_t row = sorted.find("<tbody><tr><td>", table);
    return sorted.substr(row + 15, sorted.find("</td>", row) - row - 15);
  };
  const std::string most =
      RenderInChromium(dir, html, "report-sorted.png", 1280, "#sort=variant-comparison:1:desc");
  EXPECT_EQ(first_row(most), "pagejournal/correct");  // 14 cases: 6 kill and 8 power loss
  const std::string fewest =
      RenderInChromium(dir, html, "report-sorted.png", 1280, "#sort=variant-comparison:1");
  EXPECT_NE(first_row(fewest), "pagejournal/correct");
  EXPECT_NE(fewest.find("aria-sort=\"ascending\""), std::string::npos);
}

TEST(Report, AnEnginesHtmlReachesTheReportEscaped) {
  TempDir dir;
  const std::string db = dir / "results.db";
  RunExpecting({"run", "--engine", CRASHLAB_FAKE_ENGINE, "--variant", "err-script", "--seed", "1",
                "--cases", "3", "--db", db},
               1);
  const std::string html = dir / "report.html";
  CommandResult r = RunCrashlab({"report", "--db", db, "-o", html});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string page = ReadFile(html);
  EXPECT_EQ(page.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  const std::string dom = RenderInChromium(dir, html, "report-escaped.png", 1280);
  EXPECT_EQ(Occurrences(dom, "<script"), 1) << "only the report's own script";
  EXPECT_EQ(Occurrences(dom, "<img"), 0);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(Report, AMissingDatabaseOrCampaignIsAClearError) {
  TempDir dir;
  CommandResult none = RunCrashlab({"report", "--db", dir / "none.db", "-o", dir / "r.html"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("does not exist"), std::string::npos) << none.err;
  RunExpecting({"run", "--engine", "pagejournal", "--variant", "correct", "--seed", "1", "--cases",
                "1", "--db", dir / "a.db"},
               0);
  CommandResult unknown =
      RunCrashlab({"report", "--db", dir / "a.db", "--campaign", "9", "-o", dir / "r.html"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("holds no campaign 9"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(dir / "r.html"));
}

}  // namespace
}  // namespace crashlab::e2e
