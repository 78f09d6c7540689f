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

}  // namespace crashlab
