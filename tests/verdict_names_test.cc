// Verdict names on an engine of crashlab's own written in Python, through the
// whole pipeline (trace, crash states, recovery, oracle, store): a recovery
// that skips whole transactions is a `hole`, not a torn first transaction,
// and a dump listing a key twice is `corrupt` for that reason, not for a
// check the engine never ran.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

// An engine that logs every transaction (fsync'd before it answers) and, as
// its bug, replays a log of 9 or more transactions without transactions 1 to 7
// (`--bug=skip`), or dumps its first key twice and has no check
// (`--bug=dup`).
constexpr const char* kEngine = R"(import os, sys
from urllib.parse import unquote
bug = sys.argv[1]
state, log = {}, None
def apply(ops):
    for op in ops:
        if op[0] == "put": state[op[1]] = op[2]
        else: state.pop(op[1], None)
def reply(text): print(text, flush=True)
for line in sys.stdin:
    words = line.rstrip("\n").split(" ")
    if words[0] == "hello": reply("ok crashlab-engine 1 verdict-names reopen")
    elif words[0] == "open":
        d = unquote(words[1])
        os.makedirs(d, exist_ok=True)
        state.clear()
        path = os.path.join(d, "log")
        txns = []
        if os.path.exists(path):
            with open(path) as f:
                txns = [[op.split(" ") for op in l.rstrip("\n").split("\t")] for l in f if l.endswith("\n")]
        for t, ops in enumerate(txns):
            if bug == "--bug=skip" and len(txns) >= 9 and 1 <= t <= 7: continue
            apply(ops)
        log = open(path, "a")
        reply("ok")
    elif words[0] == "txn":
        ops = [sys.stdin.readline().rstrip("\n").split(" ") for _ in range(int(words[1]))]
        log.write("\t".join(" ".join(op) for op in ops) + "\n")
        log.flush()
        os.fsync(log.fileno())
        apply(ops)
        reply("ok")
    elif words[0] == "dump":
        rows = ["kv %s %s" % kv for kv in sorted(state.items())]
        if bug == "--bug=dup" and rows: rows.insert(0, rows[0])
        reply("\n".join(rows + ["end"]))
    elif words[0] in ("check", "checkpoint"): reply("unsupported")
    elif words[0] == "close":
        if log: log.close()
        log = None
        reply("ok")
    else: reply("ok")
)";

// Transaction 0 writes a and b; 1 to 7 each overwrite b and write a key of
// their own; 8 deletes b, so that b reads as it did before transaction 0;
// 8 to 13 each write a key of their own.
constexpr const char* kWorkload = R"(txn 2
put a A0
put b B0
txn 2
put b B1
put m1 M
txn 2
put b B2
put m2 M
txn 2
put b B3
put m3 M
txn 2
put b B4
put m4 M
txn 2
put b B5
put m5 M
txn 2
put b B6
put m6 M
txn 2
put b B7
put m7 M
txn 2
del b
put c8 C
txn 1
put c9 C
txn 1
put c10 C
txn 1
put c11 C
txn 1
put c12 C
txn 1
put c13 C
)";

struct Explored {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  // The interpreter itself, not a version manager's shim: a shim's own
  // output would count as a reply (issue 17, item 1), shifting every ack.
  static std::string Python() {
    CommandResult r = RunProgram({"python3", "-c", "import sys; print(sys.executable)"});
    return r.out.substr(0, r.out.find('\n'));
  }

  explicit Explored(const std::string& bug) {
    std::ofstream(dir / "engine.py") << kEngine;
    std::ofstream(dir / "workload.txt") << kWorkload;
    std::ofstream(dir / "variants.ini")
        << "[engine]\nname = verdict-names\ncommand = " << Python() << " " << (dir / "engine.py")
        << "\n[variant " << bug << "]\nargs = --bug=" << bug
        << "\nkill = durable\npower-loss = durable\n";
    result = RunCrashlab({"explore", "--engine", dir / "variants.ini", "--variant", bug,
                          "--workload-file", dir / "workload.txt", "--seed", "1", "--crash", "kill",
                          "--db", db, "--workdir", dir / "w"});
  }
  std::vector<Row> Violations() {
    return Query(db, "SELECT verdict, details FROM cases WHERE violation = 1");
  }
};

TEST(VerdictNames, WholeTransactionsSkippedByRecoveryAreAHoleNotATornFirstTransaction) {
  Explored e("skip");
  ASSERT_EQ(e.result.exit_code, 1) << e.result.out << e.result.err;
  const std::vector<Row> violations = e.Violations();
  ASSERT_FALSE(violations.empty());
  for (const Row& row : violations) {
    EXPECT_EQ(row.at("verdict"), "hole") << row.at("details");
    EXPECT_NE(row.at("details").find("while the earlier transaction 1 is missing"),
              std::string::npos)
        << row.at("details");
  }
}

TEST(VerdictNames, AKeyListedTwiceIsCorruptForThatReasonWhenCheckIsUnsupported) {
  Explored e("dup");
  ASSERT_EQ(e.result.exit_code, 1) << e.result.out << e.result.err;
  const std::vector<Row> violations = e.Violations();
  ASSERT_FALSE(violations.empty());
  for (const Row& row : violations) {
    EXPECT_EQ(row.at("verdict"), "corrupt") << row.at("details");
    EXPECT_NE(row.at("details").find("the dump lists key 'a' twice"), std::string::npos)
        << row.at("details");
    EXPECT_EQ(row.at("details").find("check failed"), std::string::npos) << row.at("details");
  }
}

}  // namespace
}  // namespace crashlab::e2e
