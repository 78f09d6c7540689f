// crashlab's own output files follow the rule it checks in engines: write a
// temporary file, fsync it, rename it over the final name, fsync the
// directory. Observed from outside, under strace, for the JUnit and the HTML
// report: a crash must never leave a torn report under the final name, nor
// lose the rename that published a whole one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

// Runs crashlab with `args` under strace (following its children), keeping
// only syncs and renames; `-y` prints each file descriptor's path, so a sync
// names the file it made durable. Returns the log's lines.
std::vector<std::string> SyncsAndRenames(const std::string& log,
                                         const std::vector<std::string>& args, int want_exit) {
  // LeakSanitizer cannot run under ptrace (it stops with a fatal error), so
  // an ASan build's crashlab runs here with leak checks off; its other checks
  // stay, and every other test checks for leaks.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::vector<std::string> argv{
      "env",       std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":detect_leaks=0",
      "strace",    "-f",
      "-qq",       "-y",
      "-e",        "trace=fsync,fdatasync,rename,renameat,renameat2",
      "-e",        "signal=none",
      "-o",        log,
      CRASHLAB_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, want_exit) << "(strace missing? scripts/setup installs it)\n"
                                    << r.out << r.err;
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(log));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool IsSyncOf(const std::string& line, const std::string& path) {
  const bool sync =
      line.find(" fsync(") != std::string::npos || line.find(" fdatasync(") != std::string::npos;
  return sync && line.find("<" + path + ">)") != std::string::npos &&
         line.find(") = 0") != std::string::npos;
}

// Asserts, on the log of one run, that `final_path` was published by a rename
// of its temporary file, with that file synced before it and the directory
// synced after it.
void ExpectSyncedRenameOf(const std::vector<std::string>& lines, const std::string& final_path) {
  const std::string tmp = final_path + ".tmp";
  const std::string rename = "\"" + tmp + "\", \"" + final_path + "\"";
  std::size_t renamed = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(rename) != std::string::npos && lines[i].find(") = 0") != std::string::npos) {
      renamed = i;
    }
  }
  const std::string dir = fs::path(final_path).parent_path().string();
  std::ostringstream all;  // the lines about this file and its directory, for a failure
  for (const std::string& line : lines) {
    if (line.find(final_path) != std::string::npos ||
        line.find("<" + dir + ">)") != std::string::npos) {
      all << line << "\n";
    }
  }
  ASSERT_LT(renamed, lines.size()) << "no rename of " << tmp << " to " << final_path << "\n"
                                   << all.str();
  bool synced_before = false;
  for (std::size_t i = 0; i < renamed; ++i) synced_before |= IsSyncOf(lines[i], tmp);
  EXPECT_TRUE(synced_before) << tmp << " not synced before its rename\n" << all.str();
  bool dir_synced_after = false;
  for (std::size_t i = renamed + 1; i < lines.size(); ++i) {
    dir_synced_after |= IsSyncOf(lines[i], dir);
  }
  EXPECT_TRUE(dir_synced_after) << dir << " not synced after the rename into it\n" << all.str();
}

TEST(OwnFiles, JUnitReport_TempFileSyncedBeforeRenameDirectorySyncedAfter) {
  TempDir tmp;
  // strace -y prints resolved paths.
  const std::string dir = fs::canonical(tmp.path()).string();
  const std::string xml = dir + "/cases.xml";
  const std::vector<std::string> lines =
      SyncsAndRenames(dir + "/strace.log",
                      {"run", "--engine", kFakeEngine, "--variant", "correct", "--seed", "3",
                       "--cases", "2", "--db", dir + "/results.db", "--junit", xml},
                      0);
  ExpectSyncedRenameOf(lines, xml);
  EXPECT_NE(ReadFile(xml).find("<testsuites"), std::string::npos);
}

TEST(OwnFiles, HtmlReport_TempFileSyncedBeforeRenameDirectorySyncedAfter) {
  TempDir tmp;
  const std::string dir = fs::canonical(tmp.path()).string();
  const std::string db = dir + "/results.db";
  const CommandResult run = RunCrashlab({"run", "--engine", kFakeEngine, "--variant", "correct",
                                         "--seed", "3", "--cases", "2", "--db", db});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string html = dir + "/report.html";
  const std::vector<std::string> lines =
      SyncsAndRenames(dir + "/strace.log", {"report", "--db", db, "-o", html}, 0);
  ExpectSyncedRenameOf(lines, html);
  EXPECT_NE(ReadFile(html).find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace crashlab::e2e
