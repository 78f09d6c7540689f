// Bad input to the crashlab executable: exit status 2 and a message that
// names the problem and the fix, before any case runs.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

void ExpectUsageError(const CommandResult& r, const std::string& says) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
}

TEST(CliErrors, UnknownEngine_ListsTheBundledOnes) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "nosuch", "--seed", "1"}), "sqlite");
}

TEST(CliErrors, UnknownVariant_ListsTheEnginesVariants) {
  ExpectUsageError(
      RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-sometimes", "--seed", "1"}),
      "wal-normal");
}

TEST(CliErrors, MissingEngineProgram_IsASetupErrorNotAVerdict) {
  TempDir dir;
  std::ofstream(dir / "variants.ini") << "[engine]\nname = ghost\ncommand = ./not-built\n"
                                         "[variant only]\nkill = durable\npower-loss = none\n";
  const auto r =
      RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1", "--db", dir / "db"});
  ExpectUsageError(r, "not-built");
  EXPECT_NE(r.err.find("build it"), std::string::npos) << r.err;
}

TEST(CliErrors, ScriptWhoseInterpreterIsMissing_SaysSoNotThatTheScriptIsMissing) {
  TempDir dir;
  std::ofstream(dir / "adapter.py") << "#!/nonexistent/python9\nprint('hi')\n";
  std::filesystem::permissions(dir / "adapter.py", std::filesystem::perms::owner_all);
  std::ofstream(dir / "variants.ini") << "[engine]\nname = py\ncommand = adapter.py\n"
                                         "[variant only]\nkill = durable\npower-loss = none\n";
  const auto r =
      RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1", "--db", dir / "db"});
  ExpectUsageError(r, "the interpreter its #! line names is missing");
}

TEST(CliErrors, EngineSpeakingAnotherProtocolVersion_StopsTheCampaign) {
  TempDir dir;
  std::ofstream(dir / "variants.ini")
      << "[engine]\nname = old\ncommand = /bin/sh -c \"read line; echo ok crashlab-engine 2 old\"\n"
         "[variant only]\nkill = durable\npower-loss = none\n";
  const auto r = RunCrashlab(
      {"run", "--engine", dir / "variants.ini", "--seed", "1", "--db", dir / "db", "--cases", "3"});
  ExpectUsageError(r, "protocol version '2'");
  EXPECT_TRUE(Query(dir / "db", "SELECT 1 FROM cases").empty());
  // An error, not a signal: `interrupted` would send a reader looking for one.
  EXPECT_EQ(Query(dir / "db", "SELECT status FROM campaigns").at(0).at("status"), "error");
}

TEST(CliErrors, UnknownPoint_ListsTheEnginesPoints) {
  TempDir dir;
  ExpectUsageError(RunCrashlab({"run", "--engine", CRASHLAB_FAKE_ENGINE, "--variant", "correct",
                                "--seed", "1", "--db", dir / "db", "--point", "nosuch:point"}),
                   "fake.commit:after");
}

TEST(CliErrors, PointOnAnEngineWithoutPoints_IsRefused) {
  TempDir dir;
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                                "--db", dir / "db", "--point", "any"}),
                   "drop --point");
}

TEST(CliErrors, SeedOutOfRange_IsAUsageError) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--seed", "9223372036854775808"}),
                   "--seed");
}

TEST(CliErrors, NonEmptyWorkdir_IsRefused) {
  TempDir dir;
  std::ofstream(dir / "somefile") << "x";
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                                "--cases", "1", "--db", dir / "db", "--workdir", dir.path()}),
                   "not empty");
}

TEST(CliErrors, PowerLossWithAPoint_IsRefused) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--crash", "power-loss",
                                "--point", "any"}),
                   "--point needs --crash kill, or --live");
}

TEST(CliErrors, UnknownCrashKindInAList_NamesTheKinds) {
  ExpectUsageError(
      RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--crash", "kill,fire"}),
      "use kill, power-loss or kill,power-loss");
}

TEST(CliErrors, PowerLossWithoutTheTracer_SaysHowToBuildIt) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--crash", "power-loss",
                                "--preload", "/nonexistent/libcrashlab_preload.so"}),
                   "crashlab_preload");
}

TEST(CliErrors, UnknownProfile_NamesTheProfiles) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--crash", "power-loss",
                                "--profile", "zfs"}),
                   "posix");
}

TEST(CliErrors, DatabaseThatIsNotCrashlabs_IsRefusedAndLeftAlone) {
  TempDir dir;
  std::ofstream(dir / "db") << "this is not a database, it is a grocery list\n";
  const auto r = RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                              "--cases", "1", "--db", dir / "db"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(ReadFile(dir / "db"), "this is not a database, it is a grocery list\n");
}

TEST(CliErrors, MalformedVariantsFile_NamesTheFileLineAndColumn) {
  TempDir dir;
  std::ofstream(dir / "variants.ini") << "[engine]\nname = mine\ncommand = /bin/true\n\n"
                                         "[variant fast]\nkill = durable\npower-loss = durabel\n";
  ExpectUsageError(
      RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1"}),
      dir / "variants.ini:7:14: unknown contract 'durabel'; use durable, prefix or none");
}

TEST(CliErrors, WorkdirThatCannotBeCreated_SaysWhyAndWhatToPass) {
  TempDir dir;
  std::ofstream(dir / "file") << "x";
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                                "--cases", "1", "--db", dir / "db", "--workdir", dir / "file/w"}),
                   "Not a directory; pass a --workdir whose parent is a writable directory");
}

TEST(CliErrors, WorkdirOnAReadOnlyFileSystem_IsRefusedBeforeAnyCase) {
  TempDir dir;
  std::filesystem::create_directories(dir / "ro");
  if (mount("tmpfs", (dir / "ro").c_str(), "tmpfs", MS_RDONLY, "size=1m") != 0) {
    GTEST_SKIP() << "mounting a read-only tmpfs needs root (CI runs as root)";
  }
  const auto r = RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                              "--cases", "1", "--db", dir / "db", "--workdir", dir / "ro"});
  umount2((dir / "ro").c_str(), MNT_DETACH);
  ExpectUsageError(r, "is not writable (Read-only file system); pass a directory");
  EXPECT_TRUE(Query(dir / "db", "SELECT 1 FROM cases").empty());
}

TEST(CliErrors, PowerLossOptionsWithoutPowerLoss_AreAConflict) {
  ExpectUsageError(RunCrashlab({"run", "--engine", "sqlite", "--seed", "1", "--crash", "kill",
                                "--profile", "ext4-ordered"}),
                   "add power-loss to --crash or drop them");
}

TEST(CliErrors, DatabaseOfANewerCrashlab_IsRefusedAndLeftAlone) {
  TempDir dir;
  ASSERT_EQ(RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                         "--cases", "1", "--db", dir / "db"})
                .exit_code,
            0);
  ASSERT_EQ(RunProgram({"sqlite3", dir / "db", "PRAGMA user_version = 99"}).exit_code, 0);
  const auto r = RunCrashlab({"run", "--engine", "sqlite", "--variant", "wal-full", "--seed", "1",
                              "--cases", "1", "--db", dir / "db"});
  ExpectUsageError(r, "99");
  EXPECT_EQ(Query(dir / "db", "SELECT count(*) AS n FROM cases").at(0).at("n"), "1");
}

}  // namespace
}  // namespace crashlab::e2e
