#include "framework/case/outcome_text.h"

#include <gtest/gtest.h>

#include <string>

namespace crashlab {
namespace {

using faults::WriteFate;

// Forty pending writes to one file; the ones that decided the crash state
// are early, far from the crash point, where a list of the last changes
// would fold them away.
faults::CrashReport EarlyDecisions() {
  faults::CrashReport report;
  for (uint64_t e = 0; e < 40; ++e) {
    faults::WriteOutcome w;
    w.event = e;
    w.file = 3;
    if (e == 2) w.fate = WriteFate::kVanished;
    if (e == 5) {
      w.fate = WriteFate::kTorn;
      w.units = "NNO";
    }
    report.writes.push_back(w);
  }
  report.names.push_back({4, faults::EventKind::kRename, "MANIFEST.tmp", "MANIFEST", false});
  report.names.push_back({30, faults::EventKind::kOpen, "LOG", "", true});
  return report;
}

TEST(OutcomeText, ChangesThatDecidedTheStateComeFirstInTraceOrder_TheRestFolded) {
  const std::string text = DescribeOutcomes(EarlyDecisions(), {{3, "journal"}});
  EXPECT_EQ(text,
            "what the power loss did to the changes not yet durable (1 name kept, 1 name "
            "reverted, 38 survived, 1 torn, 1 vanished):\n"
            " the 3 that made the crash state differ from the trace:\n"
            "  event 2 write file 3 (journal): vanished\n"
            "  event 4 rename MANIFEST.tmp -> MANIFEST: reverted\n"
            "  event 5 write file 3 (journal): torn NNO\n"
            " the other 39 came through as the trace has them; the 4 last:\n"
            "  ... 35 earlier ones\n"
            "  event 36 write file 3 (journal): survived\n"
            "  event 37 write file 3 (journal): survived\n"
            "  event 38 write file 3 (journal): survived\n"
            "  event 39 write file 3 (journal): survived\n");
}

TEST(OutcomeText, ManyDecidingChanges_AreCountedPastTheLimit) {
  faults::CrashReport report;
  for (uint64_t e = 0; e < 10; ++e) {
    report.writes.push_back({e, faults::EventKind::kWrite, 1, WriteFate::kVanished, ""});
  }
  const std::string text = DescribeOutcomes(report, {}, 4);
  EXPECT_NE(text.find("  event 3 write file 1 (?): vanished\n  ... and 6 more\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("event 4 "), std::string::npos) << text;
  EXPECT_EQ(text.find("came through"), std::string::npos) << text;
}

TEST(OutcomeText, TheCaseDirectorysOwnMkdirRevertedDecidesNothing) {
  faults::CrashReport report;
  report.names.push_back({1, faults::EventKind::kMkdir, ".", "", false});
  report.names.push_back({2, faults::EventKind::kOpen, "data.db", "", false});
  const std::string text = DescribeOutcomes(report, {});
  EXPECT_NE(text.find(" the one that made the crash state differ from the trace:\n"
                      "  event 2 open data.db: reverted\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("event 1 mkdir .: reverted, which changes nothing"), std::string::npos)
      << text;
}

TEST(OutcomeText, NothingPending_SaysSo) {
  EXPECT_EQ(DescribeOutcomes({}, {}),
            "what the power loss did to the changes not yet durable (none pending):\n");
}

}  // namespace
}  // namespace crashlab
