// crashlab's own pseudo-random generator. A seed gives the same sequence on
// every platform and standard library: the core is xoshiro256** seeded through
// SplitMix64 (both by Blackman and Vigna, https://prng.di.unimi.it/), and
// bounded draws use Lemire's multiply-and-reject method, never the
// std::*_distribution types, whose output differs between implementations.
#pragma once

#include <cstdint>
#include <string>

namespace crashlab {

class Prng {
 public:
  explicit Prng(uint64_t seed);

  // A generator for one purpose of one case, independent of the others:
  // the same (seed, stream, index) always gives the same sequence.
  static Prng ForCase(uint64_t campaign_seed, uint64_t stream, uint64_t case_index);

  uint64_t Next();
  // Uniform in [0, bound); bound must be > 0.
  uint64_t Below(uint64_t bound);
  // Uniform in [lo, hi], inclusive; lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability numerator/denominator.
  bool Chance(uint64_t numerator, uint64_t denominator);
  // `n` bytes drawn from `alphabet` (all 256 byte values when empty).
  std::string Bytes(std::size_t n, const std::string& alphabet = "");

 private:
  uint64_t s_[4];
};

// Streams passed to Prng::ForCase; each decision of a case draws from its own.
inline constexpr uint64_t kWorkloadStream = 1;
inline constexpr uint64_t kCrashPlanStream = 2;
inline constexpr uint64_t kExploreStream = 3;  // index: the crash point

// Header-only, so that faults/ (the crash-state builder) can draw from the
// same generator without linking the framework library.

namespace prng_internal {

inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace prng_internal

inline Prng::Prng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = prng_internal::SplitMix64(state);
}

inline Prng Prng::ForCase(uint64_t campaign_seed, uint64_t stream, uint64_t case_index) {
  // Mixing each coordinate through SplitMix64 keeps nearby seeds, streams and
  // indices from giving correlated generators.
  uint64_t state = campaign_seed;
  uint64_t mixed = prng_internal::SplitMix64(state);
  state = mixed ^ stream;
  mixed = prng_internal::SplitMix64(state);
  state = mixed ^ case_index;
  return Prng(prng_internal::SplitMix64(state));
}

inline uint64_t Prng::Next() {
  const uint64_t result = prng_internal::RotateLeft(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = prng_internal::RotateLeft(s_[3], 45);
  return result;
}

inline uint64_t Prng::Below(uint64_t bound) {
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
  // word of x * bound is uniform once the biased low words are rejected.
  unsigned __int128 product = static_cast<unsigned __int128>(Next()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = -bound % bound;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(Next()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

inline int64_t Prng::Range(int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span + 1));
}

inline bool Prng::Chance(uint64_t numerator, uint64_t denominator) {
  return Below(denominator) < numerator;
}

inline std::string Prng::Bytes(std::size_t n, const std::string& alphabet) {
  std::string out(n, '\0');
  for (char& c : out) {
    c = alphabet.empty() ? static_cast<char>(Next() & 0xFF) : alphabet[Below(alphabet.size())];
  }
  return out;
}

}  // namespace crashlab
