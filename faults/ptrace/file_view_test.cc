// The recorder's view of a mapped file: it sees the stores another process
// makes through its own shared mapping, and a page the file lost to a
// truncation reads as gone instead of killing the recorder with SIGBUS.
#include "faults/ptrace/file_view.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "faults/ptrace/mappings.h"

namespace crashlab::ptrace {
namespace {

constexpr std::size_t kPage = 4096;

// A 4-page file and a shared writable mapping of it: the "tracee".
struct MappedFile {
  std::string path;
  int fd = -1;
  char* map = nullptr;

  MappedFile() {
    char name[] = "/tmp/crashlab-file-view-XXXXXX";
    fd = ::mkstemp(name);
    path = name;
    EXPECT_EQ(::ftruncate(fd, 4 * kPage), 0);
    map = static_cast<char*>(::mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    EXPECT_NE(map, MAP_FAILED);
  }
  ~MappedFile() {
    ::munmap(map, 4 * kPage);
    ::close(fd);
    ::unlink(path.c_str());
  }
};

TEST(PtraceFileView, SeesStoresThroughAnotherSharedMapping) {
  ASSERT_EQ(sysconf(_SC_PAGESIZE), static_cast<long>(kPage));
  MappedFile f;
  auto view = FileView::Open(f.path, kPage, 3 * kPage);
  ASSERT_NE(view, nullptr);
  EXPECT_TRUE(view->Covers(kPage, 3 * kPage));
  EXPECT_FALSE(view->Covers(0, kPage));
  const std::string shadow(kPage, '\0');
  std::string out(kPage, '\0');
  EXPECT_EQ(view->ComparePage(2 * kPage, shadow.data(), out.data(), kPage),
            FileView::PageState::kSame);
  f.map[2 * kPage + 7] = 'x';  // a store, no system call
  EXPECT_EQ(view->ComparePage(2 * kPage, shadow.data(), out.data(), kPage),
            FileView::PageState::kChanged);
  EXPECT_EQ(out[7], 'x');
  std::string copy(3 * kPage, '\0');
  EXPECT_EQ(view->Copy(kPage, copy.data(), copy.size()), copy.size());
  EXPECT_EQ(copy[kPage + 7], 'x');
}

TEST(PtraceFileView, APageTruncatedAwayIsGoneNotACrash) {
  MappedFile f;
  auto view = FileView::Open(f.path, 0, 4 * kPage);
  ASSERT_NE(view, nullptr);
  ASSERT_EQ(::ftruncate(f.fd, kPage + 10), 0);
  const std::string shadow(kPage, '\0');
  std::string out(kPage, '\0');
  EXPECT_EQ(view->ComparePage(kPage, shadow.data(), out.data(), kPage),
            FileView::PageState::kSame);  // the last page, partly past the end: zeros
  EXPECT_EQ(view->ComparePage(2 * kPage, shadow.data(), out.data(), kPage),
            FileView::PageState::kGone);
  std::string copy(4 * kPage, '\0');
  EXPECT_EQ(view->Copy(0, copy.data(), copy.size()), 2 * kPage);  // a short read
  // The guard is re-armed for the next access: a second fault is caught too.
  EXPECT_EQ(view->ComparePage(3 * kPage, shadow.data(), out.data(), kPage),
            FileView::PageState::kGone);
}

TEST(PtraceFileView, AFileThatCannotBeOpenedGivesNoView) {
  EXPECT_EQ(FileView::Open("/nonexistent/crashlab-file-view", 0, kPage), nullptr);
  MappedFile f;
  EXPECT_EQ(FileView::Open(f.path, 100, kPage), nullptr);  // not page-aligned, as mmap refuses
}

// The mapping set through a view: pages are compared in the file, the
// tracee's memory is never read, and a munmap's parts keep comparing.
TEST(PtraceFileView, MappingSetDiffsThroughTheViewWithoutReadingTheTracee) {
  MappedFile f;
  struct Page {
    uint64_t offset;
    std::string data;
  };
  std::vector<Page> pages;
  int tracee_reads = 0;
  MappingSet::Tools tools;
  tools.read = [&](uint64_t, char*, std::size_t) {
    ++tracee_reads;
    return std::size_t{0};
  };
  tools.size_of = [](uint64_t) { return 4 * kPage; };
  tools.changed = [&](uint64_t, uint64_t offset, std::string_view page) {
    pages.push_back(Page{offset, std::string(page)});
  };
  const uint64_t addr = 0x40000000;
  MappingSet m;
  m.Add(addr, 4 * kPage, 3, 0, tools, FileView::Open(f.path, 0, 4 * kPage));
  f.map[5] = 'a';
  f.map[3 * kPage] = 'b';
  m.Flush(tools);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].offset, 0u);
  EXPECT_EQ(pages[0].data[5], 'a');
  EXPECT_EQ(pages[1].offset, 3 * kPage);
  m.Flush(tools);
  EXPECT_EQ(pages.size(), 2u);           // the shadow took the stores
  m.Remove(addr + kPage, kPage, tools);  // a hole: two parts on one view
  f.map[2 * kPage + 1] = 'c';
  m.Flush(tools);
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[2].offset, 2 * kPage);
  EXPECT_EQ(tracee_reads, 0);
}

}  // namespace
}  // namespace crashlab::ptrace
