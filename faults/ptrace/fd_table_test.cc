#include "faults/ptrace/fd_table.h"

#include <gtest/gtest.h>

namespace crashlab::ptrace {
namespace {

FdEntry TracedFile(uint64_t file, const std::string& path) {
  return FdEntry{FdKind::kTraced, file, path};
}

TEST(PtraceFdTable, DupCopiesTheEntryAndReplacesTheTarget) {
  FdTable t;
  t.Set(3, TracedFile(7, "a"));
  t.Set(9, FdEntry{FdKind::kReplyPipe, 0, {}});
  t.Dup(3, 9);  // dup2(3, 9): 9 closed silently, now the same file as 3
  ASSERT_NE(t.Find(9), nullptr);
  EXPECT_EQ(t.Find(9)->kind, FdKind::kTraced);
  EXPECT_EQ(t.Find(9)->file, 7u);
  EXPECT_EQ(t.Find(9)->path, "a");
}

TEST(PtraceFdTable, DupOfAnUnknownDescriptorForgetsTheTarget) {
  FdTable t;
  t.Set(9, TracedFile(1, "b"));
  t.Dup(4, 9);
  EXPECT_EQ(t.Find(9), nullptr);  // worked out from /proc at its next use
}

TEST(PtraceFdTable, DupOntoItselfChangesNothing) {
  FdTable t;
  t.Set(3, TracedFile(2, "c"));
  t.Dup(3, 3);
  ASSERT_NE(t.Find(3), nullptr);
  EXPECT_EQ(t.Find(3)->file, 2u);
}

TEST(PtraceFdTable, ForgetRangeIsInclusiveAndOpenEnded) {
  FdTable t;
  for (int fd : {1, 3, 4, 5, 1000}) t.Set(fd, TracedFile(static_cast<uint64_t>(fd), "x"));
  t.ForgetRange(3, 4);
  EXPECT_EQ(t.Descriptors(), (std::vector<int>{1, 5, 1000}));
  t.ForgetRange(5, ~0ull);  // close_range(5, ~0U)
  EXPECT_EQ(t.Descriptors(), (std::vector<int>{1}));
}

TEST(PtraceLineSplitter, KeepsAPartialLineForTheNextWrite) {
  LineSplitter s;
  EXPECT_EQ(s.Append("ok\npar"), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(s.Append("tial"), (std::vector<std::string>{}));
  EXPECT_EQ(s.Append("\n\nlast\n"), (std::vector<std::string>{"partial", "", "last"}));
  s.Append("dropped");
  s.Clear();  // exec: a new image starts without it
  EXPECT_EQ(s.Append("x\n"), (std::vector<std::string>{"x"}));
}

}  // namespace
}  // namespace crashlab::ptrace
