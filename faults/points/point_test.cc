#include "faults/points/point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace crashlab::faults {
namespace {

constexpr Point kFirst{"test.first:before", "nothing"};
constexpr Point kSecond{"test.second:after", "nothing"};

// Runs `hits` hits of kSecond (after one kFirst) in a child armed with
// `spec`; returns the number of hits the child survived (127 if none armed).
int SurvivedHits(const char* spec, int hits) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // the point kills its own group, never the test runner
    setenv("CRASHLAB_KILL_AT", spec, 1);
    if (!ArmFromEnvironment()) _exit(2);
    CRASHLAB_POINT(kFirst);
    for (unsigned char i = 0; i < hits; ++i) {
      CRASHLAB_POINT(kSecond);
      if (write(pipe_fds[1], &i, 1) != 1) _exit(3);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  int survived = 0;
  unsigned char byte;
  while (read(pipe_fds[0], &byte, 1) == 1) ++survived;
  close(pipe_fds[0]);
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }
  return survived;
}

TEST(Point, KillsAtTheNthHitOfTheNamedPoint) {
  EXPECT_EQ(SurvivedHits("test.second:after:3", 5), 2);
  EXPECT_EQ(SurvivedHits("test.second:after:1", 5), 0);
}

TEST(Point, OtherPointsAndTooFewHitsDoNotKill) {
  EXPECT_EQ(SurvivedHits("test.other:before:1", 4), 4);
  EXPECT_EQ(SurvivedHits("test.second:after:9", 4), 4);
}

TEST(Point, UnarmedPointsCostNothingAndDoNothing) {
  unsetenv("CRASHLAB_KILL_AT");
  EXPECT_TRUE(ArmFromEnvironment());
  CRASHLAB_POINT(kFirst);
  EXPECT_FALSE(internal::armed.load());
}

TEST(Point, MalformedSpecIsRefused) {
  for (const char* bad : {"nocount", "name:0", "name:x", ":3"}) {
    setenv("CRASHLAB_KILL_AT", bad, 1);
    EXPECT_FALSE(ArmFromEnvironment()) << bad;
  }
  unsetenv("CRASHLAB_KILL_AT");
}

TEST(Point, UnderThePtraceRecorderEachHitWritesItsNameToThePointFd) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    unsetenv("CRASHLAB_KILL_AT");
    setenv("CRASHLAB_TRACE", "/nonexistent/trace", 1);  // a traced run arms every point
    setenv("CRASHLAB_POINT_FD", std::to_string(pipe_fds[1]).c_str(), 1);
    if (!ArmFromEnvironment()) _exit(2);
    CRASHLAB_POINT(kFirst);
    CRASHLAB_POINT(kSecond);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(got, "test.first:before\ntest.second:after\n");
}

}  // namespace
}  // namespace crashlab::faults
