#include "framework/store/junit.h"

#include <map>
#include <tuple>

#include <fmt/format.h>

#include "framework/store/durable_file.h"

namespace crashlab {

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 allows no control characters but tab, newline and return,
        // and a byte past ASCII may not be valid UTF-8; crashlab's own texts
        // are ASCII (keys and values are percent-encoded), so both become '?'.
        out += (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u >= 0x7f ? '?' : c;
    }
  }
  return out;
}

Status WriteJUnit(const std::string& path, const std::vector<CaseRecord>& cases,
                  const std::function<std::string(const CaseRecord&)>& repro) {
  using Suite = std::tuple<std::string, std::string, std::string>;
  std::map<Suite, std::vector<const CaseRecord*>> suites;
  for (const CaseRecord& c : cases)
    suites[{c.engine, c.variant, std::string(Name(c.crash_kind))}].push_back(&c);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  int64_t total = 0, failures = 0;
  double seconds = 0;
  std::string body;
  for (const auto& [suite, members] : suites) {
    const auto& [engine, variant, crash] = suite;
    int64_t suite_failures = 0;
    double suite_seconds = 0;
    std::string testcases;
    for (const CaseRecord* c : members) {
      const double s = c->total_ms / 1000.0;
      suite_seconds += s;
      testcases += fmt::format("    <testcase classname=\"{}\" name=\"case {}\" time=\"{:.3f}\"",
                               XmlEscape("crashlab." + engine + "." + variant + "." + crash),
                               c->case_index, s);
      if (!c->violation) {
        testcases += "/>\n";
        continue;
      }
      ++suite_failures;
      testcases += fmt::format(
          ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
          XmlEscape(fmt::format("{} breaks the {} contract under {}", Name(c->verdict),
                                Name(c->contract), crash)),
          XmlEscape(std::string(Name(c->verdict))),
          XmlEscape(fmt::format("{}\ncrash plan: {}\nseed {}, case {}\nrepro: {}\n", c->details,
                                c->crash_plan, c->seed, c->case_index, repro(*c))));
    }
    body += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n{}"
        "  </testsuite>\n",
        XmlEscape(engine + "/" + variant + "/" + crash), members.size(), suite_failures,
        suite_seconds, testcases);
    total += static_cast<int64_t>(members.size());
    failures += suite_failures;
    seconds += suite_seconds;
  }
  xml += fmt::format(
      "<testsuites name=\"crashlab\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "time=\"{:.3f}\">\n{}</testsuites>\n",
      total, failures, seconds, body);
  // DURABILITY: written aside, synced, renamed in and the directory synced
  // (ReplaceFileDurably): a CI job that reads the file after a crash, or
  // after a power loss, finds the previous report or this whole one, never a
  // torn XML file that fails its parser or hides failures.
  if (Status s = ReplaceFileDurably(path, xml); !s.ok()) {
    return Status::Error("cannot write the JUnit report " + path + ": " + s.message() +
                         "; is its directory there and writable?");
  }
  return Status::Ok();
}

}  // namespace crashlab
