// `crashlab explain` keeps and shows every failure's evidence: a power-loss
// failure that recovery failed on keeps its trace like any other, the
// changes that decided a crash state come before the rest, and a corrupt
// value shows where it differs from the expected one.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

TEST(Explain, PowerLossFailuresThatRecoveryFailedOn_KeepTheirTraceUpToTwentyPerVariant) {
  // err-script refuses every recovery of a non-empty database: almost every
  // case fails, after the crash, in recovery.
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult run = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "err-script",
                                   "--seed", "3", "--cases", "24", "--crash", "power-loss", "--db",
                                   db, "--workdir", dir / "cases"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::vector<Row> failures =
      Query(db,
            "SELECT f.id, f.trace_id, c.verdict FROM failures f JOIN cases c ON c.id = f.case_id "
            "ORDER BY c.case_index");
  ASSERT_GT(failures.size(), 20u);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const Row& f = failures[i];
    EXPECT_EQ(f.at("verdict"), "recovery-failed");
    EXPECT_EQ(f.at("trace_id").empty(), i >= 20) << "failure " << f.at("id");
    CommandResult r = RunCrashlab({"explain", f.at("id"), "--db", db});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    if (i < 20) {
      EXPECT_EQ(r.out.find("no trace stored"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("events around the crash point "), std::string::npos) << r.out;
    } else {
      EXPECT_NE(r.out.find("no trace stored: the failure is past the first 20 of its variant "
                           "and crash kind in its campaign"),
                std::string::npos)
          << r.out;
    }
  }
  CommandResult repro = RunCrashlab({"repro", failures[0].at("id"), "--db", db});
  EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("crash state: rebuilt byte for byte"), std::string::npos) << repro.out;
}

TEST(Explain, ChangesThatDecidedTheCrashState_ComeBeforeTheOnesThatCameThrough) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "journal-no-sync", "--seed",
                   "1", "--txns", "20", "--first", "--crash", "power-loss", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const Row f = Query(db, "SELECT min(id) AS id FROM failures")[0];
  CommandResult r = RunCrashlab({"explain", f.at("id"), "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::size_t deciding = r.out.find(" that made the crash state differ from the trace:\n");
  ASSERT_NE(deciding, std::string::npos) << r.out;
  const std::size_t vanished = r.out.find(": vanished\n");
  ASSERT_NE(vanished, std::string::npos) << r.out;
  EXPECT_LT(deciding, vanished) << r.out;
  const std::size_t rest = r.out.find(" came through as the trace has them");
  if (rest != std::string::npos) {
    EXPECT_LT(r.out.rfind(": vanished\n"), rest) << r.out;
    EXPECT_EQ(r.out.find(": survived\n"), r.out.find(": survived\n", rest)) << r.out;
  }
}

TEST(Explain, ACorruptValue_ShowsWhereItDiffersFromTheExpectedOne) {
  // An engine whose dump changes the last byte of every long value: its
  // first 48 bytes, all a preview shows, are right.
  TempDir dir;
  std::ofstream(dir / "engine.py") << R"(import json, os, sys
state, path = {}, None
for line in sys.stdin:
    words = line.rstrip("\n").split(" ")
    reply = "ok"
    if words[0] == "hello": reply = "ok crashlab-engine 1 lastbyte"
    elif words[0] == "open":
        path = os.path.join(words[1], "state.json")
        os.makedirs(words[1], exist_ok=True)
        state = json.load(open(path)) if os.path.exists(path) else {}
    elif words[0] == "txn":
        for _ in range(int(words[1])):
            op = sys.stdin.readline().rstrip("\n").split(" ")
            if op[0] == "put": state[op[1]] = op[2] if len(op) > 2 else ""
            else: state.pop(op[1], None)
        with open(path + ".tmp", "w") as f: json.dump(state, f)
        os.rename(path + ".tmp", path)
    elif words[0] == "dump":
        out = []
        for k, v in sorted(state.items()):
            if len(v) > 60 and v[-1] != "Q" and "%" not in v[-3:]: v = v[:-1] + "Q"
            out.append("kv %s %s" % (k, v))
        reply = "\n".join(out + ["end"])
    elif words[0] == "check": reply = "unsupported"
    print(reply, flush=True)
)";
  std::ofstream(dir / "variants.ini")
      << "[engine]\nname = lastbyte\ncommand = python3 " << (dir / "engine.py")
      << "\n[variant only]\nkill = durable\npower-loss = durable\n";
  CommandResult run = RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1",
                                   "--cases", "6", "--db", dir / "db", "--workdir", dir / "w"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::vector<Row> corrupt = Query(
      dir / "db",
      "SELECT f.id FROM failures f JOIN cases c ON c.id = f.case_id WHERE c.verdict = 'corrupt'");
  ASSERT_FALSE(corrupt.empty()) << run.out;
  CommandResult r = RunCrashlab({"explain", corrupt[0].at("id"), "--db", dir / "db"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::size_t at = r.out.find("expected versus recovered:\nkey ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  first difference at byte ", at), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Q'", at), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a kill case runs untraced, so it has no trace"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace crashlab::e2e
