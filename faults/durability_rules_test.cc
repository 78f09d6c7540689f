// The durability rules (durability_rules.h), one test per rule of
// docs/persistence-model.md's "What makes a change durable", under both
// profiles: first what DurableOnReturn and AsksForDurability say of an
// event, then what the replay (trace_replay.cc) makes of it.
#include "faults/durability_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "faults/trace.h"
#include "faults/trace_builder_for_tests.h"
#include "faults/trace_file.h"
#include "faults/trace_replay.h"

namespace crashlab::faults::durability_rules_test {
namespace {

constexpr Profile kProfiles[] = {Profile::kPosix, Profile::kExt4Ordered};

constexpr EventKind kEveryKind[] = {
    EventKind::kOpen,      EventKind::kClose,    EventKind::kWrite,     EventKind::kTruncate,
    EventKind::kFallocate, EventKind::kFsync,    EventKind::kFdatasync, EventKind::kSyncRange,
    EventKind::kSyncAll,   EventKind::kMapWrite, EventKind::kMsync,     EventKind::kRename,
    EventKind::kUnlink,    EventKind::kLink,     EventKind::kMkdir,     EventKind::kRmdir,
    EventKind::kPoint,     EventKind::kReply,
};

Event Of(EventKind kind, uint32_t flags = 0) {
  Event e = Ev(kind, 1);
  e.flags = flags;
  return e;
}

DurableScope ScopeOf(EventKind kind, Profile profile, uint32_t flags = 0) {
  return DurableOnReturn(Of(kind, flags), profile).scope;
}

internal::State Replayed(const Trace& trace, uint64_t crash, Profile profile) {
  Result<internal::State> state = internal::Replay(trace, crash, /*in_flight=*/true, profile, {});
  EXPECT_TRUE(state.ok()) << state.status().message();
  return state.ok() ? *std::move(state) : internal::State{};
}

// Whether each content change of the file with trace id `file` is durable.
std::vector<bool> ContentDurable(const internal::State& state, uint64_t file) {
  std::vector<bool> out;
  auto it = state.ids.find(file);
  if (it == state.ids.end()) return out;
  for (const internal::ContentOp& op : state.nodes[it->second].ops) out.push_back(op.durable);
  return out;
}

bool NameDurable(const internal::State& state, uint64_t event) {
  for (const internal::NameOp& op : state.name_ops) {
    if (op.seq == event) return op.durable;
  }
  ADD_FAILURE() << "event " << event << " changed no name";
  return false;
}

TEST(DurabilityRulesTest, FsyncAndFdatasync_MakeTheWholeFileDurable) {
  for (Profile profile : kProfiles) {
    EXPECT_EQ(ScopeOf(EventKind::kFsync, profile), DurableScope::kTheFile);
    EXPECT_EQ(ScopeOf(EventKind::kFdatasync, profile), DurableScope::kTheFile);
  }
}

TEST(DurabilityRulesTest, DsyncOrSyncWrite_IsDurableItself_ODirectAloneIsNot) {
  for (Profile profile : kProfiles) {
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile, kOpenDsync), DurableScope::kTheWrite);
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile, kOpenSync), DurableScope::kTheWrite);
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile, kOpenDirect | kOpenDsync),
              DurableScope::kTheWrite);
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile, kOpenDirect), DurableScope::kNothing);
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile, kOpenAppend), DurableScope::kNothing);
    EXPECT_EQ(ScopeOf(EventKind::kWrite, profile), DurableScope::kNothing);
    // A store through a mapping has no descriptor flags to make it durable.
    EXPECT_EQ(ScopeOf(EventKind::kMapWrite, profile, kOpenDsync), DurableScope::kNothing);
  }
}

TEST(DurabilityRulesTest, Msync_CoversMappedStoresUnderPosixAndWritesTooUnderExt4Ordered) {
  EXPECT_EQ(DurableOnReturn(Of(EventKind::kMsync), Profile::kPosix),
            (Durability{DurableScope::kTheRange, false}));
  EXPECT_EQ(DurableOnReturn(Of(EventKind::kMsync), Profile::kExt4Ordered),
            (Durability{DurableScope::kTheRange, true}));
}

TEST(DurabilityRulesTest, SyncAndSyncfs_MakeEverythingDurable) {
  for (Profile profile : kProfiles) {
    EXPECT_EQ(ScopeOf(EventKind::kSyncAll, profile), DurableScope::kEverything);
  }
}

TEST(DurabilityRulesTest, SyncFileRange_PromisesNothingButAsksForDurability) {
  for (Profile profile : kProfiles) {
    EXPECT_EQ(ScopeOf(EventKind::kSyncRange, profile), DurableScope::kNothing);
  }
  EXPECT_TRUE(AsksForDurability(Of(EventKind::kSyncRange)));
}

TEST(DurabilityRulesTest, NameAndContentChanges_MakeNothingDurableThemselves) {
  for (Profile profile : kProfiles) {
    for (EventKind kind :
         {EventKind::kOpen, EventKind::kClose, EventKind::kTruncate, EventKind::kFallocate,
          EventKind::kRename, EventKind::kUnlink, EventKind::kLink, EventKind::kMkdir,
          EventKind::kRmdir, EventKind::kPoint, EventKind::kReply}) {
      EXPECT_EQ(ScopeOf(kind, profile, kOpenCreated | kOpenDsync | kOpenSync),
                DurableScope::kNothing)
          << EventKindName(kind);
    }
  }
}

TEST(DurabilityRulesTest, AsksForDurability_EverySyncCallAndEverySynchronousWrite) {
  for (EventKind kind : kEveryKind) {
    const bool sync_call = kind == EventKind::kFsync || kind == EventKind::kFdatasync ||
                           kind == EventKind::kSyncRange || kind == EventKind::kMsync ||
                           kind == EventKind::kSyncAll;
    EXPECT_EQ(AsksForDurability(Of(kind)), sync_call) << EventKindName(kind);
  }
  EXPECT_TRUE(AsksForDurability(Of(EventKind::kWrite, kOpenDsync)));
  EXPECT_TRUE(AsksForDurability(Of(EventKind::kWrite, kOpenSync)));
  EXPECT_FALSE(AsksForDurability(Of(EventKind::kWrite, kOpenDirect)));
}

// The replay applies the rules: what follows checks ApplySync and the write
// rule in trace_replay.cc against the rules above.

TEST(DurabilityRulesTest, Replay_FsyncCoversEveryEarlierChangeOfTheFileOnly) {
  for (Profile profile : kProfiles) {
    for (EventKind sync : {EventKind::kFsync, EventKind::kFdatasync}) {
      TraceBuilder t;
      t.Create("f", 1);
      t.Create("g", 2);
      t.Write(1, 0, "abc");
      t.MapWrite(1, 0, "x");
      t.Sync(EventKind::kTruncate, 1, 0, 2);
      t.Sync(EventKind::kFallocate, 1, 0, 4096);
      t.Write(2, 0, "other");
      const uint64_t fsync = t.Sync(sync, 1);
      t.Write(1, 3, "later");
      const internal::State state = Replayed(t.trace(), t.end(), profile);
      EXPECT_EQ(ContentDurable(state, 1), (std::vector<bool>{true, true, true, true, false}));
      EXPECT_EQ(ContentDurable(state, 2), (std::vector<bool>{false}));
      // A file's fsync does not make its name durable.
      EXPECT_FALSE(NameDurable(state, 0));
      // In flight, it promised nothing yet.
      const internal::State in_flight = Replayed(t.trace(), fsync, profile);
      EXPECT_EQ(ContentDurable(in_flight, 1), (std::vector<bool>{false, false, false, false}));
    }
  }
}

TEST(DurabilityRulesTest, Replay_DsyncWriteIsDurableOnceItReturns) {
  for (Profile profile : kProfiles) {
    TraceBuilder t;
    t.Create("j", 1, kOpenDirect | kOpenDsync);
    t.Write(1, 0, "a", kOpenDirect | kOpenDsync);
    t.Write(1, 1, "b", kOpenDirect);
    const uint64_t in_flight = t.Write(1, 2, "c", kOpenDsync);
    EXPECT_EQ(ContentDurable(Replayed(t.trace(), t.end(), profile), 1),
              (std::vector<bool>{true, false, true}));
    EXPECT_EQ(ContentDurable(Replayed(t.trace(), in_flight, profile), 1),
              (std::vector<bool>{true, false, false}));
  }
}

TEST(DurabilityRulesTest, Replay_MsyncSplitsWritesAtItsRange) {
  for (Profile profile : kProfiles) {
    TraceBuilder t;
    t.Create("m", 1);
    t.MapWrite(1, 0, std::string(100, 'm'));
    t.Write(1, 200, std::string(100, 'w'));
    t.Sync(EventKind::kMsync, 1, 50, 200);  // [50, 250)
    const internal::State state = Replayed(t.trace(), t.end(), profile);
    const bool ext4 = profile == Profile::kExt4Ordered;
    // The store: [0, 50) pending, [50, 100) durable; the write: [200, 250)
    // durable under ext4-ordered only, [250, 300) pending.
    EXPECT_EQ(ContentDurable(state, 1), ext4 ? (std::vector<bool>{false, true, true, false})
                                             : (std::vector<bool>{false, true, false}));
  }
}

TEST(DurabilityRulesTest, Replay_SyncMakesContentAndNamesDurable_SyncFileRangeNeither) {
  for (Profile profile : kProfiles) {
    TraceBuilder t;
    t.Mkdir("d", 9);
    t.Create("d/f", 1);
    t.Write(1, 0, "abc");
    t.Sync(EventKind::kSyncRange, 1, 0, 0);
    const uint64_t range_done = t.end();
    t.Sync(EventKind::kSyncAll, 0);
    const internal::State after_range = Replayed(t.trace(), range_done, profile);
    EXPECT_EQ(ContentDurable(after_range, 1), (std::vector<bool>{false}));
    EXPECT_FALSE(NameDurable(after_range, 1));
    const internal::State after_sync = Replayed(t.trace(), t.end(), profile);
    EXPECT_EQ(ContentDurable(after_sync, 1), (std::vector<bool>{true}));
    EXPECT_TRUE(NameDurable(after_sync, 0));
    EXPECT_TRUE(NameDurable(after_sync, 1));
  }
}

TEST(DurabilityRulesTest, Replay_DirectoryFsyncMakesItsNamesDurable_ARenameAcrossNeedsBoth) {
  for (Profile profile : kProfiles) {
    TraceBuilder t;
    t.OpenDir("", 8);
    t.Mkdir("a", 5);
    t.Mkdir("b", 6);
    const uint64_t create = t.Create("a/f", 1);
    const uint64_t rename = t.Rename("a/f", "b/f", 1);
    t.Sync(EventKind::kFsync, 8);
    const uint64_t root_synced = t.end();
    t.Sync(EventKind::kFsync, 5);
    const uint64_t a_synced = t.end();
    t.Sync(EventKind::kFsync, 6);
    const internal::State root = Replayed(t.trace(), root_synced, profile);
    EXPECT_TRUE(NameDurable(root, 1));
    EXPECT_FALSE(NameDurable(root, create));
    const internal::State one = Replayed(t.trace(), a_synced, profile);
    EXPECT_TRUE(NameDurable(one, create));
    EXPECT_FALSE(NameDurable(one, rename)) << "a rename across directories needs both synced";
    const internal::State both = Replayed(t.trace(), t.end(), profile);
    EXPECT_TRUE(NameDurable(both, rename));
  }
}

TEST(DurabilityRulesTest, Replay_ADurableNameKeepsWhatItBuildsOn) {
  for (Profile profile : kProfiles) {
    TraceBuilder t;
    const uint64_t mkdir = t.Mkdir("d", 5);
    const uint64_t create = t.Create("d/tmp", 1);
    const uint64_t rename = t.Rename("d/tmp", "d/cur", 1);
    const uint64_t other = t.Create("other", 2);
    t.Sync(EventKind::kFsync, 5);  // d only: the root, which holds "d", never is
    const internal::State state = Replayed(t.trace(), t.end(), profile);
    EXPECT_TRUE(NameDurable(state, rename));
    EXPECT_TRUE(NameDurable(state, create)) << "the name the rename moves";
    EXPECT_TRUE(NameDurable(state, mkdir)) << "the directory the names are in";
    EXPECT_FALSE(NameDurable(state, other)) << "the root was never synced";
  }
}

}  // namespace
}  // namespace crashlab::faults::durability_rules_test
