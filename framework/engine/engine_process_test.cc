#include "framework/engine/engine_process.h"

#include <gtest/gtest.h>
#include <sys/personality.h>

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

}  // namespace
}  // namespace crashlab
