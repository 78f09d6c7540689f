#include "engines/pagejournal/engine.h"

#include "engines/pagejournal/points.h"

namespace crashlab::pagejournal {
namespace {

Status NotOpen() { return Status::Error("no store open; send open first"); }

}  // namespace

std::vector<std::string> PagejournalEngine::Points() const {
  std::vector<std::string> names;
  for (const faults::Point* point : points::kAll) names.emplace_back(point->name);
  return names;
}

Status PagejournalEngine::Open(const std::string& dir) {
  if (store_) return Status::Error("a store is already open; send close first");
  Result<std::unique_ptr<Store>> store = Store::Open(dir, options_);
  if (!store.ok()) return Status::Error("open " + dir + ": " + store.status().message());
  store_ = std::move(*store);
  return Status::Ok();
}

Status PagejournalEngine::Commit(const std::vector<adapter::Op>& ops) {
  if (!store_) return NotOpen();
  return store_->Commit(ops);
}

Result<std::optional<std::string>> PagejournalEngine::Get(const std::string& key) {
  if (!store_) return NotOpen();
  return store_->Get(key);
}

Result<std::vector<std::pair<std::string, std::string>>> PagejournalEngine::Dump() {
  if (!store_) return NotOpen();
  return store_->Dump();
}

std::optional<Status> PagejournalEngine::Check() {
  if (!store_) return NotOpen();
  return store_->Check();
}

std::optional<Status> PagejournalEngine::Checkpoint() {
  if (!store_) return NotOpen();
  return store_->Flush();
}

Status PagejournalEngine::Close() {
  if (!store_) return Status::Ok();
  Status s = store_->Close();
  store_.reset();
  return s;
}

}  // namespace crashlab::pagejournal
