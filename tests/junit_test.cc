// --junit end to end: the report is well-formed XML (parsed by Python's
// ElementTree), lists every case, and carries each violation's repro command.
#include <gtest/gtest.h>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

TEST(JUnit, RunReport_ListsEveryCaseAndEachViolationWithItsRepro) {
  TempDir dir;
  const std::string xml = dir / "report.xml";
  CommandResult r = RunCrashlab({"run", "--engine", CRASHLAB_FAKE_ENGINE, "--variant", "correct",
                                 "--variant", "ack-before-write", "--seed", "3", "--cases", "4",
                                 "--db", dir / "db", "--junit", xml});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  // Counted by a real XML parser: tests, failures, and the repro text.
  const std::string script =
      "import sys, xml.etree.ElementTree as E\n"
      "root = E.parse(sys.argv[1]).getroot()\n"
      "cases = root.findall('.//testcase')\n"
      "failures = root.findall('.//failure')\n"
      "print(root.get('tests'), len(cases), root.get('failures'), len(failures))\n"
      "print(all('crashlab repro --engine' in f.text for f in failures))\n";
  CommandResult parsed = RunProgram({"python3", "-c", script, xml});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  const auto violations = Query(dir / "db", "SELECT count(*) AS n FROM cases WHERE violation = 1");
  const std::string n = violations[0].at("n");
  EXPECT_EQ(parsed.out, "8 8 " + n + " " + n + "\nTrue\n");
  EXPECT_NE(n, "0");
}

}  // namespace
}  // namespace crashlab::e2e
