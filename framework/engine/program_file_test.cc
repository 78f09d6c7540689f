#include "framework/engine/program_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "faults/temp_dir_for_tests.h"
#include "framework/engine/recorder.h"

namespace crashlab {
namespace {

using faults::TempDir;

void Put(std::string& out, std::size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
}

// A 64-bit little-endian ELF file with one program header of `segment`
// type (3: PT_INTERP, 1: PT_LOAD) and sections named `sections` (the last
// one is the section-name table).
std::string Elf(uint32_t segment, const std::vector<std::string>& sections) {
  std::string names(1, '\0');
  std::vector<std::size_t> name_at;
  for (const std::string& s : sections) {
    name_at.push_back(names.size());
    names += s + '\0';
  }
  name_at.push_back(names.size());
  names += std::string(".shstrtab") + '\0';
  const std::size_t phoff = 64, names_at = phoff + 56, shoff = names_at + names.size();
  const std::size_t shnum = sections.size() + 1;
  std::string elf(shoff + 64 * shnum, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[4] = 2;          // ELFCLASS64
  elf[5] = 1;          // little-endian
  elf[6] = 1;          // EV_CURRENT
  Put(elf, 16, 2, 2);  // ET_EXEC
  Put(elf, 32, phoff, 8);
  Put(elf, 40, shoff, 8);
  Put(elf, 54, 56, 2);
  Put(elf, 56, 1, 2);
  Put(elf, 58, 64, 2);
  Put(elf, 60, shnum, 2);
  Put(elf, 62, shnum - 1, 2);
  Put(elf, phoff, segment, 4);
  elf.replace(names_at, names.size(), names);
  for (std::size_t i = 0; i < shnum; ++i) {
    Put(elf, shoff + 64 * i, name_at[i], 4);
    if (i == shnum - 1) {
      Put(elf, shoff + 64 * i + 24, names_at, 8);
      Put(elf, shoff + 64 * i + 32, names.size(), 8);
    }
  }
  return elf;
}

std::string Executable(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  chmod(path.c_str(), 0755);
  return path;
}

TEST(ProgramFile, TellsStaticDynamicAndGoElfFilesApart) {
  TempDir dir;
  const std::string dynamic = Executable(dir, "dynamic", Elf(3, {".text"}));
  const std::string fixed = Executable(dir, "static", Elf(1, {".text"}));
  const std::string go = Executable(dir, "go", Elf(3, {".text", ".go.buildinfo"}));
  EXPECT_FALSE(IsStaticElf(dynamic));
  EXPECT_TRUE(IsStaticElf(fixed));
  EXPECT_FALSE(IsStaticElf(go));
  EXPECT_FALSE(IsGoElf(dynamic));
  EXPECT_FALSE(IsGoElf(fixed));
  EXPECT_TRUE(IsGoElf(go));
  const std::string script = Executable(dir, "script", "#!/bin/sh\necho\n");
  EXPECT_FALSE(IsStaticElf(script));
  EXPECT_FALSE(IsGoElf(script));
  EXPECT_FALSE(IsGoElf(dir.path() + "/missing"));
}

TEST(ProgramFile, ScriptInterpreterIsWhatExecveRuns) {
  TempDir dir;
  EXPECT_EQ(ScriptInterpreter(Executable(dir, "a", "#!/bin/sh -e\nexit 0\n")), "/bin/sh");
  EXPECT_EQ(ScriptInterpreter(Executable(dir, "b", "#! /usr/bin/env sh\n")), FindProgram("sh"));
  EXPECT_EQ(ScriptInterpreter(Executable(dir, "c", Elf(3, {".text"}))), "");
  EXPECT_EQ(ScriptInterpreter(Executable(dir, "d", "#!\n")), "");
}

TEST(Recorder, AutoPicksPtraceForWhatLdPreloadCannotReach) {
  TempDir dir;
  const std::string dynamic = Executable(dir, "dynamic", Elf(3, {".text"}));
  const std::string fixed = Executable(dir, "static", Elf(1, {".text"}));
  const std::string go = Executable(dir, "go", Elf(3, {".go.buildinfo"}));
  const std::string by_static = Executable(dir, "by-static", "#!" + fixed + "\n");
  EXPECT_EQ(ChooseRecorder(RecorderKind::kAuto, {dynamic, "--flag"}).kind, RecorderKind::kPreload);
  EXPECT_EQ(ChooseRecorder(RecorderKind::kAuto, {fixed}).kind, RecorderKind::kPtrace);
  EXPECT_NE(ChooseRecorder(RecorderKind::kAuto, {fixed}).why.find("statically linked"),
            std::string::npos);
  EXPECT_EQ(ChooseRecorder(RecorderKind::kAuto, {go}).kind, RecorderKind::kPtrace);
  EXPECT_NE(ChooseRecorder(RecorderKind::kAuto, {go}).why.find("Go"), std::string::npos);
  EXPECT_EQ(ChooseRecorder(RecorderKind::kAuto, {by_static}).kind, RecorderKind::kPtrace);
  // Asked for is asked for, whatever the program.
  EXPECT_EQ(ChooseRecorder(RecorderKind::kPreload, {fixed}).kind, RecorderKind::kPreload);
  EXPECT_EQ(ChooseRecorder(RecorderKind::kPtrace, {dynamic}).kind, RecorderKind::kPtrace);
}

TEST(Recorder, UnderEachRecorderTheEngineGetsTheTraceVariables) {
  Recorder r;
  r.preload_path = "/lib/pre.so";
  r.ptrace_path = "/bin/crashlab-ptrace";
  const RecordedCommand preload =
      UnderRecorder(r, RecorderKind::kPreload, {"engine", "-x"}, {"CRASHLAB_TRACE=/t"});
  EXPECT_EQ(preload.argv, (std::vector<std::string>{"engine", "-x"}));
  EXPECT_EQ(preload.env, (std::vector<std::string>{"LD_PRELOAD=/lib/pre.so", "CRASHLAB_TRACE=/t"}));
  const RecordedCommand ptrace =
      UnderRecorder(r, RecorderKind::kPtrace, {"engine", "-x"}, {"CRASHLAB_TRACE=/t"});
  EXPECT_EQ(ptrace.argv, (std::vector<std::string>{"/bin/crashlab-ptrace", "--", "engine", "-x"}));
  EXPECT_EQ(ptrace.env, (std::vector<std::string>{"CRASHLAB_TRACE=/t"}));
  EXPECT_EQ(RecorderFromName("ptrace"), RecorderKind::kPtrace);
  EXPECT_EQ(RecorderFromName("strace"), std::nullopt);
}

TEST(Recorder, AMissingRecorderSaysHowToBuildIt) {
  Recorder r;
  r.kind = RecorderKind::kPtrace;
  r.preload_path = "/nonexistent/pre.so";
  r.ptrace_path = "/nonexistent/crashlab-ptrace";
  const Status s = CheckRecorderRuns(r, RecorderKind::kPtrace);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--target crashlab_ptrace"), std::string::npos) << s.message();
  EXPECT_NE(CheckRecorderBuilt(r, RecorderKind::kPreload).message().find("--preload"),
            std::string::npos);
}

}  // namespace
}  // namespace crashlab
