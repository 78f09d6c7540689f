#include "framework/campaign/soak.h"

#include <gtest/gtest.h>

#include <set>

namespace crashlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsHoursMinutesAndSecondsInOrder) {
  // The parse result is checked before it is read: a refusal fails here
  // with its message, rather than throwing from the comparison.
  auto parsed = [](const char* text) {
    Result<seconds> d = ParseDuration(text);
    EXPECT_TRUE(d.ok()) << text << ": " << d.status().message();
    return d.ok() ? *d : seconds(-1);
  };
  EXPECT_EQ(parsed("90s"), seconds(90));
  EXPECT_EQ(parsed("30m"), seconds(1800));
  EXPECT_EQ(parsed("8h"), seconds(8 * 3600));
  EXPECT_EQ(parsed("1h30m"), seconds(5400));
  EXPECT_EQ(parsed("1h0m5s"), seconds(3605));
  EXPECT_EQ(parsed("720h"), seconds(30 * 24 * 3600));
}

TEST(ParseDuration, RefusesOtherFormsNamingTheAcceptedOnes) {
  for (const char* bad : {"", "90", "m", "1x", "30m1h", "1h1h", "0s", "0h0m", "-5m", "1.5h",
                          "1h 30m", "721h", "99999999999999999999s"}) {
    Result<seconds> d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("90s, 30m, 8h or 1h30m"), std::string::npos)
        << d.status().message();
  }
}

TEST(FormatDuration, LeavesOutLeadingZeroParts) {
  EXPECT_EQ(FormatDuration(milliseconds(7'900)), "7s");
  EXPECT_EQ(FormatDuration(milliseconds(245'000)), "4m05s");
  EXPECT_EQ(FormatDuration(milliseconds(3'723'000)), "1h02m03s");
  EXPECT_EQ(FormatDuration(milliseconds(-5)), "0s");
}

TEST(SoakRotation, EverySlotGetsACaseEachRoundInASeededOrder) {
  SoakRotation rotation(7, 42);
  std::vector<std::size_t> first_round;
  for (int round = 0; round < 5; ++round) {
    std::set<std::size_t> seen;
    for (int i = 0; i < 7; ++i) {
      const std::size_t slot = rotation.Next();
      EXPECT_TRUE(seen.insert(slot).second) << "slot " << slot << " twice in round " << round;
      rotation.CountCase(slot);
      if (round == 0) first_round.push_back(slot);
    }
  }
  // The same seed gives the same order; another seed, here, another one.
  SoakRotation again(7, 42), other(7, 43);
  std::vector<std::size_t> same, different;
  for (int i = 0; i < 7; ++i) {
    same.push_back(again.Next());
    again.CountCase(same.back());
    different.push_back(other.Next());
    other.CountCase(different.back());
  }
  EXPECT_EQ(same, first_round);
  EXPECT_NE(different, first_round);
}

TEST(SoakRotation, AResumedRotationServesTheSlotsLeftBehindFirst) {
  SoakRotation rotation(3, 1);
  rotation.SetCases(0, 4);
  rotation.SetCases(1, 3);
  rotation.SetCases(2, 4);
  EXPECT_EQ(rotation.Next(), 1u);
}

TEST(SoakProgress, LineSaysTimeCasesRateViolationsAndTimeLeft) {
  SoakProgress progress(stdout, false, milliseconds(1'800'000), milliseconds(600'000));
  const std::string line = progress.Line(milliseconds(60'000), {150, 30, 2});
  EXPECT_EQ(line,
            "soak 11m00s of 30m00s: 150 cases, 0.5 crash states/s, 2 violation(s), 19m00s left");
}

TEST(ProcessUsage, ReadsMemoryAndDescriptorsOfThisProcess) {
  const ProcessUsage usage = ReadProcessUsage();
  EXPECT_GT(usage.rss_kib, 0);
  EXPECT_GE(usage.hwm_kib, usage.rss_kib);
  EXPECT_GE(usage.open_fds, 3);  // stdin, stdout, stderr
  std::FILE* extra = std::tmpfile();
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(ReadProcessUsage().open_fds, usage.open_fds + 1);
  std::fclose(extra);
  EXPECT_EQ(ReadProcessUsage().open_fds, usage.open_fds);
}

TEST(SoakSettings, NameWhatDecidesTheCasesButNoPaths) {
  SoakOptions a;
  a.engines.push_back({"engines/x/variants.ini", {}, {"v1", "v2"}});
  a.engines[0].spec.name = "x";
  a.base.crashes = {CrashKind::kKill};
  a.base.seed = 7;
  a.duration = seconds(60);
  SoakOptions b = a;
  b.engines[0].arg = "x";
  b.base.db_path = "other.db";
  b.base.workdir = "/elsewhere";
  EXPECT_EQ(SoakSettings(a), SoakSettings(b));
  b.base.seed = 8;
  EXPECT_NE(SoakSettings(a), SoakSettings(b));
  b = a;
  b.engines[0].variants.pop_back();
  EXPECT_NE(SoakSettings(a), SoakSettings(b));
  EXPECT_NE(SoakSettings(a).find("duration 60s"), std::string::npos) << SoakSettings(a);
}

}  // namespace
}  // namespace crashlab
