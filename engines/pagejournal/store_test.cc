// Recovery through the whole store: write, simulate a crash (copy the live
// store's files), damage what the crash could have damaged, reopen, verify.
#include "engines/pagejournal/store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engines/pagejournal/journal.h"
#include "engines/pagejournal/test_support.h"

namespace crashlab::pagejournal {
namespace {

using testing_support::AsMap;
using testing_support::CopyStore;
using testing_support::Overwrite;
using testing_support::Put;
using testing_support::TempDir;
using State = std::map<std::string, std::string>;

Options NoFlush() {
  Options o;
  o.flush_every = 1000000;  // no background flusher, no flush: everything stays in the journal
  return o;
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenOk(const std::string& dir, const Options& options) {
    Result<std::unique_ptr<Store>> s = Store::Open(dir, options);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  State DumpOf(Store& store) {
    auto pairs = store.Dump();
    EXPECT_TRUE(pairs.ok()) << pairs.status().message();
    return pairs.ok() ? AsMap(*pairs) : State{};
  }
  void CommitOk(Store& store, std::vector<protocol::Op> ops, State* model = nullptr) {
    ASSERT_TRUE(store.Commit(ops).ok());
    if (model != nullptr) {
      for (const auto& op : ops) (*model)[op.key] = op.value;
    }
  }
  // Where the last record starts, given the position before and after it.
  static JournalPos LastRecord(JournalPos before, JournalPos after) {
    return before.file == after.file ? before : JournalPos{after.file, 0};
  }

  TempDir tmp_;
};

TEST_F(StoreTest, RecoveryStopsAtATornLastRecordFollowedByZeros) {
  auto store = OpenOk(tmp_.Sub("live"), NoFlush());
  State before;
  for (int i = 0; i < 5; ++i)
    CommitOk(*store, {Put("k" + std::to_string(i), std::string(100 * i, 'v'))}, &before);
  const JournalPos start_before = store->journal_position();
  CommitOk(*store, {Put("big", std::string(64 * 1024, 'B')), Put("k1", "changed")});
  const JournalPos last = LastRecord(start_before, store->journal_position());
  CopyStore(tmp_.Sub("live"), tmp_.Sub("crashed"));
  // Only the record's first 4 KiB reached the disk.
  Overwrite(tmp_.Sub("crashed/" + JournalFileName(last.file)), last.offset + 4096,
            std::vector<uint8_t>(64 * 1024, 0));
  auto recovered = OpenOk(tmp_.Sub("crashed"), NoFlush());
  EXPECT_EQ(DumpOf(*recovered), before);
  EXPECT_TRUE(recovered->Check().ok());
  // New records go after the last valid one, and survive the next crash.
  CommitOk(*recovered, {Put("after", "recovery")}, &before);
  CopyStore(tmp_.Sub("crashed"), tmp_.Sub("crashed-again"));
  auto again = OpenOk(tmp_.Sub("crashed-again"), NoFlush());
  EXPECT_EQ(DumpOf(*again), before);
}

TEST_F(StoreTest, RecoveryStopsAtATornLastRecordFollowedByOldBytes) {
  auto store = OpenOk(tmp_.Sub("live"), NoFlush());
  State before;
  CommitOk(*store, {Put("a", std::string(9000, 'a'))}, &before);
  const JournalPos start_before = store->journal_position();
  CommitOk(*store, {Put("a", std::string(9000, 'A')), Put("b", std::string(9000, 'b'))});
  const JournalPos last = LastRecord(start_before, store->journal_position());
  CopyStore(tmp_.Sub("live"), tmp_.Sub("crashed"));
  Overwrite(tmp_.Sub("crashed/" + JournalFileName(last.file)), last.offset + 4096,
            std::vector<uint8_t>(8192, 0x5A));
  auto recovered = OpenOk(tmp_.Sub("crashed"), NoFlush());
  EXPECT_EQ(DumpOf(*recovered), before);
  EXPECT_TRUE(recovered->Check().ok());
}

// Commits `txns` transactions of one ~3 KiB value each, enough to recycle
// small journals; returns the state they leave.
State WriteThroughRecycling(Store& store, int txns) {
  State model;
  for (int i = 0; i < txns; ++i) {
    protocol::Op op = Put("key" + std::to_string(i % 7), std::string(3000 + i, 'a' + i % 26));
    EXPECT_TRUE(store.Commit({op}).ok());
    model[op.key] = op.value;
  }
  return model;
}

TEST_F(StoreTest, RecycledJournalStaleRecordsAreSkippedByCorrectAndReplayedByTheBug) {
  Options o;
  o.journal_size = 32 * 1024;
  o.flush_every = 2;
  auto store = OpenOk(tmp_.Sub("live"), o);
  const State model = WriteThroughRecycling(*store, 20);
  // The precondition of the bug: the next journal is a recycled one, holding
  // a valid record of an old transaction at its start.
  const JournalPos pos = store->journal_position();
  JournalReader reader(tmp_.Sub("live"), o.page_size, Verify::kChecksum);
  Result<std::optional<Record>> stale = reader.ReadAt({pos.file + 1, 0});
  ASSERT_TRUE(stale.ok() && stale->has_value());
  ASSERT_LT((*stale)->header.txn, store->checkpoint().txn);

  CopyStore(tmp_.Sub("live"), tmp_.Sub("correct"));
  CopyStore(tmp_.Sub("live"), tmp_.Sub("buggy"));
  auto correct = OpenOk(tmp_.Sub("correct"), o);
  EXPECT_TRUE(DumpOf(*correct) == model);
  EXPECT_TRUE(correct->Check().ok());

  Options bug = o;
  bug.bug = Bug::kRecycledJournalStale;
  Result<std::unique_ptr<Store>> buggy = Store::Open(tmp_.Sub("buggy"), bug);
  ASSERT_TRUE(buggy.ok()) << buggy.status().message();
  auto dump = (*buggy)->Dump();
  const bool damaged = !dump.ok() || AsMap(*dump) != model || !(*buggy)->Check().ok();
  EXPECT_TRUE(damaged) << "the stale records were not replayed";
}

TEST_F(StoreTest, AckBeforeJournalLosesTheLastAcknowledgedCommitToAKill) {
  Options o = NoFlush();
  o.bug = Bug::kAckBeforeJournal;
  auto store = OpenOk(tmp_.Sub("live"), o);
  State before;
  CommitOk(*store, {Put("first", "1")}, &before);
  CommitOk(*store, {Put("second", "2")});  // acknowledged, not yet written
  CopyStore(tmp_.Sub("live"), tmp_.Sub("crashed"));
  auto recovered = OpenOk(tmp_.Sub("crashed"), o);
  EXPECT_EQ(DumpOf(*recovered), before);
}

TEST_F(StoreTest, NoChecksumReplaysATornRecordAsData) {
  auto live = OpenOk(tmp_.Sub("live"), NoFlush());
  CommitOk(*live, {Put("a", std::string(9000, 'a'))});
  const JournalPos start_before = live->journal_position();
  CommitOk(*live, {Put("b", std::string(20000, 'b'))});
  const JournalPos last = LastRecord(start_before, live->journal_position());
  CopyStore(tmp_.Sub("live"), tmp_.Sub("correct"));
  Overwrite(tmp_.Sub("correct/" + JournalFileName(last.file)), last.offset + 4096,
            std::vector<uint8_t>(4096, 0));
  CopyStore(tmp_.Sub("correct"), tmp_.Sub("buggy"));
  auto correct = OpenOk(tmp_.Sub("correct"), NoFlush());
  EXPECT_EQ(DumpOf(*correct), (State{{"a", std::string(9000, 'a')}}));
  Options bug = NoFlush();
  bug.bug = Bug::kNoChecksum;
  auto buggy = OpenOk(tmp_.Sub("buggy"), bug);
  auto dump = buggy->Dump();
  EXPECT_TRUE(!dump.ok() || AsMap(*dump).count("b") == 0 ||
              AsMap(*dump)["b"] != std::string(20000, 'b') || !buggy->Check().ok());
}

TEST_F(StoreTest, HalfCreatedStoreWithoutHeaderAIsCreatedAfresh) {
  const std::string dir = tmp_.Sub("half");
  {
    auto store = OpenOk(dir, NoFlush());
    CommitOk(*store, {Put("x", "1")});
  }
  ASSERT_EQ(::unlink((dir + "/header.a").c_str()), 0);  // as if cut before the rename
  auto store = OpenOk(dir, NoFlush());
  EXPECT_EQ(DumpOf(*store), State{});
  EXPECT_TRUE(store->Check().ok());
}

TEST_F(StoreTest, CheckpointNamesTheLastCommitAndLeavesNothingToReplay) {
  Options o = NoFlush();
  auto store = OpenOk(tmp_.Sub("live"), o);
  State model;
  for (int i = 0; i < 4; ++i) CommitOk(*store, {Put("k" + std::to_string(i), "v")}, &model);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->checkpoint().txn, 5u);  // the format transaction and four commits
  EXPECT_EQ(store->checkpoint().journal, store->journal_position());
  CopyStore(tmp_.Sub("live"), tmp_.Sub("crashed"));
  auto recovered = OpenOk(tmp_.Sub("crashed"), o);
  EXPECT_EQ(DumpOf(*recovered), model);
}

}  // namespace
}  // namespace crashlab::pagejournal
