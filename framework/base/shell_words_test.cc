#include "framework/base/shell_words.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

TEST(ShellWords, PlainWordsStayAsTheyAre) {
  EXPECT_EQ(ShellWord("/tmp/crashlab-e2e-x1/variants.ini"), "/tmp/crashlab-e2e-x1/variants.ini");
  EXPECT_EQ(ShellWord("--atomic-unit=512"), "--atomic-unit=512");
}

TEST(ShellWords, SpacesQuotesAndShellCharactersAreSingleQuoted) {
  EXPECT_EQ(ShellWord("my engines/variants.ini"), "'my engines/variants.ini'");
  EXPECT_EQ(ShellWord("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellWord("a\"b$c`d\\e;f&g|h*i?j(k)l<m>n~o#p\nq"),
            "'a\"b$c`d\\e;f&g|h*i?j(k)l<m>n~o#p\nq'");
  EXPECT_EQ(ShellWord(""), "''");
}

TEST(ShellWords, ALineQuotesEachWord) {
  EXPECT_EQ(ShellLine({"gdb", "--args", "/a b/engine", "--mode=x"}),
            "gdb --args '/a b/engine' --mode=x");
}

TEST(ShellWords, SplitUndoesALine) {
  const std::vector<std::string> argv{"crashlab", "run", "--engine",  "odd dir's \"x\" $HOME/v.ini",
                                      "--db",     "",    "tab\there", "back\\slash"};
  EXPECT_EQ(ShellSplit(ShellLine(argv)), argv);
  EXPECT_EQ(ShellSplit("a \"b c\"  d\\ e"), (std::vector<std::string>{"a", "b c", "d e"}));
}

TEST(ShellWords, ALineWithAnUnmatchedQuoteSplitsAtBlanks) {
  // As campaigns stored their command lines before they were quoted.
  EXPECT_EQ(ShellSplit("crashlab run --engine odd dir's/variants.ini"),
            (std::vector<std::string>{"crashlab", "run", "--engine", "odd", "dir's/variants.ini"}));
}

}  // namespace
}  // namespace crashlab
