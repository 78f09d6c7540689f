// A small helper for engine adapters written in C++: implement Engine and call
// Serve() from main(). It speaks engine protocol v1 (docs/engine-protocol.md) on
// stdin/stdout, decodes and validates every request, and turns each Status into
// the matching reply. Adapters in other languages follow the document instead.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/base/status.h"
#include "framework/protocol/protocol.h"

namespace crashlab::adapter {

using Op = protocol::Op;

// One storage engine behind the protocol. Serve() calls these from one thread,
// one request at a time, and never calls Commit/Get/Dump/Check/Checkpoint
// before a successful Open.
class Engine {
 public:
  virtual ~Engine() = default;

  // Name and capabilities announced in the reply to `hello`. Serve() adds the
  // `points` capability itself when Points() is not empty.
  virtual std::string Name() const = 0;
  virtual std::vector<std::string> Capabilities() const { return {}; }
  // The names of the engine's named fault points (faults/points/point.h), which the
  // controller may ask to crash at: `crashlab run --point`.
  virtual std::vector<std::string> Points() const { return {}; }

  // Opens (creating when absent) the database in `dir`; recovery happens here.
  virtual Status Open(const std::string& dir) = 0;
  // Commits `ops` atomically. Returning ok means committed as the variant's
  // contract promises: Serve() acknowledges only after this returns.
  virtual Status Commit(const std::vector<Op>& ops) = 0;
  // The value of `key`, nullopt when absent.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
  // Every key and its value, in any order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Dump() = 0;
  // The engine's own consistency check; nullopt means unsupported.
  virtual std::optional<Status> Check() { return std::nullopt; }
  // Forces a checkpoint; nullopt means unsupported.
  virtual std::optional<Status> Checkpoint() { return std::nullopt; }
  // Closes the database; Open may be called again afterwards.
  virtual Status Close() = 0;
};

// Serves requests from `in` until it ends; after `close`, `open` may come again.
// Returns the process exit status: 0 at end of input, 1 if
// the output could not be written.
int Serve(Engine& engine, std::FILE* in, std::FILE* out);

}  // namespace crashlab::adapter
