#include "faults/ptrace/paths.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace crashlab::ptrace {
namespace {

TEST(PtracePaths, NormalizeDropsDotsAndEmptyParts) {
  EXPECT_EQ(Normalize("/a/./b/../c"), "/a/c");
  EXPECT_EQ(Normalize("//a///b/"), "/a/b");
  EXPECT_EQ(Normalize("/.."), "/");
  EXPECT_EQ(Normalize("a/b"), "/a/b");
}

TEST(PtracePaths, ResolveAgainstJoinsRelativePathsOnly) {
  EXPECT_EQ(ResolveAgainst("/nonexistent/base", "x/../y"), "/nonexistent/base/y");
  EXPECT_EQ(ResolveAgainst("/nonexistent/base", "/abs/z"), "/abs/z");
}

TEST(PtracePaths, ResolveAgainstFollowsTheParentsSymlinksButNotTheLastName) {
  char tmpl[] = "/tmp/ptrace-paths-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = RealPathOr(tmpl);
  ASSERT_EQ(mkdir((dir + "/real").c_str(), 0755), 0);
  ASSERT_EQ(symlink((dir + "/real").c_str(), (dir + "/link").c_str()), 0);
  EXPECT_EQ(ResolveAgainst(dir, "link/file"), dir + "/real/file");
  EXPECT_EQ(ResolveAgainst(dir, "link"), dir + "/link");
  EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

TEST(PtracePaths, CaseDirGivesRelativeNamesInsideAndAbsoluteOutside) {
  CaseDir dir("/nonexistent/case", {});
  std::string rel;
  EXPECT_TRUE(dir.Contains("/nonexistent/case", rel));
  EXPECT_EQ(rel, ".");
  EXPECT_TRUE(dir.Contains("/nonexistent/case/a/b", rel));
  EXPECT_EQ(rel, "a/b");
  EXPECT_FALSE(dir.Contains("/nonexistent/case2/a", rel));
  EXPECT_EQ(rel, "/nonexistent/case2/a");
}

TEST(PtracePaths, UntracedGlobsStopAtSlashes) {
  CaseDir dir("/nonexistent/case", {"LOG*", "logs/*.txt"});
  EXPECT_TRUE(dir.Untraced("LOG"));
  EXPECT_TRUE(dir.Untraced("LOG.old"));
  EXPECT_TRUE(dir.Untraced("logs/a.txt"));
  EXPECT_FALSE(dir.Untraced("logs/sub/a.txt"));
  EXPECT_FALSE(dir.Untraced("data/LOG"));
}

TEST(PtracePaths, CwdAndFdPathReadTheProcLinks) {
  char buf[4096];
  ASSERT_NE(getcwd(buf, sizeof buf), nullptr);
  EXPECT_EQ(Cwd(getpid()), buf);
  EXPECT_EQ(FdPath(getpid(), 987654), "");
}

}  // namespace
}  // namespace crashlab::ptrace
