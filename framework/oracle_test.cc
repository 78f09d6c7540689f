#include "framework/oracle.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

protocol::Op Put(std::string key, std::string value) {
  return {true, std::move(key), std::move(value)};
}
protocol::Op Del(std::string key) { return {false, std::move(key), ""}; }

// Three transactions: t0 puts a=1 b=1; t1 puts a=2, deletes b; t2 puts c=3.
OracleInput ThreeTxns(std::size_t acked, KvState recovered) {
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("b", "1")}}, Txn{{Put("a", "2"), Del("b")}},
             Txn{{Put("c", "3")}}};
  in.acked = acked;
  in.recovered = std::move(recovered);
  return in;
}

TEST(Oracle, Pass_AllAcknowledgedTransactionsRecovered) {
  const Judgement j = Judge(ThreeTxns(3, {{"a", "2"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kPass);
  EXPECT_EQ(j.matched_prefix, 3);
}

TEST(Oracle, Pass_UnacknowledgedInFlightTransactionMayBeMissing) {
  const Judgement j = Judge(ThreeTxns(2, {{"a", "2"}}));
  EXPECT_EQ(j.verdict, Verdict::kPass);
  EXPECT_EQ(j.matched_prefix, 2);
}

TEST(Oracle, Pass_UnacknowledgedInFlightTransactionMayBePresent) {
  const Judgement j = Judge(ThreeTxns(2, {{"a", "2"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kPass);
}

TEST(Oracle, Pass_EmptyStateBeforeAnyAcknowledgement) {
  EXPECT_EQ(Judge(ThreeTxns(0, {})).verdict, Verdict::kPass);
}

TEST(Oracle, LostAcked_AcknowledgedTransactionMissing) {
  const Judgement j = Judge(ThreeTxns(3, {{"a", "1"}, {"b", "1"}}));
  EXPECT_EQ(j.verdict, Verdict::kLostAcked);
  EXPECT_EQ(j.matched_prefix, 1);
  EXPECT_NE(j.difference.find("key 'a': expected '2', recovered '1'"), std::string::npos)
      << j.difference;
  EXPECT_TRUE(Violates(j.verdict, Contract::kDurable));
  EXPECT_FALSE(Violates(j.verdict, Contract::kPrefix));
}

TEST(Oracle, TornTxn_PartOfATransactionVisible) {
  // t1 put a=2 but its delete of b is not visible.
  const Judgement j = Judge(ThreeTxns(1, {{"a", "2"}, {"b", "1"}}));
  EXPECT_EQ(j.verdict, Verdict::kTornTxn);
  EXPECT_EQ(j.matched_prefix, -1);
  EXPECT_NE(j.details.find("transaction 1 is partly visible"), std::string::npos) << j.details;
  EXPECT_TRUE(Violates(j.verdict, Contract::kPrefix));
}

TEST(Oracle, Hole_LaterTransactionVisibleWhileEarlierMissing) {
  // t2 (c=3) is visible, t1 (a=2, del b) is wholly missing.
  const Judgement j = Judge(ThreeTxns(0, {{"a", "1"}, {"b", "1"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kHole);
  EXPECT_NE(j.details.find("transaction 2 is visible while the earlier transaction 1"),
            std::string::npos)
      << j.details;
}

TEST(Oracle, Hole_NotMistakenForTornWhenALaterWriteIsVisible) {
  // t0 {a=A0}, t1 {a=A1, b=B1}, t2 {b=B2}; recovered {a=A0, b=B2}: t1 is
  // wholly missing while t2 is visible. B2 is t2's write, not t1's.
  OracleInput in;
  in.sent = {Txn{{Put("a", "A0")}}, Txn{{Put("a", "A1"), Put("b", "B1")}}, Txn{{Put("b", "B2")}}};
  in.acked = 0;
  in.recovered = {{"a", "A0"}, {"b", "B2"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kHole) << j.details;
}

TEST(Oracle, KeyWrittenTwiceInOneTransaction_UsesTheLastWrite) {
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("a", "2")}}, Txn{{Put("a", "3")}}};
  in.acked = 2;
  in.recovered = {{"a", "3"}};
  EXPECT_EQ(Judge(in).verdict, Verdict::kPass);
  in.recovered = {{"a", "2"}};
  EXPECT_EQ(Judge(in).verdict, Verdict::kLostAcked);
}

TEST(Oracle, Corrupt_ValueNoTransactionWrote) {
  const Judgement j = Judge(ThreeTxns(3, {{"a", "garbage"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_NE(j.details.find("key 'a'"), std::string::npos) << j.details;
}

TEST(Oracle, Corrupt_KeyNoTransactionWrote) {
  const Judgement j = Judge(ThreeTxns(3, {{"a", "2"}, {"c", "3"}, {"zzz", "1"}}));
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_NE(j.details.find("no transaction wrote"), std::string::npos) << j.details;
}

TEST(Oracle, Corrupt_EnginesOwnCheckFails) {
  OracleInput in = ThreeTxns(3, {{"a", "2"}, {"c", "3"}});
  in.check_error = "page 7 checksum mismatch";
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_NE(j.details.find("page 7 checksum mismatch"), std::string::npos);
}

TEST(Oracle, EngineFaultsDecideTheVerdict) {
  for (Verdict v : {Verdict::kRecoveryFailed, Verdict::kHang, Verdict::kProtocolError}) {
    OracleInput in = ThreeTxns(3, {});
    in.fault = EngineFault{v, "what happened"};
    const Judgement j = Judge(in);
    EXPECT_EQ(j.verdict, v);
    EXPECT_EQ(j.details, "what happened");
  }
}

TEST(Oracle, RepeatedStatesChooseTheLatestPrefix) {
  // t0 puts a=1, t1 deletes a: the empty state is both prefix 0 and prefix 2.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1")}}, Txn{{Del("a")}}};
  in.acked = 2;
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kPass);
  EXPECT_EQ(j.matched_prefix, 2);
}

TEST(Oracle, ContractsDecideWhatIsAViolation) {
  EXPECT_FALSE(Violates(Verdict::kPass, Contract::kDurable));
  EXPECT_TRUE(Violates(Verdict::kTornTxn, Contract::kPrefix));
  EXPECT_FALSE(Violates(Verdict::kTornTxn, Contract::kNone));
  EXPECT_FALSE(Violates(Verdict::kRecoveryFailed, Contract::kNone));
  EXPECT_TRUE(Violates(Verdict::kRecoveryFailed, Contract::kPrefix));
  EXPECT_TRUE(Violates(Verdict::kHang, Contract::kNone));
  EXPECT_TRUE(Violates(Verdict::kProtocolError, Contract::kNone));
}

}  // namespace
}  // namespace crashlab
