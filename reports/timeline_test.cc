#include "reports/timeline.h"

#include <gtest/gtest.h>

#include "faults/trace_builder_for_tests.h"

namespace crashlab::report {
namespace {

using faults::EventKind;

faults::Trace JournalTrace(faults::TraceBuilder& b) {
  b.Create("journal", 1);
  b.Create("data<script>", 2);
  b.Write(1, 0, "record one");            // 2: synced below
  b.Sync(EventKind::kFdatasync, 1);       // 3
  b.Write(2, 0, std::string(1024, 'p'));  // 4: pending at the crash
  b.Write(1, 10, "record two");           // 5: pending at the crash
  faults::Event point = faults::Ev(EventKind::kPoint, 0);
  point.name = "flush.copy:done";
  b.Add(point);                  // 6
  b.Sync(EventKind::kFsync, 2);  // 7: the crash point; never happened
  return b.trace();
}

TEST(Timeline, OneLanePerFileTheCrashPointAndFadedFuture) {
  faults::TraceBuilder b;
  const faults::Trace trace = JournalTrace(b);
  TimelineOptions o;
  o.crash_point = 7;
  const std::string svg = Timeline("t1", trace, o);
  EXPECT_NE(svg.find(">journal</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">data&lt;script&gt;</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<script>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">named points</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("crash point 7"), std::string::npos) << svg;
  // The fsync at the crash point is drawn faded: it never happened.
  EXPECT_NE(svg.find("<g opacity=\"0.3\"><rect class=\"ev sync\""), std::string::npos) << svg;
  EXPECT_EQ(svg.find("vanished"), std::string::npos);
}

TEST(Timeline, APowerLossShowsVanishedAndTornWrites) {
  faults::TraceBuilder b;
  const faults::Trace trace = JournalTrace(b);
  faults::CrashReport report;
  report.writes.push_back({4, EventKind::kWrite, 2, faults::WriteFate::kTorn, "NO"});
  report.writes.push_back({5, EventKind::kWrite, 1, faults::WriteFate::kVanished, ""});
  TimelineOptions o;
  o.crash_point = 7;
  o.power_loss = &report;
  const std::string svg = Timeline("t2", trace, o);
  EXPECT_NE(svg.find("class=\"ev vanished\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("class=\"ev torn\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("fill=\"#afb8c1\""), std::string::npos) << svg;  // an old unit
}

// The write in flight at the crash point is part of the crash, not faded.
TEST(Timeline, TheWriteInFlightAtTheCrashPointIsNotFaded) {
  faults::TraceBuilder b;
  const faults::Trace trace = JournalTrace(b);
  faults::CrashReport report;
  report.writes.push_back({5, EventKind::kWrite, 1, faults::WriteFate::kTorn, "NO"});
  TimelineOptions o;
  o.crash_point = 5;
  o.power_loss = &report;
  const std::string svg = Timeline("t4", trace, o);
  EXPECT_NE(svg.find("<g class=\"ev torn\">"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<g opacity=\"0.3\"><g class=\"ev torn\">"), std::string::npos) << svg;
}

TEST(Timeline, AWindowAroundALateCrashPoint) {
  faults::TraceBuilder b;
  b.Create("journal", 1);
  for (int i = 0; i < 100; ++i) b.Write(1, static_cast<uint64_t>(i) * 10, "x");
  TimelineOptions o;
  o.crash_point = 90;
  o.before = 5;
  o.after = 2;
  const std::string svg = Timeline("t3", b.trace(), o);
  // 7 events shown, the journal's open far before the window named all the same.
  EXPECT_NE(svg.find(">journal</text>"), std::string::npos);
  EXPECT_NE(svg.find("event 85:"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("event 84:"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("event 92:"), std::string::npos) << svg;
}

}  // namespace
}  // namespace crashlab::report
