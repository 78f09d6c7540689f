#include "faults/ptrace/tracee_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace crashlab::ptrace {
namespace {

TEST(PtraceTraceeMemory, ParsesPosAndOctalFlags) {
  const auto info = ParseFdInfo("pos:\t12345\nflags:\t02102001\nmnt_id:\t29\nino:\t77\n");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->pos, 12345u);
  EXPECT_EQ(info->flags, 02102001u);
  EXPECT_FALSE(ParseFdInfo("pos:\t1\n").has_value());
}

TEST(PtraceTraceeMemory, FdInfoOfOurOwnDescriptor) {
  const int fd = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto info = ReadFdInfo(getpid(), fd);
  close(fd);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->flags & O_APPEND);
  EXPECT_TRUE(info->flags & O_CLOEXEC);  // 02000000: what exec drops
}

TEST(PtraceTraceeMemory, ReadsBytesStringsAndIovecs) {
  const char text[] = "some/path";
  EXPECT_EQ(ReadString(getpid(), reinterpret_cast<uint64_t>(text)), std::string("some/path"));
  EXPECT_EQ(ReadBytes(getpid(), reinterpret_cast<uint64_t>(text), 4), std::string("some"));
  char a[] = "ab", b[] = "cde";
  struct iovec iov[2] = {{a, 2}, {b, 3}};
  EXPECT_EQ(ReadIovecs(getpid(), reinterpret_cast<uint64_t>(iov), 2), std::string("abcde"));
  EXPECT_FALSE(ReadString(getpid(), 0).has_value());
  EXPECT_FALSE(ReadBytes(getpid(), 8, 16).has_value());  // unmapped
}

}  // namespace
}  // namespace crashlab::ptrace
