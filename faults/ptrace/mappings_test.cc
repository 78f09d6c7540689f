// The shadow rule on a fake address space: a byte array the test stores
// into, read by the Reader as the recorder reads a tracee.
#include "faults/ptrace/mappings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace crashlab::ptrace {
namespace {

constexpr uint64_t kBase = 0x10000;

struct Fake {
  std::string memory = std::string(4 * 4096, '\0');  // at kBase
  uint64_t file_size = 4 * 4096;
  struct Page {
    uint64_t file, offset;
    std::string data;
  };
  std::vector<Page> pages;

  MappingSet::Tools Tools() {
    MappingSet::Tools t;
    t.read = [this](uint64_t addr, char* out, std::size_t len) {
      std::memcpy(out, memory.data() + (addr - kBase), len);
      return len;
    };
    t.size_of = [this](uint64_t) { return file_size; };
    t.changed = [this](uint64_t file, uint64_t offset, std::string_view page) {
      pages.push_back(Page{file, offset, std::string(page)});
    };
    return t;
  }
};

TEST(PtraceMappings, OnlyChangedPagesAreReportedOnce) {
  ASSERT_EQ(sysconf(_SC_PAGESIZE), 4096);
  Fake f;
  MappingSet m;
  m.Add(kBase, 4 * 4096, 5, 8192, f.Tools());
  f.memory[4096 + 1] = 'x';
  m.Flush(f.Tools());
  ASSERT_EQ(f.pages.size(), 1u);
  EXPECT_EQ(f.pages[0].file, 5u);
  EXPECT_EQ(f.pages[0].offset, 8192u + 4096);
  EXPECT_EQ(f.pages[0].data.size(), 4096u);
  EXPECT_EQ(f.pages[0].data[1], 'x');
  m.Flush(f.Tools());
  EXPECT_EQ(f.pages.size(), 1u);  // the shadow took the store
}

TEST(PtraceMappings, ATrackedMappingComparesTheListedPagesAndAWholeFlushCountsTheRest) {
  Fake f;
  MappingSet::Counts counts;
  std::vector<WriteTracker::Range> listed;  // what the "kernel" lists next
  MappingSet::Tools tools = f.Tools();
  tools.counts = &counts;
  tools.track = [](uint64_t, uint64_t) { return true; };
  tools.written = [&listed](uint64_t, uint64_t) {
    std::vector<WriteTracker::Range> out;
    out.swap(listed);
    return std::optional<std::vector<WriteTracker::Range>>(out);
  };
  MappingSet m;
  m.Add(kBase, 4 * 4096, 1, 0, tools);
  EXPECT_EQ(counts.tracked_mappings, 1u);
  f.memory[2 * 4096] = 'a';
  listed = {{kBase + 2 * 4096, 4096}};
  m.Flush(tools);
  ASSERT_EQ(f.pages.size(), 1u);
  EXPECT_EQ(f.pages[0].offset, 2u * 4096);
  EXPECT_EQ(counts.pages_compared, 1u);  // the listed page only

  // A store the listing left out: an ordinary flush trusts the list, a
  // whole one (at a sync) compares every page and counts what it found.
  f.memory[3 * 4096] = 'b';
  m.Flush(tools);
  EXPECT_EQ(f.pages.size(), 1u);
  m.Flush(tools, /*whole=*/true);
  ASSERT_EQ(f.pages.size(), 2u);
  EXPECT_EQ(f.pages[1].offset, 3u * 4096);
  EXPECT_EQ(counts.missed_by_tracking, 1u);

  // Untracked (a forked copy), every page is compared at every flush.
  m.Untrack();
  f.memory[0] = 'c';
  m.Flush(tools);
  ASSERT_EQ(f.pages.size(), 3u);
  EXPECT_EQ(counts.missed_by_tracking, 1u);
}

TEST(PtraceMappings, PagesPastTheEndOfTheFileAreClippedOrSkipped) {
  Fake f;
  f.file_size = 4096 + 100;
  MappingSet m;
  m.Add(kBase, 4 * 4096, 1, 0, f.Tools());
  f.memory[4096 + 5] = 'y';
  f.memory[3 * 4096] = 'z';  // past the end: never read
  m.Flush(f.Tools());
  ASSERT_EQ(f.pages.size(), 1u);
  EXPECT_EQ(f.pages[0].offset, 4096u);
  EXPECT_EQ(f.pages[0].data.size(), 100u);
}

TEST(PtraceMappings, WrittenBytesAreNotReportedAsStores) {
  Fake f;
  MappingSet m;
  m.Add(kBase, 4 * 4096, 1, 0, f.Tools());
  std::memcpy(f.memory.data() + 10, "pw", 2);  // what a pwrite put in the page cache
  m.Written(1, 10, "pw");
  m.Written(2, 20, "other file");
  m.Flush(f.Tools());
  EXPECT_TRUE(f.pages.empty());
}

TEST(PtraceMappings, RemoveFlushesAndKeepsBothSidesOfAHole) {
  Fake f;
  MappingSet m;
  m.Add(kBase, 4 * 4096, 1, 0, f.Tools());
  f.memory[4096] = 'a';
  m.Remove(kBase + 4096, 4096, f.Tools());
  ASSERT_EQ(f.pages.size(), 1u);
  EXPECT_FALSE(m.Intersects(kBase + 4096, 4096));
  EXPECT_TRUE(m.Intersects(kBase, 4096));
  EXPECT_TRUE(m.Intersects(kBase + 2 * 4096, 1));
  f.memory[3 * 4096] = 'b';
  m.Flush(f.Tools());
  ASSERT_EQ(f.pages.size(), 2u);
  EXPECT_EQ(f.pages[1].offset, 3u * 4096);  // the right part kept its file offset
}

TEST(PtraceMappings, CoveredNamesTheTracedPartsOfARange) {
  Fake f;
  MappingSet m;
  m.Add(kBase, 2 * 4096, 3, 4096, f.Tools());
  const auto ranges = m.Covered(kBase + 4096, 8 * 4096);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].file, 3u);
  EXPECT_EQ(ranges[0].offset, 2u * 4096);
  EXPECT_EQ(ranges[0].length, 4096u);
  EXPECT_TRUE(m.Covered(kBase + 2 * 4096, 4096).empty());
}

TEST(PtraceMappings, MoveKeepsTheShadowAndReadsTheNewTail) {
  Fake f;
  MappingSet m;
  m.Add(kBase, 4096, 1, 0, f.Tools());
  f.memory[2 * 4096 + 7] = 'n';  // already in the tail before the move
  m.Move(kBase, 4096, kBase + 2 * 4096 - 4096, 2 * 4096, f.Tools());
  m.Flush(f.Tools());
  EXPECT_TRUE(f.pages.empty());
  f.memory[4096 + 9] = 's';
  m.Flush(f.Tools());
  ASSERT_EQ(f.pages.size(), 1u);
  EXPECT_EQ(f.pages[0].offset, 0u);
}

}  // namespace
}  // namespace crashlab::ptrace
