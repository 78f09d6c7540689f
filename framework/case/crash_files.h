// The files of a crash state packed into one blob, for the results store:
// a failure found by a real kill (no trace rebuilds its state) keeps the
// directory the kill left, so that `crashlab repro` recovers those very
// bytes instead of running the workload again.
//
//   blob  := magic "CLFILES1" (8) | dir_count u64 | dir* | file_count u64 | file*
//   dir   := path_len u64 | path
//   file  := path_len u64 | path | size u64 | run_count u64 | run*
//   run   := offset u64 | length u64 | bytes (length of them)
//
// Every integer is little-endian; paths are relative and '/'-separated, in
// the order of faults::DirTree (sorted, each parent before its children).
// A file's runs, in order and apart, hold its bytes outside 4 KiB blocks of
// zeros (counted from its start, the last maybe short); the rest of its
// `size` bytes are zeros. A pagejournal journal is preallocated, 4 MiB of
// mostly zeros: packed whole it took 10 times longer to compress than the
// rest of a failure's record. A new layout takes a new magic.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "faults/persistence_model.h"
#include "framework/base/status.h"

namespace crashlab {

inline constexpr std::string_view kCrashFilesMagic = "CLFILES1";

// The most file content a kill case keeps, not counting 4 KiB blocks of
// zeros (NonZeroBytes): they cost nothing packed, and WriteDirTree writes
// them back as holes (a pagejournal case holds 0.3 to 0.5 MiB of data). A
// state with more is not kept, and its failure reproduces by rerunning the
// workload.
inline constexpr std::size_t kCrashFilesLimit = 4 << 20;
// A directory whose files hold more than this, zeros included, is not read
// at all (neither digested nor kept), which bounds a case's memory and time;
// a packed state over it is damaged.
inline constexpr std::size_t kCrashFilesReadLimit = 32 << 20;

// The bytes of `tree`'s files outside 4 KiB blocks of zeros (blocks counted
// from each file's start, the last one maybe short): what PackDirTree
// stores of them, and what kCrashFilesLimit bounds.
std::size_t NonZeroBytes(const faults::DirTree& tree);

// A crash state read from its directory: what a kill case records of it.
struct PackedCrashState {
  std::string digest;              // faults::DigestDirTree of its tree
  std::string packed;              // PackDirTree of its tree
  std::size_t non_zero_bytes = 0;  // NonZeroBytes of its tree
};

// Reads the tree under `dir` straight into its packed form and digest when
// its files hold at most `limit` bytes, zeros included, else nullopt (their
// sizes are listed before any is read): the same as packing and digesting
// what faults::ReadDirTree reads, without building that tree. Only the
// files' data is read (holes read as zeros), and only their non-zero
// blocks copied, so pagejournal's preallocated 4 MiB journal costs its
// records rather than 4 MiB (this runs after every kill case). The files
// must not change meanwhile: the engine that wrote them is dead. An absent
// `dir` reads as an empty tree. Errors: `dir` cannot be listed or a file
// read, or it holds a symbolic link or another special file.
[[nodiscard]] Result<std::optional<PackedCrashState>> PackDirectory(const std::string& dir,
                                                                    std::size_t limit);

// `tree` packed as above. Deterministic: equal trees give equal bytes.
std::string PackDirTree(const faults::DirTree& tree);

// The tree PackDirTree packed into `bytes`. Errors name `source` (e.g. "the
// crash files of failure 3 in crashlab.db") and say the database is damaged:
// another magic, a length past the end, bytes after the last file, a path
// that is absolute, empty, holds "." or ".." or NUL, repeats or comes out of
// order, or whose parent directory is not listed; a run out of order or
// past its file's end; files over kCrashFilesReadLimit bytes in all.
[[nodiscard]] Result<faults::DirTree> UnpackDirTree(std::string_view bytes,
                                                    const std::string& source);

}  // namespace crashlab
