// crashlab soak end to end: a time budget rotated over variants, shapes and
// crash kinds; violations in the exit status and the JUnit report; and a
// controller SIGKILLed mid-soak, resumed with --resume.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> PagejournalSoak(const TempDir& dir, const std::string& duration) {
  return {"soak",         "--duration",  duration,
          "--engine",     "pagejournal", "--variant",
          "correct",      "--variant",   "correct-flush-every",
          "--seed",       "5",           "--db",
          dir / "soak.db"};
}

std::string Marker(const TempDir& dir) { return "CRASHLAB_TEST_MARKER=" + dir.path(); }

TEST(Soak, ShortSoak_RotatesVariantsShapesAndKindsAndLeavesNothingBehind) {
  TempDir dir;
  fs::create_directory(dir / "tmp");
  CommandResult r = RunCrashlab(PagejournalSoak(dir, "8s"),
                                {{"CRASHLAB_TEST_MARKER", dir.path()}, {"TMPDIR", dir / "tmp"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("controller at start: VmRSS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("controller at end: VmRSS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("soak 1 finished"), std::string::npos) << r.out;
  // Every variant of both shapes got cases, and both crash kinds came up.
  const auto cells = Query(dir / "soak.db",
                           "SELECT s.shape, c.variant, count(*) AS n, count(DISTINCT c.crash_kind) "
                           "AS kinds FROM cases c JOIN soak_campaigns s ON s.campaign_id = "
                           "c.campaign_id GROUP BY 1, 2");
  EXPECT_EQ(cells.size(), 4u);
  const auto kinds = Query(dir / "soak.db", "SELECT DISTINCT crash_kind FROM cases");
  EXPECT_EQ(kinds.size(), 2u);
  const auto soak = Query(dir / "soak.db", "SELECT status, elapsed_ms, duration_s FROM soaks");
  ASSERT_EQ(soak.size(), 1u);
  EXPECT_EQ(soak[0].at("status"), "finished");
  EXPECT_GE(std::stoll(soak[0].at("elapsed_ms")), 8000);
  EXPECT_EQ(Query(dir / "soak.db", "SELECT DISTINCT txns FROM soak_campaigns").size(), 2u);
  // The temporary work directory is gone, and so is every engine process.
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
  EXPECT_EQ(CountProcessesWithEnv(Marker(dir)), 0);
  // The descriptors the controller held at the start, it holds at the end.
  const auto fds = [&](const std::string& when) {
    const std::size_t at = r.out.find("controller at " + when);
    const std::size_t end = r.out.find(" open descriptors", at);
    const std::size_t start = r.out.rfind(' ', end - 1);
    return r.out.substr(start + 1, end - start - 1);
  };
  EXPECT_EQ(fds("start"), fds("end")) << r.out;
}

TEST(Soak, BuggyVariant_ExitsOneAndTheJUnitReportHasTheFailure) {
  TempDir dir;
  const std::string xml = dir / "soak.xml";
  CommandResult r =
      RunCrashlab({"soak", "--duration", "3s", "--engine", CRASHLAB_FAKE_ENGINE, "--variant",
                   "ack-before-write", "--crash", "kill", "--seed", "2", "--db", dir / "soak.db",
                   "--workdir", dir / "work", "--junit", xml},
                  {{"CRASHLAB_TEST_MARKER", dir.path()}});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("VIOLATION fake/ack-before-write case "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("case directories kept in " + fs::absolute(dir / "work").string()),
            std::string::npos)
      << r.out;
  const std::string report = ReadFile(xml);
  EXPECT_NE(report.find("<failure message=\""), std::string::npos) << report;
  EXPECT_NE(
      report.find("crashlab repro --engine " CRASHLAB_FAKE_ENGINE " --variant ack-before-write"),
      std::string::npos)
      << report;
  // The long shape's repro names its workload length.
  const auto long_violations = Query(dir / "soak.db",
                                     "SELECT count(*) AS n FROM cases c JOIN soak_campaigns s ON "
                                     "s.campaign_id = c.campaign_id WHERE s.shape = 'long' AND "
                                     "c.violation = 1");
  if (long_violations[0].at("n") != "0") {
    EXPECT_NE(report.find("--txns 100"), std::string::npos);
  }
  EXPECT_EQ(CountProcessesWithEnv(Marker(dir)), 0);
}

// Process ids whose environment holds `entry`.
std::vector<pid_t> ProcessesWithEnv(const std::string& entry) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/proc", ec)) {
    const std::string name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string environ = ReadFile(d.path().string() + "/environ");
    if (environ.find(entry + '\0') != std::string::npos || environ.ends_with(entry)) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

int64_t CountCases(const std::string& db) {
  try {
    return std::stoll(Query(db, "SELECT count(*) AS n FROM cases")[0].at("n"));
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

TEST(Soak, ControllerKilled_ResumeFinishesTheSoakWithoutDuplicates) {
  TempDir dir;
  const std::vector<std::string> args = PagejournalSoak(dir, "12s");
  const pid_t controller = fork();
  if (controller == 0) {
    setenv("CRASHLAB_TEST_MARKER", dir.path().c_str(), 1);
    setenv("TMPDIR", dir.path().c_str(), 1);  // its work directory outlives a SIGKILL
    const int out = open((dir / "first.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    std::vector<std::string> all{CRASHLAB_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ASSERT_GT(controller, 0);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (CountCases(dir / "soak.db") < 5 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(kill(controller, SIGKILL), 0);
  int status = 0;
  waitpid(controller, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << ReadFile(dir / "first.out");
  // The controller's engines run in process groups of their own, so its
  // SIGKILL does not reach an engine in flight: end what it left.
  const std::vector<pid_t> orphans = ProcessesWithEnv(Marker(dir));
  for (pid_t pid : orphans) kill(-getpgid(pid), SIGKILL);
  RecordProperty("engines_left_by_the_killed_controller", static_cast<int>(orphans.size()));
  const int64_t before = CountCases(dir / "soak.db");
  ASSERT_GE(before, 5) << ReadFile(dir / "first.out");
  EXPECT_EQ(Query(dir / "soak.db", "SELECT status FROM soaks")[0].at("status"), "running");

  // Another seed is another soak: refused, with what differs.
  std::vector<std::string> other = args;
  *std::find(other.begin(), other.end(), "5") = "6";  // --seed 5
  other.push_back("--resume");
  CommandResult refused = RunCrashlab(other);
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("seed: was 5, now 6"), std::string::npos) << refused.err;

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  CommandResult r = RunCrashlab(resume, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("soak 1 resumed"), std::string::npos) << r.out;
  const auto soak = Query(dir / "soak.db", "SELECT status, resumes, elapsed_ms FROM soaks");
  ASSERT_EQ(soak.size(), 1u);
  EXPECT_EQ(soak[0].at("status"), "finished");
  EXPECT_EQ(soak[0].at("resumes"), "1");
  EXPECT_GE(std::stoll(soak[0].at("elapsed_ms")), 12000);
  EXPECT_GT(CountCases(dir / "soak.db"), before);
  // Per campaign and variant: indexes without duplicates, at most one gap.
  std::map<std::string, std::vector<int64_t>> indexes;
  for (const Row& row :
       Query(dir / "soak.db",
             "SELECT campaign_id || '/' || variant AS slot, case_index FROM cases ORDER BY 1, 2")) {
    indexes[row.at("slot")].push_back(std::stoll(row.at("case_index")));
  }
  EXPECT_EQ(indexes.size(), 4u);
  for (const auto& [slot, list] : indexes) {
    int gaps = 0;
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_NE(list[i], list[i - 1]) << slot;
      gaps += static_cast<int>(list[i] - list[i - 1] - 1);
    }
    gaps += static_cast<int>(list.front());
    EXPECT_LE(gaps, 1) << slot;
  }
  EXPECT_EQ(CountProcessesWithEnv(Marker(dir)), 0);

  // Nothing is left to resume now.
  CommandResult again = RunCrashlab(resume);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("holds no unfinished soak"), std::string::npos) << again.err;
}

TEST(Soak, BadDuration_IsAUsageErrorNamingTheAcceptedForms) {
  CommandResult r = RunCrashlab({"soak", "--duration", "8 hours", "--seed", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("90s, 30m, 8h or 1h30m"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crashlab::e2e
