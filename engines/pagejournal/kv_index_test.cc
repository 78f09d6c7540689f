#include "engines/pagejournal/kv_index.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engines/pagejournal/memory_page_store.h"
#include "engines/pagejournal/page_format.h"
#include "framework/base/prng.h"

namespace crashlab::pagejournal {
namespace {

constexpr uint32_t kBuckets = 4;

// Every test runs on 1 KiB pages (the smallest allowed, where long keys and
// values stress the limits) and on 4 KiB pages.
class KvIndexTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  void SetUp() override {
    Status s = KvIndex::Format(store_, kBuckets);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  std::size_t page_size() const { return GetParam(); }

  void Put(std::string_view key, std::string_view value) {
    Status s = KvIndex::Put(store_, key, value);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void Delete(std::string_view key) {
    Status s = KvIndex::Delete(store_, key);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // The value of `key`, or "<absent>"; a failed Get fails the test.
  std::string Get(std::string_view key) {
    Result<std::optional<std::string>> value = KvIndex::Get(store_, key);
    EXPECT_TRUE(value.ok()) << value.status().message();
    if (!value.ok() || !value->has_value()) return "<absent>";
    return **value;
  }
  std::map<std::string, std::string> Dump() {
    std::map<std::string, std::string> out;
    Status s = KvIndex::ForEach(store_, [&](std::string_view k, std::string_view v) {
      EXPECT_TRUE(out.emplace(k, v).second) << "ForEach visited a key twice";
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  void ExpectCheckPasses() {
    Status s = KvIndex::Check(store_);
    EXPECT_TRUE(s.ok()) << s.message();
  }
  // Check's error; fails the test when Check passes or does not mention
  // every one of `words`.
  void ExpectCheckFails(const std::vector<std::string>& words) {
    Status s = KvIndex::Check(store_);
    ASSERT_FALSE(s.ok()) << "Check passed a damaged store";
    for (const std::string& w : words) {
      EXPECT_NE(s.message().find(w), std::string::npos) << "'" << w << "' not in: " << s.message();
    }
  }
  std::vector<std::string> Snapshot() {
    std::vector<std::string> pages;
    for (PageNo n = 0; n < store_.page_count(); ++n) {
      pages.emplace_back(reinterpret_cast<const char*>(store_.Read(n)), page_size());
    }
    return pages;
  }
  uint64_t MetaField(std::size_t offset) { return format::Load64(store_.Read(0) + offset); }
  // The entry of `key` in the first page of its bucket chain.
  format::Entry EntryInHead(std::string_view key) {
    const PageNo head = format::BucketPageOf(key, kBuckets);
    Result<std::vector<format::Entry>> entries =
        format::DecodeBucketPage(store_.Read(head), page_size(), head);
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    for (const format::Entry& e : *entries) {
      if (e.key == key) return e;
    }
    ADD_FAILURE() << "key not in its bucket's head page";
    return {};
  }
  // A key "<prefix><i>" whose bucket head is `head`.
  static std::string KeyInBucket(PageNo head, const std::string& prefix = "k") {
    for (int i = 0;; ++i) {
      std::string key = prefix + std::to_string(i);
      if (format::BucketPageOf(key, kBuckets) == head) return key;
    }
  }

  MemoryPageStore store_{GetParam()};
};

TEST_P(KvIndexTest, Format_WritesMetaAndEmptyBucketsThatCheckAccepts) {
  EXPECT_EQ(store_.page_count(), 1 + kBuckets);
  EXPECT_EQ(store_.Read(0)[0], format::kTypeMeta);
  for (PageNo n = 1; n <= kBuckets; ++n) EXPECT_EQ(store_.Read(n)[0], format::kTypeBucket);
  EXPECT_TRUE(Dump().empty());
  ExpectCheckPasses();
}

TEST(KvIndexFormat, Format_RefusesSmallPagesNoBucketsAndNonEmptyStores) {
  MemoryPageStore small(512);
  EXPECT_FALSE(KvIndex::Format(small, 4).ok());
  EXPECT_EQ(small.page_count(), 0u);
  MemoryPageStore store(1024);
  EXPECT_FALSE(KvIndex::Format(store, 0).ok());
  EXPECT_TRUE(KvIndex::Format(store, 4).ok());
  const Status again = KvIndex::Format(store, 4);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("empty"), std::string::npos) << again.message();
}

TEST(KvIndexFormat, Operations_OnAnUnformattedStoreAreErrors) {
  MemoryPageStore store(1024);
  EXPECT_FALSE(KvIndex::Put(store, "k", "v").ok());
  EXPECT_FALSE(KvIndex::Get(store, "k").ok());
  EXPECT_FALSE(KvIndex::Check(store).ok());
  store.Extend();  // a zeroed page 0: no meta page
  const Status s = KvIndex::Check(store);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("page 0"), std::string::npos) << s.message();
}

TEST_P(KvIndexTest, Put_ThenGetReturnsTheValueAndMissingKeysAreAbsent) {
  Put("alpha", "1");
  Put("beta", "22");
  EXPECT_EQ(Get("alpha"), "1");
  EXPECT_EQ(Get("beta"), "22");
  EXPECT_EQ(Get("gamma"), "<absent>");
  EXPECT_EQ(MetaField(format::kMetaEntryCount), 2u);
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, Put_ReplacesTheValueAcrossInlineAndChainedForms) {
  const std::string big(page_size() * 3, 'b');
  const std::vector<std::string> values = {"small", big, "", std::string(40, 's'), big + "x"};
  for (const std::string& v : values) {
    Put("key", v);
    EXPECT_EQ(Get("key"), v);
    EXPECT_EQ(Dump().size(), 1u);
    ExpectCheckPasses();
  }
  EXPECT_EQ(MetaField(format::kMetaEntryCount), 1u);
}

TEST_P(KvIndexTest, Delete_RemovesTheKeyAndAbsentKeyIsNotAnError) {
  Put("a", "1");
  Put("b", "2");
  Delete("a");
  Delete("a");
  Delete("never-there");
  EXPECT_EQ(Get("a"), "<absent>");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(MetaField(format::kMetaEntryCount), 1u);
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, EmptyValueAndBinaryKeys_RoundTrip) {
  std::string every_byte;
  for (int c = 255; c >= 0; --c) every_byte += static_cast<char>(c);
  const std::map<std::string, std::string> model = {
      {std::string("\0", 1), ""},
      {std::string("\0\0", 2), std::string("\0v\0", 3)},
      {"\xff", "\xff\xfe"},
      {every_byte, every_byte},
      {"empty", ""},
  };
  for (const auto& [k, v] : model) Put(k, v);
  for (const auto& [k, v] : model) EXPECT_EQ(Get(k), v);
  EXPECT_EQ(Dump(), model);
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, Put_RefusesBadKeysAndValuesWithoutChangingTheStore) {
  Put("k", "v");
  const std::vector<std::string> before = Snapshot();
  EXPECT_FALSE(KvIndex::Put(store_, "", "v").ok());
  EXPECT_FALSE(KvIndex::Put(store_, std::string(kMaxKeyBytes + 1, 'k'), "v").ok());
  EXPECT_FALSE(KvIndex::Put(store_, "k", std::string(kMaxValueBytes + 1, 'v')).ok());
  EXPECT_FALSE(KvIndex::Delete(store_, "").ok());
  EXPECT_FALSE(KvIndex::Get(store_, "").ok());
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(KvIndexTest, LongestKey_FitsWhenThePageHoldsItAndIsRefusedOtherwise) {
  const std::string longest(kMaxKeyBytes, 'L');
  // A chained entry needs a 24-byte page header, 7 bytes of entry header
  // and an 8-byte page number besides its key.
  const std::size_t max_key = page_size() - 24 - 7 - 8;
  if (max_key >= kMaxKeyBytes) {
    Put(longest, "");
    Put(longest, std::string(kMaxValueBytes, 'v'));
    EXPECT_EQ(Get(longest), std::string(kMaxValueBytes, 'v'));
  } else {
    const std::vector<std::string> before = Snapshot();
    const Status s = KvIndex::Put(store_, longest, "v");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("at most " + std::to_string(max_key)), std::string::npos)
        << s.message();
    EXPECT_EQ(Snapshot(), before);
    const std::string fits(max_key, 'F');
    Put(fits, std::string(500, 'v'));
    EXPECT_EQ(Get(fits), std::string(500, 'v'));
  }
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, LargeValue_SpansPagesAndRoundTrips) {
  std::string value(kMaxValueBytes, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7 + i / 251);
  const PageNo before = store_.page_count();
  Put("big", value);
  const std::size_t payload = page_size() - format::kValueHeaderBytes;
  EXPECT_EQ(store_.page_count() - before, (value.size() + payload - 1) / payload);
  EXPECT_EQ(Get("big"), value);
  EXPECT_TRUE(EntryInHead("big").chained);
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, ReplacingALargeValue_FreesItsChainForTheNextPut) {
  Put("big", std::string(kMaxValueBytes, 'a'));
  const PageNo pages = store_.page_count();
  Put("big", "small now");
  EXPECT_GT(MetaField(format::kMetaFreeCount), 0u);
  ExpectCheckPasses();
  Put("other", std::string(kMaxValueBytes, 'b'));
  EXPECT_EQ(store_.page_count(), pages);
  EXPECT_EQ(MetaField(format::kMetaFreeCount), 0u);
  EXPECT_EQ(Get("big"), "small now");
  EXPECT_EQ(Get("other"), std::string(kMaxValueBytes, 'b'));
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, ManyKeys_ForceOverflowPagesAndAllStayReadable) {
  // About 25 bytes an entry: some 1.6 pages' worth of entries per bucket.
  const int keys = static_cast<int>(page_size() / 4);
  for (int i = 0; i < keys; ++i) Put("key-" + std::to_string(i), "value-" + std::to_string(i * i));
  for (PageNo head = 1; head <= kBuckets; ++head) {
    EXPECT_NE(format::BucketNext(store_.Read(head)), 0u) << "bucket page " << head;
  }
  for (int i = 0; i < keys; ++i) {
    EXPECT_EQ(Get("key-" + std::to_string(i)), "value-" + std::to_string(i * i));
  }
  EXPECT_EQ(Dump().size(), static_cast<std::size_t>(keys));
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, DeletingEverything_FreesPagesAndNewPutsReuseThem) {
  auto put_all = [&] {
    for (int i = 0; i < 200; ++i) {
      const std::size_t len = i % 20 == 0 ? 5000 : static_cast<std::size_t>(i % 50);
      Put("key-" + std::to_string(i), std::string(len, static_cast<char>('a' + i % 26)));
    }
  };
  put_all();
  const PageNo pages = store_.page_count();
  ASSERT_GT(pages, 1 + kBuckets);
  for (int i = 0; i < 200; ++i) Delete("key-" + std::to_string(i));
  EXPECT_TRUE(Dump().empty());
  // Every page but the meta page and the bucket heads is free.
  EXPECT_EQ(MetaField(format::kMetaFreeCount), pages - 1 - kBuckets);
  for (PageNo head = 1; head <= kBuckets; ++head) {
    EXPECT_EQ(format::BucketNext(store_.Read(head)), 0u);
    EXPECT_EQ(format::BucketEntryCount(store_.Read(head)), 0u);
  }
  ExpectCheckPasses();
  put_all();
  EXPECT_EQ(store_.page_count(), pages);
  EXPECT_EQ(MetaField(format::kMetaFreeCount), 0u);
  ExpectCheckPasses();
}

TEST_P(KvIndexTest, ForEach_VisitsExactlyTheLiveEntriesOnce) {
  std::map<std::string, std::string> model;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string(i);
    const std::string value(static_cast<std::size_t>(i * 13 % 700), static_cast<char>(i));
    Put(key, value);
    model[key] = value;
  }
  for (int i = 0; i < 300; i += 3) {
    Delete("k" + std::to_string(i));
    model.erase("k" + std::to_string(i));
  }
  for (int i = 1; i < 300; i += 7) {
    Put("k" + std::to_string(i), "replaced");
    model["k" + std::to_string(i)] = "replaced";
  }
  EXPECT_EQ(Dump(), model);  // Dump fails the test on a key visited twice
}

TEST_P(KvIndexTest, SameOperations_GiveTheSameBytes) {
  MemoryPageStore other(page_size());
  ASSERT_TRUE(KvIndex::Format(other, kBuckets).ok());
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i % 17);
    const std::string value(static_cast<std::size_t>(i * 331 % 3000), 'x');
    Put(key, value);
    ASSERT_TRUE(KvIndex::Put(other, key, value).ok());
    if (i % 5 == 0) {
      Delete("k" + std::to_string(i % 7));
      ASSERT_TRUE(KvIndex::Delete(other, "k" + std::to_string(i % 7)).ok());
    }
  }
  std::vector<std::string> theirs;
  for (PageNo n = 0; n < other.page_count(); ++n) {
    theirs.emplace_back(reinterpret_cast<const char*>(other.Read(n)), page_size());
  }
  EXPECT_EQ(Snapshot(), theirs);
}

// 2000 random puts, deletes and gets against a std::map, comparing every Get,
// and ForEach and Check every 100 operations. Few distinct keys, so puts
// often replace and deletes often hit; value sizes straddle the inline limit.
TEST_P(KvIndexTest, RandomOperations_MatchAModelAndKeepCheckPassing) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    MemoryPageStore store(page_size());
    ASSERT_TRUE(KvIndex::Format(store, kBuckets).ok());
    Prng rng(seed);
    std::vector<std::string> keys;
    for (int i = 0; i < 120; ++i) {
      const std::size_t len = rng.Chance(1, 20) ? rng.Range(200, 900) : rng.Range(1, 12);
      keys.push_back(rng.Bytes(len));
    }
    std::map<std::string, std::string> model;
    for (int op = 1; op <= 2000; ++op) {
      const std::string& key = keys[rng.Below(keys.size())];
      const uint64_t kind = rng.Below(100);
      if (kind < 50) {
        const uint64_t size_class = rng.Below(10);
        std::size_t len = 0;
        if (size_class < 5) {
          len = rng.Range(0, 64);
        } else if (size_class < 7) {
          len = page_size() / 4 + rng.Range(-8, 8);
        } else if (size_class < 9) {
          len = rng.Range(300, 5000);
        } else {
          len = rng.Range(60000, kMaxValueBytes);
        }
        const std::string value = rng.Bytes(len);
        const Status s = KvIndex::Put(store, key, value);
        ASSERT_TRUE(s.ok()) << "op " << op << ": " << s.message();
        model[key] = value;
      } else if (kind < 85) {
        const Status s = KvIndex::Delete(store, key);
        ASSERT_TRUE(s.ok()) << "op " << op << ": " << s.message();
        model.erase(key);
      } else {
        Result<std::optional<std::string>> got = KvIndex::Get(store, key);
        ASSERT_TRUE(got.ok()) << "op " << op << ": " << got.status().message();
        const auto it = model.find(key);
        ASSERT_EQ(got->has_value(), it != model.end()) << "op " << op;
        if (it != model.end()) {
          ASSERT_EQ(**got, it->second) << "op " << op;
        }
      }
      if (op % 100 != 0) continue;
      const Status check = KvIndex::Check(store);
      ASSERT_TRUE(check.ok()) << "op " << op << ": " << check.message();
      std::map<std::string, std::string> seen;
      ASSERT_TRUE(KvIndex::ForEach(store, [&](std::string_view k, std::string_view v) {
                    seen.emplace(k, v);
                  }).ok());
      ASSERT_EQ(seen, model) << "op " << op;
    }
  }
}

TEST_P(KvIndexTest, Check_DetectsABucketChainThatLoopsAndGetDoesNotHang) {
  format::SetBucketNext(store_.Write(1), 1);
  ExpectCheckFails({"page 1", "loops"});
  // Get of an absent key walks the whole chain: it must stop and say why.
  Result<std::optional<std::string>> got = KvIndex::Get(store_, KeyInBucket(1));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("loops"), std::string::npos) << got.status().message();
}

TEST_P(KvIndexTest, Check_DetectsALinkBeyondTheStore) {
  const PageNo beyond = store_.page_count() + 5;
  format::SetBucketNext(store_.Write(2), beyond);
  ExpectCheckFails({"page 2", "page " + std::to_string(beyond), "beyond"});
}

TEST_P(KvIndexTest, Check_DetectsAnEntryInTheWrongBucket) {
  const std::string key = KeyInBucket(1);
  Put(key, "v");
  Put(KeyInBucket(2), "w");
  ExpectCheckPasses();
  const format::Entry e = EntryInHead(key);
  const std::size_t offset = e.offset;
  const std::size_t size = e.size;
  format::AppendEntry(store_.Write(2), key, "v", false, 0);
  format::RemoveEntry(store_.Write(1), offset, size);
  ExpectCheckFails({"page 2", "hashes to bucket 0", "bucket 1"});
}

TEST_P(KvIndexTest, Check_DetectsAKeyStoredTwice) {
  const std::string key = KeyInBucket(3);
  Put(key, "v");
  format::AppendEntry(store_.Write(3), key, "v2", false, 0);
  ExpectCheckFails({"page 3", "twice"});
}

TEST_P(KvIndexTest, Check_DetectsALeakedPage) {
  Put("big", std::string(5000, 'x'));
  ExpectCheckPasses();
  const PageNo leaked = store_.Extend();
  ExpectCheckFails({"page " + std::to_string(leaked), "neither reachable nor on the free list"});
}

TEST_P(KvIndexTest, Check_DetectsAPageDroppedFromTheFreeList) {
  Put("big", std::string(5000, 'x'));
  Delete("big");
  const PageNo head = MetaField(format::kMetaFreeHead);
  ASSERT_NE(head, 0u);
  uint8_t* meta = store_.Write(0);
  format::Store64(meta + format::kMetaFreeHead, format::FreeNext(store_.Read(head)));
  meta = store_.Write(0);
  format::Store64(meta + format::kMetaFreeCount, MetaField(format::kMetaFreeCount) - 1);
  ExpectCheckFails({"page " + std::to_string(head), "leaked free page"});
}

TEST_P(KvIndexTest, Check_DetectsAWrongTypeByte) {
  Put("big", std::string(5000, 'x'));
  const PageNo value_page = EntryInHead("big").first_value_page;
  store_.Write(value_page)[0] = format::kTypeBucket;
  ExpectCheckFails(
      {"page " + std::to_string(value_page), "expected a value page", "found a bucket page"});
  store_.Write(value_page)[0] = format::kTypeValue;
  ExpectCheckPasses();
  store_.Write(2)[0] = format::kTypeFree;
  ExpectCheckFails({"page 2", "expected a bucket page", "found a free page"});
}

TEST_P(KvIndexTest, Check_DetectsAPageReachableTwice) {
  format::SetBucketNext(store_.Write(1), 2);  // bucket 0's chain runs into bucket 1's head
  ExpectCheckFails({"page 2", "reachable twice", "head of bucket 1", "bucket 0's chain"});
}

TEST_P(KvIndexTest, Check_DetectsAFreeListLoop) {
  Put("big", std::string(5000, 'x'));
  Delete("big");
  const PageNo head = MetaField(format::kMetaFreeHead);
  format::Store64(store_.Write(head) + format::kFreeNext, head);
  ExpectCheckFails({"page " + std::to_string(head), "loops"});
}

TEST_P(KvIndexTest, Check_DetectsBadMagicAndAWrongEntryCount) {
  Put("a", "1");
  format::Store64(store_.Write(0) + format::kMetaEntryCount, 7);
  ExpectCheckFails({"page 0", "entry count says 7", "hold 1"});
  store_.Write(0)[format::kMetaMagic] ^= 0xff;
  ExpectCheckFails({"page 0", "magic"});
}

INSTANTIATE_TEST_SUITE_P(PageSizes, KvIndexTest, ::testing::Values(1024, 4096),
                         [](const ::testing::TestParamInfo<std::size_t>& param_info) {
                           return "Page" + std::to_string(param_info.param);
                         });

}  // namespace
}  // namespace crashlab::pagejournal
