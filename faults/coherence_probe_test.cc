#include "faults/coherence_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "faults/temp_dir_for_tests.h"

namespace crashlab::faults {
namespace {

constexpr std::size_t kPage = 4096;

std::vector<uint8_t> Page(uint64_t offset, uint64_t pass) {
  std::vector<uint8_t> page(kPage);
  FillPattern(page.data(), page.size(), offset, pass);
  return page;
}

TEST(CoherencePattern, PageWithTheNewPassHoldsIt) {
  const std::vector<uint8_t> page = Page(3 * kPage, 7);
  EXPECT_TRUE(PageHoldsPass(page.data(), kPage, 3 * kPage, 7));
}

TEST(CoherencePattern, PageHoldingThePreviousPassIsStale) {
  // What a stale mapped read looks like after a rewrite: the bytes the same
  // offset held one pass earlier.
  const std::vector<uint8_t> old_page = Page(3 * kPage, 6);
  EXPECT_FALSE(PageHoldsPass(old_page.data(), kPage, 3 * kPage, 7));
  uint64_t word;
  std::memcpy(&word, old_page.data(), 8);
  EXPECT_EQ(PassOfWord(word, 3 * kPage), 6);
}

TEST(CoherencePattern, PreallocatedZeroPageIsStale) {
  const std::vector<uint8_t> zeros(kPage, 0);
  EXPECT_FALSE(PageHoldsPass(zeros.data(), kPage, 0, 0));
  EXPECT_EQ(PassOfWord(0, 0), -1);
}

TEST(CoherencePattern, PageStaleInItsLastWordOnlyIsStale) {
  // A page whose first part is new but whose tail is old must still be flagged.
  std::vector<uint8_t> page = Page(kPage, 2);
  const std::vector<uint8_t> old_page = Page(kPage, 1);
  std::memcpy(page.data() + kPage - 8, old_page.data() + kPage - 8, 8);
  EXPECT_FALSE(PageHoldsPass(page.data(), kPage, kPage, 2));
}

TEST(CoherencePattern, PageFromAnotherOffsetIsStale) {
  const std::vector<uint8_t> page = Page(5 * kPage, 2);
  EXPECT_FALSE(PageHoldsPass(page.data(), kPage, 4 * kPage, 2));
  uint64_t word;
  std::memcpy(&word, page.data(), 8);
  EXPECT_EQ(PassOfWord(word, 4 * kPage), -1);
}

TEST(CoherenceProbe, ShortRunWritesChecksPagesAndReportsThePlatform) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  CoherenceOptions options;
  options.directory = dir.path();
  options.file_bytes = 4 << 20;  // small, so the run makes several passes
  options.duration = std::chrono::milliseconds(500);
  options.readers = 2;
  Result<CoherenceResult> r = RunCoherenceProbe(options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->writes, 0u);
  EXPECT_EQ(r->pages_checked, r->writes * 3);  // 12 KiB writes, 4 KiB pages
  EXPECT_LE(r->stale_pages, r->pages_checked);
  EXPECT_LE(r->first_stale.size(), std::min<uint64_t>(r->stale_pages, kMaxStaleReported));
  EXPECT_TRUE(r->mode == WriteMode::kDirectDsync || r->mode == WriteMode::kDsync);
  EXPECT_NE(r->kernel.find(' '), std::string::npos) << r->kernel;
  EXPECT_NE(r->fs_type, "unknown");
  EXPECT_EQ(r->file_bytes, (4u << 20) / (3 * kPage) * (3 * kPage));
  EXPECT_GT(r->elapsed_seconds, 0.4);
  // The probe file is gone.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(CoherenceProbe, WriteCountLimitStopsTheRun) {
  TempDir dir;
  CoherenceOptions options;
  options.directory = dir.path();
  options.file_bytes = 1 << 20;
  options.duration = std::chrono::milliseconds(0);
  options.max_writes = 100;  // more than one pass over 85 blocks
  options.readers = 0;
  Result<CoherenceResult> r = RunCoherenceProbe(options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->writes, 100u);
  EXPECT_EQ(r->passes, 2u);
  EXPECT_EQ(r->pages_checked, 300u);
}

TEST(CoherenceProbe, MissingDirectoryIsAnErrorNamingIt) {
  CoherenceOptions options;
  options.directory = "/nonexistent/crashlab-coherence-dir";
  Result<CoherenceResult> r = RunCoherenceProbe(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/crashlab-coherence-dir"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("--dir"), std::string::npos) << r.status().message();
}

TEST(CoherenceProbe, WriteSizeNotAPageMultipleIsAnError) {
  TempDir dir;
  CoherenceOptions options;
  options.directory = dir.path();
  options.write_bytes = 5000;
  Result<CoherenceResult> r = RunCoherenceProbe(options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("5000"), std::string::npos) << r.status().message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace crashlab::faults
