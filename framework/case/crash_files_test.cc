#include "framework/case/crash_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "faults/crash_state.h"

namespace crashlab {
namespace {

using faults::DirTree;

const std::string kSource = "the crash files of failure 7 in test.db";

DirTree Sample() {
  DirTree tree;
  tree.dirs = {"a", "a/b", "a/b/c", "z"};
  tree.files["top"] = "top-level file";
  tree.files["empty"] = "";
  tree.files["a/b/c/deep"] = std::string("\0\x01\xff binary\n", 12);
  tree.files["a/\x01\xfe name"] = std::string(70000, '\0') + "tail";
  return tree;
}

TEST(CrashFiles, RoundTripKeepsEmptyFilesNestedDirsAndBinaryNamesAndContent) {
  const DirTree tree = Sample();
  const std::string packed = PackDirTree(tree);
  EXPECT_EQ(packed.substr(0, 8), "CLFILES1");
  Result<DirTree> back = UnpackDirTree(packed, kSource);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, tree);
  EXPECT_EQ(back->files.at("empty"), "");
  EXPECT_EQ(back->files.at("a/b/c/deep").size(), 12u);
}

TEST(CrashFiles, EmptyTreeRoundTrips) {
  Result<DirTree> back = UnpackDirTree(PackDirTree(DirTree{}), kSource);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, DirTree{});
}

TEST(CrashFiles, PackingIsDeterministic) {
  EXPECT_EQ(PackDirTree(Sample()), PackDirTree(Sample()));
}

// Blocks of zeros are free in the store (compressed) and in a replay
// (holes), so the bound counts only the others.
TEST(CrashFiles, NonZeroBytesSkipsWholeBlocksOfZerosOnly) {
  DirTree tree;
  tree.files["preallocated"] = std::string(4 << 20, '\0');
  EXPECT_EQ(NonZeroBytes(tree), 0u);
  tree.files["preallocated"][5000] = 'x';  // dirties the second block
  tree.files["short"] = std::string(10, '\0') + "y";
  tree.files["empty"] = "";
  EXPECT_EQ(NonZeroBytes(tree), 4096u + 11u);
}

// A directory for one test, removed when the test ends.
struct ScratchDir {
  std::string path =
      (std::filesystem::temp_directory_path() / ("crash-files-test-" + std::to_string(getpid())))
          .string();
  ScratchDir() { std::filesystem::remove_all(path); }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

TEST(CrashFiles, PackDirectoryPacksAndDigestsWhatReadDirTreeReads) {
  ScratchDir scratch;
  const std::string dir = scratch.path + "/data";
  ASSERT_TRUE(faults::WriteDirTree(Sample(), dir).ok());
  for (const std::string& given : {dir, dir + "/"}) {
    Result<std::optional<PackedCrashState>> state = PackDirectory(given, kCrashFilesReadLimit);
    ASSERT_TRUE(state.ok()) << state.status().message();
    ASSERT_TRUE(state->has_value()) << given;
    EXPECT_EQ((*state)->packed, PackDirTree(Sample())) << given;
    EXPECT_EQ((*state)->digest, faults::DigestDirTree(*faults::ReadDirTree(dir))) << given;
    EXPECT_EQ((*state)->digest, faults::DigestDirTree(Sample())) << given;
    EXPECT_EQ((*state)->non_zero_bytes, NonZeroBytes(Sample())) << given;
  }
}

TEST(CrashFiles, PackDirectoryOverTheLimitReadsNothing) {
  ScratchDir scratch;
  ASSERT_TRUE(faults::WriteDirTree(Sample(), scratch.path).ok());
  std::size_t bytes = 0;
  for (const auto& [path, content] : Sample().files) bytes += content.size();
  Result<std::optional<PackedCrashState>> at_limit = PackDirectory(scratch.path, bytes);
  ASSERT_TRUE(at_limit.ok() && at_limit->has_value());
  Result<std::optional<PackedCrashState>> over = PackDirectory(scratch.path, bytes - 1);
  ASSERT_TRUE(over.ok()) << over.status().message();
  EXPECT_FALSE(over->has_value());
}

TEST(CrashFiles, PackDirectoryOfAnAbsentDirIsEmptyAndOfASymlinkAnError) {
  ScratchDir scratch;
  Result<std::optional<PackedCrashState>> absent = PackDirectory(scratch.path + "/none", 100);
  ASSERT_TRUE(absent.ok() && absent->has_value());
  EXPECT_EQ((*absent)->packed, PackDirTree(DirTree{}));
  EXPECT_EQ((*absent)->digest, faults::DigestDirTree(DirTree{}));
  std::filesystem::create_directories(scratch.path);
  std::filesystem::create_symlink("/etc/hostname", scratch.path + "/link");
  Result<std::optional<PackedCrashState>> linked = PackDirectory(scratch.path, 100);
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.status().message().find("link"), std::string::npos) << linked.status().message();
}

void ExpectDamaged(std::string_view bytes, const std::string& what) {
  Result<DirTree> r = UnpackDirTree(bytes, kSource);
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_NE(r.status().message().find(kSource), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("database is damaged"), std::string::npos)
      << r.status().message();
}

TEST(CrashFiles, EveryTruncationIsAnErrorNamingTheSource) {
  const std::string packed = PackDirTree(Sample());
  ASSERT_LT(packed.size(), 10000u);  // the big file's zeros are not packed
  for (std::size_t n = 0; n < packed.size(); ++n) {
    ExpectDamaged(std::string_view(packed).substr(0, n), "cut at " + std::to_string(n));
  }
}

TEST(CrashFiles, WrongMagicOrTrailingBytesIsAnError) {
  std::string packed = PackDirTree(Sample());
  ExpectDamaged("", "empty blob");
  ExpectDamaged(std::string("CLFILES2") + packed.substr(8), "another version");
  ExpectDamaged("CLZ1 compressed, not unpacked", "a compressed blob");
  ExpectDamaged(packed + "x", "a byte after the last file");
}

// A blob written by hand: the magic, no directories, one file "f" of `size`
// bytes with `runs` as (offset, bytes).
std::string OneFileBlob(uint64_t size, const std::vector<std::pair<uint64_t, std::string>>& runs) {
  std::string out(kCrashFilesMagic);
  auto put = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
  };
  put(0);
  put(1);
  put(1);
  out += "f";
  put(size);
  put(runs.size());
  for (const auto& [offset, bytes] : runs) {
    put(offset);
    put(bytes.size());
    out += bytes;
  }
  return out;
}

TEST(CrashFiles, SparseFilesPackOnlyTheirNonZeroBlocks) {
  DirTree tree;
  tree.files["journal"] = std::string(4 << 20, '\0');
  tree.files["journal"][3 << 20] = 'x';
  tree.files["journal"].back() = 'y';
  const std::string packed = PackDirTree(tree);
  EXPECT_LT(packed.size(), 2 * 4096u + 200);
  Result<DirTree> back = UnpackDirTree(packed, kSource);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, tree);

  Result<DirTree> by_hand = UnpackDirTree(OneFileBlob(10, {{2, "ab"}, {4, "cd"}}), kSource);
  ASSERT_TRUE(by_hand.ok()) << by_hand.status().message();
  EXPECT_EQ(by_hand->files.at("f"), std::string("\0\0abcd\0\0\0\0", 10));
}

TEST(CrashFiles, RunsOutOfOrderOrPastTheFileAndHugeSizesAreErrors) {
  ASSERT_TRUE(UnpackDirTree(OneFileBlob(10, {{8, "ab"}}), kSource).ok());
  ExpectDamaged(OneFileBlob(10, {{9, "ab"}}), "a run past the file's end");
  ExpectDamaged(OneFileBlob(10, {{~uint64_t{0}, "ab"}}), "a run at an offset that wraps");
  ExpectDamaged(OneFileBlob(10, {{4, "ab"}, {2, "cd"}}), "runs out of order");
  ExpectDamaged(OneFileBlob(10, {{4, "abc"}, {6, "d"}}), "overlapping runs");
  ExpectDamaged(OneFileBlob(10, {{4, ""}}), "an empty run");
  ExpectDamaged(OneFileBlob(uint64_t{1} << 60, {}), "a size no state has");
}

// A path that would write outside the directory, or that the tree could not
// hold, is refused rather than written.
TEST(CrashFiles, PathsOutsideTheDirectoryOrOutOfOrderAreErrors) {
  const std::vector<std::string> bad_paths = {
      "/etc/passwd", "../up", "a/../../up", "a//b", "./a", "a/", std::string("nul\0byte", 8), ""};
  for (const std::string& bad : bad_paths) {
    DirTree tree;
    tree.dirs = {"a"};
    tree.files[bad] = "x";
    ExpectDamaged(PackDirTree(tree), "path '" + bad + "'");
  }
  DirTree orphan;
  orphan.files["missing/file"] = "x";
  ExpectDamaged(PackDirTree(orphan), "a file whose directory is not listed");
  DirTree both;
  both.dirs = {"same"};
  both.files["same"] = "x";
  ExpectDamaged(PackDirTree(both), "a path that is both");

  // Two files in reverse order: swap them in the packed bytes.
  DirTree two;
  two.files["b"] = "2";
  two.files["c"] = "3";
  std::string packed = PackDirTree(two);
  const std::size_t b = packed.find('b'), c = packed.find('c', b);
  std::swap(packed[b], packed[c]);
  ExpectDamaged(packed, "files out of order");
}

}  // namespace
}  // namespace crashlab
