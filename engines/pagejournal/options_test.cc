#include "engines/pagejournal/options.h"

#include <gtest/gtest.h>

namespace crashlab::pagejournal {
namespace {

TEST(ParseOptions, NoArgumentsGiveTheDefaults) {
  Result<Options> o = ParseOptions({});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->page_size, 4096u);
  EXPECT_EQ(o->journal_size, 4u * 1024 * 1024);
  EXPECT_EQ(o->flush_every, 0u);
  EXPECT_EQ(o->buckets, 16u);
  EXPECT_EQ(o->bug, Bug::kNone);
}

TEST(ParseOptions, AcceptsBothSpellingsAndLaterWins) {
  Result<Options> o =
      ParseOptions({"--page-size=8192", "--journal-size", "65536", "--flush-every=3",
                    "--flush-every=2", "--bug=recycled-journal-stale", "--buckets=4"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->page_size, 8192u);
  EXPECT_EQ(o->journal_size, 65536u);
  EXPECT_EQ(o->flush_every, 2u);
  EXPECT_EQ(o->buckets, 4u);
  EXPECT_EQ(o->bug, Bug::kRecycledJournalStale);
  EXPECT_EQ(BugName(o->bug), "recycled-journal-stale");
}

TEST(ParseOptions, ErrorsNameTheBadOption) {
  EXPECT_NE(ParseOptions({"--colour=red"}).status().message().find("--colour"), std::string::npos);
  EXPECT_NE(ParseOptions({"--page-size=3000"}).status().message().find("--page-size"),
            std::string::npos);
  EXPECT_NE(ParseOptions({"--journal-size=5000"}).status().message().find("--journal-size"),
            std::string::npos);
  EXPECT_NE(ParseOptions({"--bug=typo"}).status().message().find("typo"), std::string::npos);
  EXPECT_FALSE(ParseOptions({"--flush-every"}).ok());
  EXPECT_FALSE(ParseOptions({"stray"}).ok());
}

}  // namespace
}  // namespace crashlab::pagejournal
