#include "framework/engine/engine_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/personality.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "faults/temp_dir_for_tests.h"

namespace crashlab {
namespace {

TEST(EngineProcess, StartsEnginesWithoutAddressSpaceRandomization) {
  // The same seed must replay the same case: an engine that follows a
  // damaged pointer must meet the same addresses on every run.
  faults::TempDir dir;
  Result<std::unique_ptr<EngineProcess>> engine =
      EngineProcess::Start({"/bin/sh", "-c", "cat /proc/self/personality"}, dir.path() + "/log");
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  std::string line;
  ASSERT_EQ((*engine)->ReadLine(line, Millis(10000), 100), EngineProcess::Io::kOk);
  const unsigned long flags = std::strtoul(line.c_str(), nullptr, 16);
  EXPECT_NE(flags & ADDR_NO_RANDOMIZE, 0u) << line;
}

TEST(EngineProcess, AnEngineInheritsNoDescriptorTheControllerLeftOpenAcrossExec) {
  // A descriptor opened without O_CLOEXEC (as std::ifstream opens files)
  // while another thread starts an engine must not reach the engine: on a
  // mounted crash image it kept the image from unmounting.
  faults::TempDir dir;
  const std::string held = dir.path() + "/held";
  const int fd = open(held.c_str(), O_RDWR | O_CREAT, 0644);  // no O_CLOEXEC, on purpose
  ASSERT_GE(fd, 3);
  Result<std::unique_ptr<EngineProcess>> engine =
      EngineProcess::Start({"/bin/sh", "-c", "ls -l /proc/self/fd/ | grep -c " + held + " || true"},
                           dir.path() + "/log");
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  std::string line;
  ASSERT_EQ((*engine)->ReadLine(line, Millis(10000), 100), EngineProcess::Io::kOk);
  EXPECT_EQ(line, "0") << "the engine holds " << held;
  close(fd);
}

}  // namespace
}  // namespace crashlab
