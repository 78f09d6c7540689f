#include "framework/engine/variants_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace crashlab {
namespace {

namespace fs = std::filesystem;

constexpr char kPath[] = "e/variants.ini";
// Lines 1-3; variant sections in the error tests start on line 4.
constexpr char kEngine[] = "[engine]\nname = x\ncommand = prog\n";

// The error message for `text`, or a marker that makes the comparison fail.
std::string ErrorOf(std::string_view text) {
  Result<EngineSpec> spec = ParseVariantsFile(text, kPath);
  return spec.ok() ? "<parsed without error>" : spec.status().message();
}

std::vector<std::string> ArgvOf(std::string_view text, std::string_view variant) {
  Result<EngineSpec> spec = ParseVariantsFile(text, kPath);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (!spec.ok() || spec->Find(variant) == nullptr) return {};
  return spec->Find(variant)->argv;
}

TEST(VariantsFile, GoodFile_ParsesEveryField) {
  constexpr char kText[] =
      "# crashlab variants for sqlite\n"
      "[engine]\n"
      "name = sqlite\n"
      "description = SQLite 3 through its C API\n"
      "command = crashlab-engine-sqlite --common\n"
      "source = https://www.sqlite.org/pragma.html#pragma_synchronous\n"
      "\n"
      "[variant wal-normal]\n"
      "description = WAL journal, synchronous=NORMAL\n"
      "args = --journal-mode=wal --synchronous=normal\n"
      "kill = durable\n"
      "power-loss = prefix\n"
      "source = https://www.sqlite.org/lang.html \"quoted sentence\" # not a comment\n"
      "\n"
      "  # an indented comment\n"
      "  [variant off]\n"
      "\tpower-loss   =   none  \n"
      "  kill=prefix\n"
      "  command = /usr/bin/env python3 x.py\n";
  Result<EngineSpec> spec = ParseVariantsFile(kText, "engines/sqlite/variants.ini");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->name, "sqlite");
  EXPECT_EQ(spec->description, "SQLite 3 through its C API");
  EXPECT_EQ(spec->source, "https://www.sqlite.org/pragma.html#pragma_synchronous");
  EXPECT_EQ(spec->variants_path, "engines/sqlite/variants.ini");
  ASSERT_EQ(spec->variants.size(), 2u);
  EXPECT_EQ(spec->VariantNames(), "wal-normal, off");

  const VariantSpec& wal = spec->variants[0];
  EXPECT_EQ(wal.name, "wal-normal");
  EXPECT_EQ(wal.description, "WAL journal, synchronous=NORMAL");
  EXPECT_EQ(wal.source, "https://www.sqlite.org/lang.html \"quoted sentence\" # not a comment");
  EXPECT_EQ(wal.argv, (std::vector<std::string>{"crashlab-engine-sqlite", "--common",
                                                "--journal-mode=wal", "--synchronous=normal"}));
  EXPECT_EQ(wal.ContractFor(CrashKind::kKill), Contract::kDurable);
  EXPECT_EQ(wal.ContractFor(CrashKind::kPowerLoss), Contract::kPrefix);
  EXPECT_EQ(wal.line, 8);

  const VariantSpec* off = spec->Find("off");
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(off->argv, (std::vector<std::string>{"/usr/bin/env", "python3", "x.py"}));
  EXPECT_EQ(off->kill, Contract::kPrefix);
  EXPECT_EQ(off->power_loss, Contract::kNone);
  EXPECT_EQ(off->line, 16);
  EXPECT_EQ(spec->Find("absent"), nullptr);
}

TEST(VariantsFile, CrlfLineEndings_AreAccepted) {
  Result<EngineSpec> spec = ParseVariantsFile(
      "[engine]\r\nname = x\r\ncommand = prog\r\n[variant a]\r\nkill = none\r\n"
      "power-loss = prefix\r\n",
      kPath);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->variants[0].argv, std::vector<std::string>{"prog"});
  EXPECT_EQ(spec->variants[0].kill, Contract::kNone);
}

TEST(VariantsFile, VariantCommand_OverridesEngineCommand) {
  EXPECT_EQ(
      ArgvOf(std::string(kEngine) + "[variant a]\ncommand = other --x\nargs = --y\nkill = durable\n"
                                    "power-loss = durable\n",
             "a"),
      (std::vector<std::string>{"other", "--x", "--y"}));
}

TEST(VariantsFile, EngineWithoutCommand_IsFineWhenEveryVariantHasOne) {
  EXPECT_EQ(
      ArgvOf("[engine]\nname = x\n[variant a]\ncommand = p\nkill = none\npower-loss = none\n", "a"),
      std::vector<std::string>{"p"});
}

TEST(VariantsCommandLine, Quotes_GroupWordsAndBackslashEscapesInsideThem) {
  const std::string text = std::string(kEngine) +
                           "[variant a]\n"
                           R"(args = "a b"  "with \"quote\" and \\"	x"y z"w back\slash "")"
                           "\nkill = durable\npower-loss = durable\n";
  EXPECT_EQ(ArgvOf(text, "a"), (std::vector<std::string>{"prog", "a b", "with \"quote\" and \\",
                                                         "xy zw", "back\\slash", ""}));
}

TEST(VariantsCommandLine, UnterminatedQuote_NamesLineAndColumnOfTheQuote) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\nargs = --x \"abc\n"),
            "e/variants.ini:5:12: unterminated quote; close it with '\"' (write \\\" for a "
            "literal quote)");
  // A backslash cannot escape the end of the line.
  EXPECT_EQ(ErrorOf("[engine]\nname = x\ncommand = p \"a\\\"\n"),
            "e/variants.ini:3:13: unterminated quote; close it with '\"' (write \\\" for a "
            "literal quote)");
}

TEST(VariantsFileErrors, UnknownContract_NamesLineAndColumn) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\nkill = durabel\n"),
            "e/variants.ini:5:8: unknown contract 'durabel'; use durable, prefix or none");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\nkill = none\n power-loss =\n"),
            "e/variants.ini:6:14: unknown contract ''; use durable, prefix or none");
}

TEST(VariantsFileErrors, UnknownKey_NamesLineAndColumnAndTheAllowedKeys) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\n  colour = red\n"),
            "e/variants.ini:5:3: unknown key 'colour' in [variant a]; use one of description, "
            "args, command, kill, power-loss, source, untraced-files");
  EXPECT_EQ(ErrorOf("[engine]\nname = x\nkill = durable\n"),
            "e/variants.ini:3:1: unknown key 'kill' in [engine]; use one of name, description, "
            "command, source, untraced-files");
}

TEST(VariantsFileErrors, DuplicateKey_NamesBothLines) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\nkill = none\nkill = durable\n"),
            "e/variants.ini:6:1: duplicate key 'kill' in [variant a] (first on line 5); keep one");
}

TEST(VariantsFileErrors, MissingEquals_PointsAtTheLine) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\n   kill durable\n"),
            "e/variants.ini:5:4: missing '=' in 'kill durable'; write key = value");
  EXPECT_EQ(ErrorOf("[engine]\n = x\n"),
            "e/variants.ini:2:2: missing key before '='; write key = value");
}

TEST(VariantsFileErrors, UnknownSection_PointsAtItsWord) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[varient a]\n"),
            "e/variants.ini:4:2: unknown section '[varient a]'; use [engine] or [variant NAME]");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a\n"),
            "e/variants.ini:4:1: section header without ']'; write [engine] or [variant NAME]");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a] # note\n"),
            "e/variants.ini:4:13: unexpected text after ']'; put it on a line of its own");
}

TEST(VariantsFileErrors, BadSectionOrder_IsAnError) {
  EXPECT_EQ(ErrorOf("name = x\n"),
            "e/variants.ini:1:1: key 'name' before any section; start the file with [engine]");
  EXPECT_EQ(ErrorOf("# c\n[variant a]\n[engine]\n"),
            "e/variants.ini:2:1: [variant] before [engine]; put the [engine] section first");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "  [engine]\n"),
            "e/variants.ini:4:3: second [engine] section (the first is on line 1); keep one");
}

TEST(VariantsFileErrors, BadOrDuplicateVariantName_PointsAtTheName) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant Wal]\n"),
            "e/variants.ini:4:10: invalid variant name 'Wal'; use lower-case letters, digits "
            "and '-', starting with a letter or digit");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant -a]\n"),
            "e/variants.ini:4:10: invalid variant name '-a'; use lower-case letters, digits "
            "and '-', starting with a letter or digit");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant]\n"),
            "e/variants.ini:4:1: [variant] without a name; write [variant NAME]");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\n[variant  a ]\n"),
            "e/variants.ini:5:11: duplicate variant 'a' (first on line 4); give each variant its "
            "own name");
  EXPECT_EQ(ErrorOf("[engine]\nname = Sql_ite\n"),
            "e/variants.ini:2:8: invalid engine name 'Sql_ite'; use lower-case letters, digits "
            "and '-', starting with a letter or digit");
}

TEST(VariantsFileErrors, MissingRequiredKey_PointsAtTheSectionHeader) {
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "\n [variant a]\npower-loss = none\n"),
            "e/variants.ini:5:2: [variant a] has no kill contract; add kill = durable, prefix "
            "or none");
  EXPECT_EQ(ErrorOf(std::string(kEngine) + "[variant a]\nkill = none\n"),
            "e/variants.ini:4:1: [variant a] has no power-loss contract; add power-loss = "
            "durable, prefix or none");
  EXPECT_EQ(ErrorOf("# c\n[engine]\ncommand = p\n[variant a]\nkill = none\npower-loss = none\n"),
            "e/variants.ini:2:1: [engine] has no name; add name = ... to it");
  EXPECT_EQ(ErrorOf("[engine]\nname = x\n[variant a]\nkill = none\npower-loss = none\n"),
            "e/variants.ini:3:1: [variant a] has no command and [engine] has none; add "
            "command = ... to [engine] or to this variant");
  EXPECT_EQ(ErrorOf("[engine]\nname = x\ncommand =  \n"),
            "e/variants.ini:3:10: empty command; give the program and its arguments, or remove "
            "the key");
}

TEST(VariantsFileErrors, NoVariantsOrNoEngine_IsAnError) {
  EXPECT_EQ(ErrorOf(kEngine),
            "e/variants.ini:1:1: no [variant NAME] section; add at least one after [engine] "
            "with its command and contracts");
  EXPECT_EQ(ErrorOf("# only a comment\n\n"),
            "e/variants.ini:1:1: no [engine] section; start the file with [engine] and "
            "name = ...");
}

// A fresh directory under the system's temporary directory, removed afterwards.
class VariantsOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "crashlab-variants-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const fs::path& path, std::string_view text, fs::perms perms = fs::perms(0644)) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    fs::permissions(path, perms);
  }
  // A valid variants file for engine `name`.
  static std::string EngineText(std::string_view name) {
    return "[engine]\nname = " + std::string(name) +
           "\ncommand = p\n[variant a]\nkill = durable\npower-loss = prefix\n";
  }

  fs::path dir_;
};

TEST_F(VariantsOnDisk, ProgramResolution_FollowsTheVariantsFileDirectory) {
  Write(dir_ / "engine-bin", "#!/bin/sh\n", fs::perms(0755));
  Write(dir_ / "variants.ini",
        "[engine]\nname = x\ncommand = engine-bin --flag\n"
        "[variant beside]\nkill = none\npower-loss = none\n"
        "[variant dot]\ncommand = ./engine-bin\nkill = none\npower-loss = none\n"
        "[variant relative]\ncommand = bin/../tool a\nkill = none\npower-loss = none\n"
        "[variant on-path]\ncommand = crashlab-no-such-file -c pass\nkill = none\n"
        "power-loss = none\n"
        "[variant absolute]\ncommand = /bin/true\nkill = none\npower-loss = none\n");
  Result<EngineSpec> spec = LoadVariantsFile((dir_ / "variants.ini").string());
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const std::string bin = (dir_ / "engine-bin").string();
  EXPECT_EQ(spec->Find("beside")->argv, (std::vector<std::string>{bin, "--flag"}));
  EXPECT_EQ(spec->Find("dot")->argv, std::vector<std::string>{bin});
  EXPECT_EQ(spec->Find("relative")->argv,
            (std::vector<std::string>{(dir_ / "tool").string(), "a"}));
  EXPECT_EQ(spec->Find("on-path")->argv,
            (std::vector<std::string>{"crashlab-no-such-file", "-c", "pass"}));
  EXPECT_EQ(spec->Find("absolute")->argv, std::vector<std::string>{"/bin/true"});
}

TEST_F(VariantsOnDisk, UnreadableFile_SaysPathAndReason) {
  const std::string missing = (dir_ / "nope.ini").string();
  Result<EngineSpec> spec = LoadVariantsFile(missing);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "cannot read variants file " + missing + ": No such file or directory; check the path");
}

TEST_F(VariantsOnDisk, FindEngine_UnknownNameListsAvailableEngines) {
  Write(dir_ / "beta" / "variants.ini", EngineText("beta"));
  Write(dir_ / "alpha" / "variants.ini", EngineText("alpha"));
  fs::create_directories(dir_ / "CMakeFiles");  // build clutter: no variants.ini
  Result<EngineSpec> spec = FindEngine("gamma", dir_.string());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            "unknown engine 'gamma' (engines in " + dir_.string() +
                ": alpha, beta); name one of them, or give the path to a variants.ini instead");
  EXPECT_NE(FindEngine("x", (dir_ / "absent").string()).status().message().find("engines in"),
            std::string::npos);
}

TEST_F(VariantsOnDisk, FindEngine_ByNameOrByPath) {
  Write(dir_ / "alpha" / "variants.ini", EngineText("alpha"));
  Write(dir_ / "elsewhere" / "mine.ini", EngineText("mine"));
  Result<EngineSpec> by_name = FindEngine("alpha", dir_.string());
  ASSERT_TRUE(by_name.ok()) << by_name.status().message();
  EXPECT_EQ(by_name->variants_path, (dir_ / "alpha" / "variants.ini").string());

  Result<EngineSpec> by_path = FindEngine((dir_ / "elsewhere" / "mine.ini").string(), "/nowhere");
  ASSERT_TRUE(by_path.ok()) << by_path.status().message();
  EXPECT_EQ(by_path->name, "mine");

  Result<EngineSpec> by_dir = FindEngine((dir_ / "alpha").string(), "/nowhere");
  ASSERT_TRUE(by_dir.ok()) << by_dir.status().message();
  EXPECT_EQ(by_dir->name, "alpha");
}

TEST_F(VariantsOnDisk, FindEngine_NameMustMatchItsDirectory) {
  Write(dir_ / "alpha" / "variants.ini", EngineText("beta"));
  Result<EngineSpec> spec = FindEngine("alpha", dir_.string());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(),
            (dir_ / "alpha" / "variants.ini").string() +
                ": names engine 'beta' but sits in directory 'alpha'; make them agree, since "
                "engines are found by directory");
}

TEST_F(VariantsOnDisk, ListEngines_SortedByName) {
  for (const char* name : {"zeta", "alpha", "mid"}) {
    Write(dir_ / name / "variants.ini", EngineText(name));
  }
  fs::create_directories(dir_ / "CMakeFiles");
  Result<std::vector<EngineSpec>> engines = ListEngines(dir_.string());
  ASSERT_TRUE(engines.ok()) << engines.status().message();
  std::vector<std::string> names;
  for (const EngineSpec& e : *engines) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "mid", "zeta"}));
}

TEST_F(VariantsOnDisk, ListEngines_BrokenFileIsAnErrorNamingIt) {
  Write(dir_ / "alpha" / "variants.ini", EngineText("alpha"));
  Write(dir_ / "broken" / "variants.ini", "[engine]\nname = broken\nbogus = 1\n");
  Result<std::vector<EngineSpec>> engines = ListEngines(dir_.string());
  ASSERT_FALSE(engines.ok());
  EXPECT_EQ(
      engines.status().message().rfind((dir_ / "broken" / "variants.ini").string() + ":3:1: ", 0),
      0u)
      << engines.status().message();
  EXPECT_FALSE(ListEngines((dir_ / "absent").string()).ok());
}

TEST(VariantsFile, UntracedFiles_EngineListThenTheVariantsOwn) {
  constexpr char kText[] =
      "[engine]\nname = x\ncommand = prog\nuntraced-files = LOG LOG.old.*\n"
      "[variant a]\nkill = durable\npower-loss = durable\n"
      "[variant b]\nkill = durable\npower-loss = durable\n"
      "untraced-files = \"logs/info *.txt\" appendonlydir/*.base.rdb\n";
  Result<EngineSpec> spec = ParseVariantsFile(kText, kPath);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->Find("a")->untraced_files, (std::vector<std::string>{"LOG", "LOG.old.*"}));
  EXPECT_EQ(spec->Find("b")->untraced_files,
            (std::vector<std::string>{"LOG", "LOG.old.*", "logs/info *.txt",
                                      "appendonlydir/*.base.rdb"}));
}

TEST(VariantsFile, UntracedFiles_PatternsOutsideTheDirectoryAreErrors) {
  const std::string variant = "[variant a]\nkill = durable\npower-loss = durable\n";
  for (const char* bad : {"/var/log/LOG", "../LOG", "a/../../LOG", "LOG:x"}) {
    EXPECT_EQ(ErrorOf(std::string(kEngine) + variant + "untraced-files = LOG " + bad + "\n"),
              std::string("e/variants.ini:7:18: bad untraced-files pattern '") + bad +
                  "'; patterns are relative to the engine's directory, inside it, and contain "
                  "no ':'")
        << bad;
  }
  EXPECT_EQ(ErrorOf(std::string(kEngine) + variant + "untraced-files =\n"),
            "e/variants.ini:7:17: no patterns; list the files the engine never reads back, e.g. "
            "LOG LOG.old.*, or remove the key");
}

}  // namespace
}  // namespace crashlab
