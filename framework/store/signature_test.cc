#include "framework/store/signature.h"

#include <gtest/gtest.h>

#include "framework/base/vocabulary.h"

namespace crashlab {
namespace {

TEST(MaskMessage, NumbersBecomeN) {
  EXPECT_EQ(MaskMessage("bad record at offset 1234 in MANIFEST-000005"),
            "bad record at offset N in MANIFEST-N");
  EXPECT_EQ(MaskMessage("1 missing files; e.g. 000012.ldb, -3, 1.5"),
            "N missing files; e.g. N.ldb, -N, N.N");
}

TEST(MaskMessage, PathsBecomeOneTokenKeepingTheirPunctuation) {
  EXPECT_EQ(MaskMessage("IO error: /dev/shm/crashlab-x1/state/LOCK: Resource busy"),
            "IO error: <path>: Resource busy");
  EXPECT_EQ(MaskMessage("cannot open (db/CURRENT), giving up."),
            "cannot open (<path>), giving up.");
}

TEST(MaskMessage, HexBecomesHex) {
  EXPECT_EQ(MaskMessage("checksum 0x1F3A expected 9f3a2b1c at page 7"),
            "checksum <hex> expected <hex> at page N");
  // Words of hex letters only are words, not numbers.
  EXPECT_EQ(MaskMessage("deadbeef faded added"), "deadbeef faded added");
  EXPECT_EQ(MaskMessage("uuid 550e8400-e29b-41d4"), "uuid <hex>-<hex>-<hex>");
}

TEST(MaskMessage, QuotedTextIsMaskedButApostrophesAreNot) {
  EXPECT_EQ(MaskMessage("key 'k0012' holds 't3.o1:xyz', which it never held"),
            "key '<q>' holds '<q>', which it never held");
  EXPECT_EQ(MaskMessage("Corruption: Can't access /a/b: doesn't exist"),
            "Corruption: Can't access <path>: doesn't exist");
  EXPECT_EQ(MaskMessage("no table \"t 1\""), "no table \"<q>\"");
}

TEST(MaskMessage, WhitespaceRunsAreOneSpaceAndEndsTrimmed) {
  EXPECT_EQ(MaskMessage("  open\tfailed\n\n  at   7 \r\n"), "open failed at N");
}

TEST(MaskMessage, StableAndIdempotent) {
  const std::string m =
      "open (recovery): err Corruption: Can't access /tmp/x/000005.sst: IO error: No such file "
      "0xdeadbeef 'k7'";
  EXPECT_EQ(MaskMessage(m), MaskMessage(m));
  EXPECT_EQ(MaskMessage(MaskMessage(m)), MaskMessage(m));
  // The same bug on another run: other numbers, paths and hex.
  EXPECT_EQ(MaskMessage(m), MaskMessage("open (recovery): err Corruption: Can't access "
                                        "/dev/shm/y/000123.sst: IO error: No such file 0x1 'k9'"));
}

TEST(Signature, RecoveryFailedKeepsTheEnginesMessageAndWhetherAcknowledgedDataIsLost) {
  const Signature manifest = SignatureOf(
      Verdict::kRecoveryFailed,
      "open (recovery) after the power loss: err Corruption: MANIFEST-000005 truncated", 19);
  EXPECT_EQ(manifest.Text(),
            "recovery-failed, acknowledged data lost: open (recovery): err Corruption: "
            "MANIFEST-N truncated");
  // Found again by exploration, which says "after the crash", other numbers.
  EXPECT_EQ(manifest, SignatureOf(Verdict::kRecoveryFailed,
                                  "open (recovery) after the crash: err Corruption: "
                                  "MANIFEST-000011 truncated",
                                  2));
  // Another first-open failure, or the same one with nothing acknowledged.
  EXPECT_NE(manifest, SignatureOf(Verdict::kRecoveryFailed,
                                  "open (recovery) after the crash: err IO error: lock held", 19));
  EXPECT_NE(manifest, SignatureOf(Verdict::kRecoveryFailed,
                                  "open (recovery) after the crash: err Corruption: "
                                  "MANIFEST-000005 truncated",
                                  0));
}

TEST(Signature, OracleVerdictsTakeAcknowledgedLossFromTheOracle) {
  const std::string hole =
      "transaction 8 is visible (key 'c8' holds its write) while the earlier transaction 1 is "
      "missing; 7 transaction(s) wholly missing";
  const Signature lost = SignatureOf(Verdict::kHole, hole + std::string(kAckedLostSentence), 14);
  EXPECT_TRUE(lost.acked_lost);
  EXPECT_EQ(lost.cause.find("acknowledged data is lost"), std::string::npos) << lost.cause;
  const Signature kept = SignatureOf(Verdict::kHole, hole, 14);
  EXPECT_FALSE(kept.acked_lost);
  EXPECT_EQ(kept.cause, lost.cause);
  EXPECT_EQ(lost.Text(), "hole, acknowledged data lost");
  // Another transaction and key: the same hole, for shrinking.
  EXPECT_EQ(kept, SignatureOf(Verdict::kHole,
                              "transaction 2 is visible (key 'x' holds its write) ...", 0));
  EXPECT_TRUE(
      SignatureOf(Verdict::kLostAcked, "3 transactions were acknowledged but ...", 3).acked_lost);
  EXPECT_NE(SignatureOf(Verdict::kHole, hole, 0), SignatureOf(Verdict::kTornTxn, hole, 0));
  // Corrupt keeps the oracle's account and the engine's check message.
  EXPECT_EQ(
      SignatureOf(Verdict::kCorrupt, "the engine's own check failed: page 7 checksum 0xab12", 1)
          .Text(),
      "corrupt, nothing acknowledged lost: the engine's own check failed: page N checksum "
      "<hex>");
}

}  // namespace
}  // namespace crashlab
