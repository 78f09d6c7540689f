// Directory helpers for adapters over third-party engines: the engines sync
// their own files, but not the entries of directories an adapter creates.
#pragma once

#include <string>

#include "framework/base/status.h"

namespace crashlab::engines {

// fsyncs the directory `dir`, making the names in it durable.
[[nodiscard]] Status SyncDir(const std::string& dir);

// mkdir -p `dir`, syncing the parent of each directory it creates, so that a
// power loss cannot drop a directory (and the database in it) that an engine
// went on to make durable. Fails when `dir` exists but is not a directory.
[[nodiscard]] Status MakeDirsDurably(const std::string& dir);

}  // namespace crashlab::engines
