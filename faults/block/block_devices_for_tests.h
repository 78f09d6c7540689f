// Test support: whether this machine can run the block-level recorder, and
// a skip that says why when it cannot. With CRASHLAB_REQUIRE_BLOCK=1 in the
// environment (scripts/test sets it where it runs as root) the same test
// fails instead, so that a CI machine that lost its loop devices or FUSE
// does not pass by skipping.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "faults/block/file_system.h"

#define CRASHLAB_REQUIRE_BLOCK_RECORDER(fs, blockdev)                                             \
  do {                                                                                            \
    const ::crashlab::Status block_ok = ::crashlab::faults::CheckBlockRecorderRuns(fs, blockdev); \
    if (!block_ok.ok()) {                                                                         \
      const char* required = std::getenv("CRASHLAB_REQUIRE_BLOCK");                               \
      if (required != nullptr && std::string(required) == "1") {                                  \
        FAIL() << "CRASHLAB_REQUIRE_BLOCK=1, and " << block_ok.message();                         \
      }                                                                                           \
      GTEST_SKIP() << block_ok.message();                                                         \
    }                                                                                             \
  } while (0)
