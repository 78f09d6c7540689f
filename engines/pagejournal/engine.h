// pagejournal behind the engine protocol: adapter::Engine over Store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/adapter/adapter.h"
#include "engines/pagejournal/options.h"
#include "engines/pagejournal/store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

// Serve() calls it from one thread; the store's flusher is its own business.
class PagejournalEngine final : public adapter::Engine {
 public:
  explicit PagejournalEngine(Options options) : options_(std::move(options)) {}
  ~PagejournalEngine() override = default;

  std::string Name() const override { return "pagejournal"; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }
  // Every name in points.h.
  std::vector<std::string> Points() const override;

  // Opens (creating when absent) and recovers the store in `dir`. An error
  // names the directory; nothing stays open.
  Status Open(const std::string& dir) override;
  Status Commit(const std::vector<adapter::Op>& ops) override;
  Result<std::optional<std::string>> Get(const std::string& key) override;
  Result<std::vector<std::pair<std::string, std::string>>> Dump() override;
  // KvIndex::Check and the store's structural checks.
  std::optional<Status> Check() override;
  // A synchronous flush: data file synced, checkpoint written, journals
  // before it recycled.
  std::optional<Status> Checkpoint() override;
  // Stops the flusher, flushes, unmaps and closes; Open may follow.
  Status Close() override;

 private:
  const Options options_;
  std::unique_ptr<Store> store_;
};

}  // namespace crashlab::pagejournal
