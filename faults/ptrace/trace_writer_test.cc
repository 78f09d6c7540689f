// The recorder's encoder against the reader and writer in faults/: the same
// bytes for the same event, so the trace is the preload library's format.
#include "faults/ptrace/trace_writer.h"

#include <gtest/gtest.h>

#include "faults/trace_file.h"

namespace crashlab::ptrace {
namespace {

TEST(PtraceTraceWriter, RecordsAreByteForByteTheFormatTheReaderReads) {
  faults::Event e;
  e.kind = faults::EventKind::kRename;
  e.thread = 3;
  e.file = 42;
  e.flags = 1;
  e.offset = 1ull << 40;
  e.length = 7;
  e.path = "a";
  e.path2 = "dir/b";
  e.data = std::string("x\0y", 3);
  e.name = "n";
  Rec r;
  r.kind = e.kind;
  r.thread = e.thread;
  r.file = e.file;
  r.flags = e.flags;
  r.offset = e.offset;
  r.length = e.length;
  r.path = e.path;
  r.path2 = e.path2;
  r.data = e.data;
  r.name = e.name;
  EXPECT_EQ(EncodeRecord(r), faults::EncodeEvent(e));
  EXPECT_EQ(EncodeHeader("/case/dir"), faults::EncodeTraceHeader("/case/dir"));
  const Result<faults::Trace> back =
      faults::ParseTrace(EncodeHeader("/case/dir") + EncodeRecord(r), "test");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back.value().events.size(), 1u);
  EXPECT_EQ(back.value().events[0].path2, "dir/b");
  EXPECT_EQ(back.value().events[0].data, e.data);
}

}  // namespace
}  // namespace crashlab::ptrace
