#include "faults/fast_digest.h"

#include <cstring>

namespace crashlab::faults {
namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;

uint64_t Mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * kMul;
  return h ^ (h >> 29);
}

uint64_t Load(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

}  // namespace

uint64_t ContentDigest(std::string_view bytes) {
  uint64_t lane[4] = {0x452821E638D01377ULL, 0xBE5466CF34E90C6CULL, 0xC0AC29B7C97C50DDULL,
                      0x3F84D5B5B5470917ULL};
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n >= 32; p += 32, n -= 32) {
    for (int l = 0; l < 4; ++l) lane[l] = Mix(lane[l], Load(p + 8 * l));
  }
  uint64_t h = Mix(Mix(lane[0], lane[1]), Mix(lane[2], lane[3]));
  for (; n >= 8; p += 8, n -= 8) h = Mix(h, Load(p));
  uint64_t tail = 0;
  // An empty view may hold a null pointer, and memcpy from null is undefined
  // even for zero bytes.
  if (n > 0) std::memcpy(&tail, p, n);
  return Mix(Mix(h, tail), bytes.size());
}

void TreeDigest::AddDir(std::string_view path) { h_ = Mix(Mix(h_, 'd'), ContentDigest(path)); }

void TreeDigest::AddFile(std::string_view path, uint64_t content_digest) {
  h_ = Mix(Mix(Mix(h_, 'f'), ContentDigest(path)), content_digest);
}

uint64_t FastDigest(const DirTree& tree) {
  TreeDigest digest;
  for (const std::string& dir : tree.dirs) digest.AddDir(dir);
  for (const auto& [path, content] : tree.files) digest.AddFile(path, ContentDigest(content));
  return digest.value();
}

}  // namespace crashlab::faults
