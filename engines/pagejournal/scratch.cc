#include "engines/pagejournal/scratch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engines/pagejournal/endian.h"

namespace crashlab::pagejournal {
namespace {

constexpr uint64_t kSlotMagic = 0x00315453434A50ull;  // "PJCST1\0"
constexpr char kNamed[] = "scratch";
constexpr char kTemporary[] = "scratch.tmp";
constexpr std::size_t kMinSlots = 64;

}  // namespace

Scratch::Scratch(std::string path, uint32_t page_size, bool named, Fd fd)
    : path_(std::move(path)),
      page_size_(page_size),
      tag_bytes_(named ? kTagBytes : 0),
      stride_(page_size + (named ? kTagBytes : 0)),
      fd_(std::move(fd)) {}

Result<std::unique_ptr<Scratch>> Scratch::Create(const std::string& dir, uint32_t page_size,
                                                 bool named) {
  const std::string path = dir + "/" + (named ? kNamed : kTemporary);
  Result<Fd> fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (!fd.ok()) return fd.status();
  // Temporary: the open mapping keeps the file alive; nothing after a crash
  // can read it. No sync: its name needs no durability.
  if (!named) {
    if (Status s = RemoveIfExists(path); !s.ok()) return s;
  }
  std::unique_ptr<Scratch> scratch(new Scratch(path, page_size, named, std::move(*fd)));
  if (Status s = scratch->Grow(kMinSlots); !s.ok()) return s;
  return scratch;
}

Scratch::~Scratch() {
  if (map_ != nullptr) ::munmap(map_, capacity_ * stride_);
}

Status Scratch::Grow(std::size_t capacity) {
  if (::ftruncate(fd_.get(), static_cast<off_t>(capacity * stride_)) != 0)
    return ErrnoError("cannot grow scratch file", path_, errno);
  void* p = ::mmap(nullptr, capacity * stride_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) return ErrnoError("cannot map scratch file", path_, errno);
  if (map_ != nullptr) ::munmap(map_, capacity_ * stride_);
  map_ = static_cast<uint8_t*>(p);
  // New slots go on the free stack so that the lowest is taken first.
  std::vector<Slot> added;
  for (std::size_t s = capacity; s > capacity_; --s) added.push_back(static_cast<Slot>(s - 1));
  free_.insert(free_.begin(), added.begin(), added.end());
  capacity_ = capacity;
  return Status::Ok();
}

Status Scratch::Reserve(std::size_t n) {
  if (free_.size() >= n) return Status::Ok();
  std::size_t capacity = std::max(capacity_, kMinSlots);
  while (capacity - used() < n) capacity *= 2;
  return Grow(capacity);
}

Slot Scratch::Take() {
  const Slot slot = free_.back();
  free_.pop_back();
  return slot;
}

void Scratch::Release(Slot slot) { free_.push_back(slot); }

bool Scratch::IsFree(Slot slot) const {
  return std::find(free_.begin(), free_.end(), slot) != free_.end();
}

void Scratch::Tag(Slot slot, PageNo page, uint64_t txn, PageNo page_count) {
  if (tag_bytes_ == 0) return;
  uint8_t* tag = map_ + slot * stride_;
  Store64(tag, kSlotMagic);
  Store64(tag + 8, page);
  Store64(tag + 16, txn);
  Store64(tag + 24, page_count);
}

Result<std::vector<ScratchSlot>> Scratch::ReadTagged(const std::string& dir, uint32_t page_size,
                                                     uint64_t after_txn) {
  const std::string path = dir + "/" + kNamed;
  std::vector<ScratchSlot> slots;
  if (!PathExists(path)) return slots;
  Result<Fd> fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  const std::size_t stride = page_size + kTagBytes;
  std::vector<uint8_t> buffer(stride);
  for (uint64_t offset = 0;; offset += stride) {
    Result<std::size_t> n = ReadAt(fd->get(), buffer.data(), stride, offset, path);
    if (!n.ok()) return n.status();
    if (*n < stride) break;
    if (Load64(buffer.data()) != kSlotMagic) continue;
    ScratchSlot slot;
    slot.page = Load64(buffer.data() + 8);
    slot.txn = Load64(buffer.data() + 16);
    slot.page_count = Load64(buffer.data() + 24);
    if (slot.txn <= after_txn || slot.page >= slot.page_count) continue;
    slot.bytes.assign(buffer.begin() + kTagBytes, buffer.end());
    slots.push_back(std::move(slot));
  }
  std::stable_sort(slots.begin(), slots.end(),
                   [](const ScratchSlot& a, const ScratchSlot& b) { return a.txn < b.txn; });
  return slots;
}

}  // namespace crashlab::pagejournal
