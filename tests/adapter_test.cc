// The C++ adapter helper (engines/adapter/) driven by hand through the fake
// engine's stdin, as an engine's author would test their adapter.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

// Feeds `input` to the fake engine (correct mode) and returns its stdout.
std::string Converse(const std::string& input) {
  const std::string engine =
      (std::filesystem::path(CRASHLAB_FAKE_ENGINE).parent_path() / "crashlab-fake-engine").string();
  TempDir dir;
  {
    std::FILE* f = std::fopen((dir / "in").c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  const std::string command = engine + " --mode=correct < " + (dir / "in") + " > " + (dir / "out");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return ReadFile(dir / "out");
}

TEST(Adapter, TransactionCutOffMidLineIsNeverCommitted) {
  TempDir db;
  Converse("hello\nopen " + db.path() + "\ntxn 1\nput a 1\ntxn 2\nput b 2\nput c tru");
  EXPECT_EQ(Converse("open " + db.path() + "\ndump\n"), "ok\nkv a 1\nend\n");
}

TEST(Adapter, EmptyValuesAndEscapedBytesRoundTrip) {
  TempDir db;
  const std::string out =
      Converse("open " + db.path() + "\ntxn 2\nput k%00%20x \nput %25 v%0A\nget k%00%20x\ndump\n");
  EXPECT_EQ(out, "ok\nok\nval \nkv %25 v%0A\nkv k%00%20x \nend\n");
}

TEST(Adapter, MalformedOperationRefusesTheWholeTransactionAndKeepsFraming) {
  TempDir db;
  const std::string out = Converse("open " + db.path() + "\ntxn 2\nput a 1\nfrob b\nget a\ndump\n");
  EXPECT_EQ(out.substr(0, 3), "ok\n");
  EXPECT_NE(out.find("err operation 2"), std::string::npos) << out;
  EXPECT_NE(out.find("none\nend\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace crashlab::e2e
