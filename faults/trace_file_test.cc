#include "faults/trace_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace crashlab::faults {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("crashlab-trace-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

Event Make(EventKind kind, uint32_t thread, uint64_t file) {
  Event e;
  e.kind = kind;
  e.thread = thread;
  e.file = file;
  e.flags = 0x5a;
  e.offset = 0x0102030405060708ull;
  e.length = 4096;
  e.path = "journal/0001";
  e.path2 = kind == EventKind::kRename || kind == EventKind::kLink ? "header.a" : "";
  e.data = kind == EventKind::kWrite || kind == EventKind::kMapWrite
               ? std::string("\0\x01\xff page bytes\n", 15)
               : "";
  e.name = kind == EventKind::kPoint   ? "journal.write:before"
           : kind == EventKind::kReply ? "ok"
                                       : "";
  return e;
}

Trace EveryKind() {
  Trace t;
  t.case_dir = "/tmp/case";
  for (int k = 1; k <= static_cast<int>(EventKind::kReply); ++k) {
    t.events.push_back(
        Make(static_cast<EventKind>(k), static_cast<uint32_t>(k % 3), static_cast<uint64_t>(k)));
    t.events.back().seq = t.events.size() - 1;
  }
  return t;
}

void ExpectSame(const Event& a, const Event& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.thread, b.thread);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.offset, b.offset);
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.path2, b.path2);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.name, b.name);
}

TEST(TraceFile, EveryEventKindRoundTrips) {
  const Trace t = EveryKind();
  const std::string path = TempPath("roundtrip");
  ASSERT_TRUE(WriteTraceFile(path, t).ok());
  Result<Trace> back = ReadTraceFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->version, 1u);
  EXPECT_EQ(back->case_dir, "/tmp/case");
  ASSERT_EQ(back->events.size(), t.events.size());
  for (std::size_t i = 0; i < t.events.size(); ++i) ExpectSame(back->events[i], t.events[i]);
}

TEST(TraceFile, TornLastRecordIsIgnoredAtEveryCut) {
  const Trace t = EveryKind();
  std::string whole = EncodeTraceHeader(t.case_dir);
  for (std::size_t i = 0; i + 1 < t.events.size(); ++i) whole += EncodeEvent(t.events[i]);
  const std::size_t before_last = whole.size();
  whole += EncodeEvent(t.events.back());
  for (std::size_t cut = before_last; cut < whole.size(); ++cut) {
    Result<Trace> back = ParseTrace(whole.substr(0, cut), "torn");
    ASSERT_TRUE(back.ok()) << "cut at " << cut << ": " << back.status().message();
    EXPECT_EQ(back->events.size(), t.events.size() - 1) << "cut at " << cut;
  }
  Result<Trace> full = ParseTrace(whole, "whole");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->events.size(), t.events.size());
}

TEST(TraceFile, UnknownKindIsSkippedAndSeqStaysDense) {
  Event unknown = Make(EventKind::kWrite, 0, 1);
  std::string bytes = EncodeTraceHeader("/d") + EncodeEvent(Make(EventKind::kOpen, 0, 1));
  std::string rec = EncodeEvent(unknown);
  rec[4] = static_cast<char>(200);  // the kind byte follows the u32 body length
  bytes += rec + EncodeEvent(Make(EventKind::kFsync, 0, 1));
  Result<Trace> back = ParseTrace(bytes, "unknown");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->events.size(), 2u);
  EXPECT_EQ(back->events[1].kind, EventKind::kFsync);
  EXPECT_EQ(back->events[1].seq, 1u);
}

TEST(TraceFile, BadMagicIsAnErrorNamingTheFile) {
  const std::string path = TempPath("badmagic");
  WriteBytes(path, "NOTATRACE-at-all-and-long-enough");
  Result<Trace> back = ReadTraceFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find(path), std::string::npos) << back.status().message();
  EXPECT_NE(back.status().message().find("magic"), std::string::npos);
}

TEST(TraceFile, NewerVersionIsAnErrorNamingTheFileAndTheFix) {
  std::string bytes = EncodeTraceHeader("/d");
  bytes[8] = 2;  // version u32 follows the 8-byte magic
  const std::string path = TempPath("newer");
  WriteBytes(path, bytes);
  Result<Trace> back = ReadTraceFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find(path), std::string::npos);
  EXPECT_NE(back.status().message().find("version 2"), std::string::npos)
      << back.status().message();
}

TEST(TraceFile, MissingFileIsAnErrorNamingIt) {
  Result<Trace> back = ReadTraceFile("/nonexistent/crashlab/trace");
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("/nonexistent/crashlab/trace"), std::string::npos);
}

TEST(TraceFile, OpenFlagsReadAsWords) {
  EXPECT_EQ(OpenFlagsText(kOpenCreated | kOpenDsync | kOpenDirect), "created|O_DIRECT|O_DSYNC");
  EXPECT_EQ(OpenFlagsText(0), "-");
}

}  // namespace
}  // namespace crashlab::faults
