#include "framework/plan/workload.h"

#include <gtest/gtest.h>

#include <set>

namespace crashlab {
namespace {

TEST(Workload, SameSeedGivesByteIdenticalWorkloads) {
  for (uint64_t index = 0; index < 50; ++index) {
    EXPECT_EQ(Serialize(GenerateWorkload(42, index)), Serialize(GenerateWorkload(42, index)));
  }
}

TEST(Workload, DifferentCasesDiffer) {
  EXPECT_NE(Serialize(GenerateWorkload(42, 0)), Serialize(GenerateWorkload(42, 1)));
  EXPECT_NE(Serialize(GenerateWorkload(42, 0)), Serialize(GenerateWorkload(43, 0)));
}

// A fingerprint of the workload of seed 1, case 0: it changes only when the
// generator changes, and then every seed stored in a database means another
// case. Change it only together with a note in the release notes.
TEST(Workload, GoldenShapeOfSeedOneCaseZero) {
  const Workload w = GenerateWorkload(1, 0);
  std::size_t ops = 0, bytes = 0;
  for (const Txn& t : w.txns) {
    ops += t.ops.size();
    for (const auto& op : t.ops) bytes += op.key.size() + op.value.size();
  }
  EXPECT_EQ(w.txns.size(), 5u);
  EXPECT_EQ(ops, 45u);
  EXPECT_EQ(bytes, 25324u);
}

TEST(Workload, TransactionsTouchEachKeyOnce) {
  for (uint64_t index = 0; index < 200; ++index) {
    for (const Txn& t : GenerateWorkload(7, index).txns) {
      std::set<std::string> keys;
      for (const auto& op : t.ops) EXPECT_TRUE(keys.insert(op.key).second);
      EXPECT_FALSE(t.ops.empty());
    }
  }
}

TEST(Workload, CoversLargeValuesDeletesEscapedKeysAndEmptyValues) {
  bool large = false, del = false, escaped = false, empty = false;
  for (uint64_t index = 0; index < 200; ++index) {
    for (const Txn& t : GenerateWorkload(9, index).txns) {
      for (const auto& op : t.ops) {
        large |= op.value.size() > 4096;
        del |= !op.is_put;
        escaped |= op.key.find('\0') != std::string::npos;
        empty |= op.is_put && op.value.empty();
      }
    }
  }
  EXPECT_TRUE(large);
  EXPECT_TRUE(del);
  EXPECT_TRUE(escaped);
  EXPECT_TRUE(empty);
}

TEST(Workload, FixedTransactionCountExtendsTheDrawnWorkload) {
  const Workload drawn = GenerateWorkload(5, 3);
  const Workload long_one = GenerateWorkload(5, 3, 100);
  ASSERT_EQ(long_one.txns.size(), 100u);
  ASSERT_LT(drawn.txns.size(), 100u);
  Workload prefix;
  prefix.txns.assign(long_one.txns.begin(), long_one.txns.begin() + drawn.txns.size());
  EXPECT_EQ(Serialize(prefix), Serialize(drawn));
}

TEST(WorkloadText, RoundTripsEveryDrawnWorkload) {
  for (uint64_t index = 0; index < 50; ++index) {
    const Workload w = GenerateWorkload(9, index);
    Result<Workload> back = ParseWorkloadText(WorkloadText(w), "w.txt");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(Serialize(*back), Serialize(w)) << index;
  }
}

TEST(WorkloadText, NamesTheLineAndTheProblem) {
  struct Bad {
    const char* text;
    const char* says;
  } const cases[] = {
      {"", "w.txt holds no transaction"},
      {"# only a comment\n", "w.txt holds no transaction"},
      {"txn 2\nput a b\n", "line 2: the last transaction lacks 1 operation"},
      {"txn 1\nget a\n", "line 2: expected `put KEY VALUE` or `del KEY`"},
      {"txn 0\n", "line 1: expected `checkpoint` or `txn N`"},
      {"txn x\n", "line 1: expected `checkpoint` or `txn N`"},
      {"txn 2\nput a 1\ndel a\n", "line 3: key a twice in one transaction"},
      {"txn 1\nput a %zz\n", "line 2: bad escape"},
      {"checkpoint\nhello\n", "line 2: expected `checkpoint` or `txn N`"},
  };
  for (const Bad& bad : cases) {
    Result<Workload> w = ParseWorkloadText(bad.text, "w.txt");
    ASSERT_FALSE(w.ok()) << bad.text;
    EXPECT_NE(w.status().message().find(bad.says), std::string::npos) << w.status().message();
  }
}

// Found by tests/fuzz/workload_text_fuzzer.cc: `put  1` (two spaces) was read
// as a put of the empty key, which no engine may accept.
TEST(WorkloadText, KeysAndValuesOutsideTheProtocolLimitsAreErrors) {
  const std::string longest_key(protocol::kMaxKeyBytes, 'k');
  struct Bad {
    std::string text;
    const char* says;
  } const cases[] = {
      {"txn 3\nput  1\nput b 2\nput c %00%ff%0a", "line 2: a key of 0 bytes (keys hold 1 to 1024"},
      {"txn 1\ndel \n", "line 2: a key of 0 bytes"},
      {"txn 1\nput " + longest_key + "k v\n", "line 2: a key of 1025 bytes"},
      {"txn 1\nput k " + std::string(protocol::kMaxValueBytes + 1, 'v') + "\n",
       "line 2: a value of 1048577 bytes (values hold at most 1048576"},
  };
  for (const Bad& bad : cases) {
    Result<Workload> w = ParseWorkloadText(bad.text, "w.txt");
    ASSERT_FALSE(w.ok()) << bad.says;
    EXPECT_NE(w.status().message().find(bad.says), std::string::npos) << w.status().message();
  }
  const std::string at_limits =
      "txn 1\nput " + longest_key + " " + std::string(protocol::kMaxValueBytes, 'v') + "\n";
  Result<Workload> w = ParseWorkloadText(at_limits, "w.txt");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->txns[0].ops[0].key, longest_key);
}

TEST(WorkloadText, ReadsCheckpointsAndEmptyValues) {
  Result<Workload> w = ParseWorkloadText("txn 1\nput k%20x \ncheckpoint\ntxn 1\ndel k%20x\n", "-");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(w->txns.size(), 2u);
  EXPECT_FALSE(w->txns[0].checkpoint_before);
  EXPECT_EQ(w->txns[0].ops[0].key, "k x");
  EXPECT_EQ(w->txns[0].ops[0].value, "");
  EXPECT_TRUE(w->txns[1].checkpoint_before);
  EXPECT_FALSE(w->txns[1].ops[0].is_put);
}

}  // namespace
}  // namespace crashlab
