#include "framework/case/oracle.h"

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
  EXPECT_FALSE(j.acked_lost) << j.details;
  EXPECT_TRUE(Violates(j.verdict, Contract::kPrefix));
}

TEST(Oracle, Hole_LaterTransactionVisibleWhileEarlierMissing) {
  // t2 (c=3) is visible, t1 (a=2, del b) is wholly missing.
  const Judgement j = Judge(ThreeTxns(0, {{"a", "1"}, {"b", "1"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kHole);
  EXPECT_NE(j.details.find("transaction 2 is visible (key 'c' holds its write) while the "
                           "earlier transaction 1 is missing"),
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

// The shape seen on a real engine: transactions 0 and 8-13 present, 1-7
// wholly missing. Each missing transaction writes a key nobody else writes
// and overwrites a key of transaction 0 that a present transaction deletes
// later, so that key reads as it did before transaction 0.
TEST(Oracle, Hole_EarlierTransactionsMissingIsNotATornFirstTransaction) {
  OracleInput in;
  in.sent.push_back(Txn{{Put("a", "A0"), Put("b", "B0")}});
  for (int t = 1; t <= 7; ++t) {
    in.sent.push_back(Txn{{Put("b", "B" + std::to_string(t)), Put("m" + std::to_string(t), "M")}});
  }
  in.sent.push_back(Txn{{Del("b"), Put("c8", "C")}});
  for (int t = 9; t <= 13; ++t) in.sent.push_back(Txn{{Put("c" + std::to_string(t), "C")}});
  in.acked = 14;
  in.recovered = {{"a", "A0"}};
  for (int t = 8; t <= 13; ++t) in.recovered["c" + std::to_string(t)] = "C";
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kHole) << j.details;
  EXPECT_NE(j.details.find("transaction 8 is visible"), std::string::npos) << j.details;
  EXPECT_NE(j.details.find("earlier transaction 1 is missing"), std::string::npos) << j.details;
  EXPECT_NE(j.details.find("; 7 transaction(s) wholly missing"), std::string::npos) << j.details;
  EXPECT_TRUE(j.acked_lost);
  EXPECT_NE(j.details.find(kAckedLostSentence), std::string::npos) << j.details;
}

TEST(Oracle, Hole_UnacknowledgedMissingTransactionIsStillAHoleButLosesNothingAcknowledged) {
  // t1 (unacknowledged) missing, t2 visible: breaks `prefix` all the same.
  const Judgement j = Judge(ThreeTxns(1, {{"a", "1"}, {"b", "1"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kHole) << j.details;
  EXPECT_FALSE(j.acked_lost);
  EXPECT_EQ(j.details.find(kAckedLostSentence), std::string::npos) << j.details;
  EXPECT_TRUE(Violates(j.verdict, Contract::kPrefix));
}

TEST(Oracle, Hole_WhenALaterDeleteIsWhatShowsTheLaterTransaction) {
  // t0 puts a and k, t1 puts b (missing), t2 deletes a: {k} is t0 and t2
  // without t1, and what shows t2 is a key its delete left absent.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("k", "K")}}, Txn{{Put("b", "1")}}, Txn{{Del("a")}}};
  in.acked = 0;
  in.recovered = {{"k", "K"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kHole) << j.details;
  EXPECT_NE(j.details.find("is absent, as its delete left it"), std::string::npos) << j.details;
}

TEST(Oracle, LostAcked_NotAHoleWhenAPrefixGivesTheState) {
  // t1 deletes a key that does not exist: its effect equals the state
  // before it, so {a=1} is prefix 1 and prefix 2; t2 missing is lost-acked.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1")}}, Txn{{Del("zz")}}, Txn{{Put("c", "3")}}};
  in.acked = 3;
  in.recovered = {{"a", "1"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kLostAcked) << j.details;
  EXPECT_EQ(j.matched_prefix, 2);
  EXPECT_TRUE(j.acked_lost);
}

TEST(Oracle, Pass_RepeatedValuesAndNoOpTransactionsAreNoHole) {
  // t1 writes the value t0 wrote: {a=1} is prefix 1 and 2; t2 deletes b,
  // which nobody wrote. {a=1} after everything acknowledged is a pass.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1")}}, Txn{{Put("a", "1")}}, Txn{{Del("b")}}};
  in.acked = 3;
  in.recovered = {{"a", "1"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.details;
  EXPECT_EQ(j.matched_prefix, 3);
}

TEST(Oracle, Hole_WithAValueThatTwoTransactionsWrote) {
  // t0 a=X, t1 a=Y b=1, t2 a=X c=1. Recovered {a=X, c=1}: a=X is t0's or
  // t2's; only {t0, t2} (or {t2}) explains it, with t1 missing.
  OracleInput in;
  in.sent = {Txn{{Put("a", "X")}}, Txn{{Put("a", "Y"), Put("b", "1")}},
             Txn{{Put("a", "X"), Put("c", "1")}}};
  in.acked = 0;
  in.recovered = {{"a", "X"}, {"c", "1"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kHole) << j.details;
  EXPECT_NE(j.details.find("earlier transaction 1 is missing"), std::string::npos) << j.details;
}

TEST(Oracle, TornTxn_WholeTransactionsAppliedOutOfOrder) {
  // t1 {a=1 b=1}, t2 {a=2 b=2}: {a=1, b=2} is t2 before t1, or either torn;
  // no set of whole transactions in order gives it.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("b", "1")}}, Txn{{Put("a", "2"), Put("b", "2")}}};
  in.acked = 0;
  in.recovered = {{"a", "1"}, {"b", "2"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kTornTxn) << j.details;
  EXPECT_NE(j.details.find("transaction 1 is partly visible"), std::string::npos) << j.details;
}

TEST(Oracle, TornTxn_AValueTheTransactionReplacedWithinItself) {
  // t0 writes a=1 then a=2: a=1 is in no prefix state, but t0 wrote it.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("a", "2"), Put("b", "1")}}};
  in.acked = 1;
  in.recovered = {{"a", "1"}};
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kTornTxn) << j.details;
  EXPECT_NE(j.details.find("a later write of the same transaction replaced"), std::string::npos)
      << j.details;
  EXPECT_TRUE(j.acked_lost);
}

TEST(Oracle, DeletesMakeAbsentKeysAmbiguousWithoutMisnaming) {
  // An absent key fits "never written" and every delete of it. t0 {a=1,
  // b=1}, t1 {del a, c=1}, t2 {a=2, b=2}, t3 {del a}. {b=2, c=1} is prefix
  // 4 (a pass, though a=absent also fits t1 alone); {a=2, c=1} shows t2's a
  // without t2's b: torn.
  OracleInput in;
  in.sent = {Txn{{Put("a", "1"), Put("b", "1")}}, Txn{{Del("a"), Put("c", "1")}},
             Txn{{Put("a", "2"), Put("b", "2")}}, Txn{{Del("a")}}};
  in.acked = 0;
  in.recovered = {{"b", "2"}, {"c", "1"}};
  EXPECT_EQ(Judge(in).verdict, Verdict::kPass) << Judge(in).details;  // prefix 4 is this state
  in.recovered = {{"a", "2"}, {"c", "1"}};                            // t2's a without t2's b: torn
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kTornTxn) << j.details;
  EXPECT_NE(j.details.find("transaction 2 is partly visible"), std::string::npos) << j.details;
}

TEST(Oracle, Corrupt_AKeyListedTwiceInTheDumpSaysSoNotThatACheckFailed) {
  OracleInput in = ThreeTxns(3, {{"a", "2"}, {"c", "3"}});
  in.dump_error = "the dump lists key 'a' twice";  // check answered `unsupported`
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_NE(j.details.find("the dump lists key 'a' twice"), std::string::npos) << j.details;
  EXPECT_EQ(j.details.find("check failed"), std::string::npos) << j.details;
}

TEST(Oracle, Corrupt_AcknowledgedDataLostOnlyWhenAnAcknowledgedKeyIsWrong) {
  Judgement j = Judge(ThreeTxns(3, {{"a", "garbage"}, {"c", "3"}}));
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_TRUE(j.acked_lost);
  j = Judge(ThreeTxns(3, {{"a", "2"}, {"c", "3"}, {"zzz", "1"}}));  // a key nobody wrote
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_FALSE(j.acked_lost) << j.details;
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
