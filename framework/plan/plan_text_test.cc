#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "framework/base/prng.h"
#include "framework/plan/crash_plan.h"

namespace crashlab {
namespace {

// A traced plan drawn from `prng`, over every form the text has.
TracedPlan RandomTracedPlan(Prng& prng) {
  TracedPlan p;
  p.crash = prng.Chance(1, 3) ? CrashKind::kKill : CrashKind::kPowerLoss;
  p.live = prng.Chance(1, 3);
  if (p.live) {
    p.kill_at = prng.Next();
    p.killed = prng.Chance(1, 2);
  }
  // Live cases are never explored ones: `explore` records no live runs.
  p.explore = !p.live && prng.Chance(1, 2);
  if (p.explore) {
    p.explore_workload = prng.Chance(1, 4) ? -1 : static_cast<int64_t>(prng.Next() >> 1);
    p.explore_txns = prng.Below(1000);
  }
  p.plan.event = prng.Next();
  if (p.crash == CrashKind::kKill) return p;
  p.trace_events = prng.Next();
  p.plan.atomic_unit = static_cast<uint32_t>(prng.Range(1, 0xffffffff));
  p.plan.seed = prng.Next();
  if (!p.live && prng.Chance(1, 4)) {  // block-level: no live mode
    p.block_fs = static_cast<faults::FileSystemKind>(prng.Below(3));
    const uint64_t pending = prng.Below(6);
    for (uint64_t i = 0; i < pending; ++i) {
      std::string fate = prng.Chance(1, 2) ? "-" : "*";
      if (prng.Chance(1, 3)) fate = prng.Bytes(prng.Range(1, 8), "NO");
      p.block_fates.fates.push_back(fate);
    }
    return p;
  }
  p.plan.profile = prng.Chance(1, 2) ? faults::Profile::kPosix : faults::Profile::kExt4Ordered;
  if (prng.Chance(1, 2)) {
    faults::PowerLossChoices choices{prng.Next()};
    if (prng.Chance(2, 3)) {
      const uint64_t units = prng.Range(1, 12);
      for (uint64_t u = 0; u < units; ++u) choices.tear += "NOZG"[prng.Below(4)];
      if (prng.Chance(1, 2)) choices.torn_event = prng.Next();
    }
    p.plan.choices = choices;
  }
  return p;
}

KillPlan RandomKillPlan(Prng& prng) {
  KillPlan p;
  if (prng.Chance(1, 2)) {
    p.point = std::string(prng.Chance(1, 2) ? "recovery.replay" : "journal.write") + ":after";
    p.hit = prng.Range(1, INT64_MAX);
  } else {
    p.txn = prng.Next();
    p.delay_us = prng.Range(0, INT64_MAX);
  }
  return p;
}

TEST(PlanText, EverySeededPlanReadsBackAsTheSamePlan) {
  Prng prng(18);
  for (int i = 0; i < 5000; ++i) {
    const TracedPlan traced = RandomTracedPlan(prng);
    const std::string text = traced.PlanText();
    Result<TracedPlan> parsed = ParseTracedPlan(text, traced.crash);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    EXPECT_TRUE(*parsed == traced) << text << " reads back as " << parsed->PlanText();
    EXPECT_TRUE(text.ends_with(" model=2")) << text;

    const KillPlan kill = RandomKillPlan(prng);
    Result<KillPlan> read = KillPlan::Parse(kill.ToString());
    ASSERT_TRUE(read.ok()) << kill.ToString() << ": " << read.status().message();
    EXPECT_EQ(*read, kill) << kill.ToString();
  }
}

TEST(PlanText, NewPlansCarryTheCurrentModelVersion) {
  EXPECT_EQ((KillPlan{5, 120, "", 0}.ToString()), "kill txn=5 delay_us=120 model=2");
  EXPECT_EQ((KillPlan{0, 0, "flush.copy:done", 2}.ToString()),
            "kill point=flush.copy:done hit=2 model=2");
  TracedPlan p;
  p.plan.event = 57;
  p.trace_events = 212;
  p.plan.seed = 9;
  EXPECT_EQ(p.PlanText(), "power-loss event=57/212 profile=posix unit=512 seed=9 model=2");
  EXPECT_EQ(*ModelVersionOf(p.PlanText()), kModelVersion);
  EXPECT_EQ(WithoutModelToken(p.PlanText()),
            "power-loss event=57/212 profile=posix unit=512 seed=9");
}

// Plan texts as earlier releases stored them (no model token), each with
// what it says.
struct OldPlan {
  const char* text;
  CrashKind crash;
  bool live, killed, explore;
  int64_t explore_workload;
  uint64_t event, trace_events, seed;
  uint32_t unit;
  const char* choices;  // "" none, else "keep tear torn-event" (torn -1: none)
};

TEST(PlanText, PlansStoredByEarlierReleasesStillParseAsModelVersionOne) {
  const std::vector<OldPlan> plans = {
      // testdata/results-v3.db
      {"explore workload=0 txns=3 kill event=17", CrashKind::kKill, false, false, true, 0, 17, 0, 0,
       512, ""},
      {"power-loss event=105/134 profile=posix unit=512 seed=5149529455305215660",
       CrashKind::kPowerLoss, false, false, false, 0, 105, 134, 5149529455305215660u, 512, ""},
      // testdata/results-v5.db
      {"power-loss event=33/71 profile=posix unit=512 seed=5391554213263951783",
       CrashKind::kPowerLoss, false, false, false, 0, 33, 71, 5391554213263951783u, 512, ""},
      // The forms the release before model versions wrote.
      {"power-loss event=57/212 profile=ext4-ordered unit=4096 seed=9", CrashKind::kPowerLoss,
       false, false, false, 0, 57, 212, 9, 4096, ""},
      {"power-loss event=0/0 profile=posix unit=512 seed=0", CrashKind::kPowerLoss, false, false,
       false, 0, 0, 0, 0, 512, ""},
      {"live kill-at=57 kill event=58", CrashKind::kKill, true, true, false, 0, 58, 0, 0, 512, ""},
      {"live kill-at=57 (run ended first) kill event=40", CrashKind::kKill, true, false, false, 0,
       40, 0, 0, 512, ""},
      {"live kill-at=30 power-loss event=31/90 profile=posix unit=512 seed=4",
       CrashKind::kPowerLoss, true, true, false, 0, 31, 90, 4, 512, ""},
      {"explore workload=stored txns=8 kill event=57", CrashKind::kKill, false, false, true, -1, 57,
       0, 0, 512, ""},
      {"explore workload=3 txns=100 power-loss event=57/1963 profile=posix unit=512 seed=9 "
       "keep=0x2f",
       CrashKind::kPowerLoss, false, false, true, 3, 57, 1963, 9, 512, "47 - -1"},
      {"explore workload=3 txns=100 power-loss event=60/100 profile=posix unit=512 seed=9 "
       "keep=0xffffffffffffffff tear=NO",
       CrashKind::kPowerLoss, false, false, true, 3, 60, 100, 9, 512, "-1 NO -1"},
      {"explore workload=0 txns=20 power-loss event=60/100 profile=posix unit=512 seed=9 "
       "keep=0x0 tear=NNO@55",
       CrashKind::kPowerLoss, false, false, true, 0, 60, 100, 9, 512, "0 NNO 55"},
  };
  for (const OldPlan& old : plans) {
    Result<TracedPlan> p = ParseTracedPlan(old.text, old.crash);
    ASSERT_TRUE(p.ok()) << old.text << ": " << p.status().message();
    EXPECT_EQ(p->model, 1) << old.text;
    EXPECT_EQ(*ModelVersionOf(old.text), 1) << old.text;
    EXPECT_EQ(p->live, old.live) << old.text;
    EXPECT_EQ(p->killed, old.killed) << old.text;
    EXPECT_EQ(p->explore, old.explore) << old.text;
    EXPECT_EQ(p->explore_workload, old.explore_workload) << old.text;
    EXPECT_EQ(p->plan.event, old.event) << old.text;
    EXPECT_EQ(p->trace_events, old.trace_events) << old.text;
    EXPECT_EQ(p->plan.seed, old.seed) << old.text;
    EXPECT_EQ(p->plan.atomic_unit, old.unit) << old.text;
    EXPECT_EQ(p->plan.choices.has_value(), *old.choices != '\0') << old.text;
    if (p->plan.choices) {
      const faults::PowerLossChoices& c = *p->plan.choices;
      const std::string expected = std::string(old.choices);
      const std::string tear = c.tear.empty() ? "-" : c.tear;
      const std::string torn = c.torn_event ? std::to_string(*c.torn_event) : "-1";
      const std::string keep =
          c.keep == ~uint64_t{0} ? "-1" : std::to_string(static_cast<int64_t>(c.keep));
      EXPECT_EQ(keep + " " + tear + " " + torn, expected) << old.text;
    }
    // Written back, it is the same text under its own version.
    EXPECT_EQ(p->PlanText(), std::string(old.text) + " model=1");
    EXPECT_EQ(WithoutModelToken(p->PlanText()), old.text);
  }
  // testdata/results-v1.db
  Result<KillPlan> kill = KillPlan::Parse("kill txn=12 delay_us=18296");
  ASSERT_TRUE(kill.ok()) << kill.status().message();
  EXPECT_EQ(*kill, (KillPlan{12, 18296, "", 0, 1}));
  kill = KillPlan::Parse("kill point=journal.write:after hit=3");
  ASSERT_TRUE(kill.ok()) << kill.status().message();
  EXPECT_EQ(*kill, (KillPlan{0, 0, "journal.write:after", 3, 1}));
}

// Every plan the results databases of earlier releases hold, read straight
// from framework/store/testdata.
TEST(PlanText, EveryPlanInTheEarlierReleasesDatabasesParses) {
  int plans = 0;
  for (const char* file : {"results-v1.db", "results-v3.db", "results-v5.db"}) {
    // Immutable: reading a WAL database would otherwise leave -shm and -wal
    // files beside it in the source tree.
    const std::string uri = "file:" + std::string(CRASHLAB_TESTDATA) + "/" + file + "?immutable=1";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr),
              SQLITE_OK)
        << uri;
    sqlite3_stmt* rows = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT crash_kind, crash_plan FROM cases", -1, &rows, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    while (sqlite3_step(rows) == SQLITE_ROW) {
      const std::string kind = reinterpret_cast<const char*>(sqlite3_column_text(rows, 0));
      const std::string text = reinterpret_cast<const char*>(sqlite3_column_text(rows, 1));
      ++plans;
      EXPECT_EQ(*ModelVersionOf(text), 1) << file << ": " << text;
      if (text.starts_with("kill txn=") || text.starts_with("kill point=")) {
        EXPECT_TRUE(KillPlan::Parse(text).ok()) << file << ": " << text;
        continue;
      }
      Result<TracedPlan> p = ParseTracedPlan(text, *ParseCrashKind(kind));
      ASSERT_TRUE(p.ok()) << file << ": " << p.status().message();
      EXPECT_EQ(WithoutModelToken(p->PlanText()), text);
    }
    sqlite3_finalize(rows);
    sqlite3_close(db);
  }
  EXPECT_EQ(plans, 33);
}

TEST(PlanText, MalformedTracedPlansAreErrorsNamingTheText) {
  const std::string ok = "power-loss event=1/2 profile=posix unit=512 seed=3";
  ASSERT_TRUE(ParseTracedPlan(ok, CrashKind::kPowerLoss).ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "junk", "power-loss", "power-loss event=1/2",
           // overflow
           "power-loss event=1/2 profile=posix unit=512 seed=18446744073709551616",
           "power-loss event=99999999999999999999/2 profile=posix unit=512 seed=3",
           "power-loss event=1/2 profile=posix unit=4294967296 seed=3",
           "live kill-at=18446744073709551616 kill event=1",
           "explore workload=9223372036854775808 txns=3 kill event=1", ok + " model=2147483648",
           // trailing bytes
           ok + " ", ok + "x", ok + " extra", ok + " model=2x", ok + " model=2 model=2",
           "kill event=5 trailing", "kill event=5x",
           // junk inside
           "power-loss event=-1/2 profile=posix unit=512 seed=3",
           "power-loss event=+1/2 profile=posix unit=512 seed=3",
           "power-loss event= 1/2 profile=posix unit=512 seed=3",
           "power-loss event=1/2 profile=nofs unit=512 seed=3",
           "power-loss event=1/2 profile=posix unit=0 seed=3", ok + " keep=", ok + " keep=2f",
           ok + " keep=0xzz", ok + " keep=0x1 tear=", ok + " keep=0x1 tear=NX",
           ok + " keep=0x1 tear=NO@", ok + " keep=0x1 tear=NO@5x", ok + " keep=0x1 tear=@5",
           ok + " model=0", ok + " model=-1", ok + " model=",
           "explore workload=x txns=3 kill event=1", "explore workload=1 txns=3kill event=1",
           "live kill-at=5kill event=1", "live kill-at=5 (run ended first)kill event=1",
           // block-level
           "power-loss block=zfs point=1/2 sector=4096 seed=3 fates=none",
           "power-loss block=ext4 point=1/2 sector=0 seed=3 fates=none",
           "power-loss block=ext4 point=1/2 sector=4096 seed=3",
           "power-loss block=ext4 point=1/2 sector=4096 seed=3 fates=",
           "power-loss block=ext4 point=1/2 sector=4096 seed=3 fates=*,X",
           "power-loss block=ext4 point=1/2 sector=4096 seed=3 fates=*,,-"}) {
    Result<TracedPlan> p{Status::Ok()};
    EXPECT_NO_THROW(p = ParseTracedPlan(bad, CrashKind::kPowerLoss)) << bad;
    if (p.ok() && bad.find("kill event") != std::string::npos) {
      p = ParseTracedPlan(bad, CrashKind::kKill);
    }
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("\"" + bad + "\""), std::string::npos)
        << p.status().message();
  }
  // A plan of the other crash kind is no plan of this one.
  Result<TracedPlan> kill = ParseTracedPlan("kill event=5 model=2", CrashKind::kPowerLoss);
  ASSERT_FALSE(kill.ok());
  EXPECT_NE(kill.status().message().find("pass the case's own --crash"), std::string::npos);
}

TEST(PlanText, MalformedKillPlansAreErrorsNamingTheText) {
  for (const char* bad :
       {"", "kill", "kill txn=1", "kill txn=1 delay_us=-4", "kill point= hit=2",
        "kill point=a hit=0", "kill point=a hit=2x", "kill txn=18446744073709551616 delay_us=1",
        "kill txn=1 delay_us=9223372036854775808", "kill txn=1 delay_us=2 ",
        "kill txn=1 delay_us=2 model=", "kill txn=1 delay_us=2 model=0", "kill txn=+1 delay_us=2",
        "kill point=a hit=-3", "kill point=a hit=3 model=2 extra"}) {
    Result<KillPlan> p{Status::Ok()};
    EXPECT_NO_THROW(p = KillPlan::Parse(bad)) << bad;
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("'" + std::string(bad) + "'"), std::string::npos)
        << p.status().message();
  }
}

}  // namespace
}  // namespace crashlab
