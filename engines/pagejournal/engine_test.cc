// pagejournal end to end: through the adapter::Engine interface in process,
// and as the real program, SIGKILLed while its background flusher runs.
#include "engines/pagejournal/engine.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engines/pagejournal/journal.h"
#include "engines/pagejournal/points.h"
#include "engines/pagejournal/test_support.h"

namespace crashlab::pagejournal {
namespace {

using testing_support::AsMap;
using testing_support::Del;
using testing_support::Put;
using testing_support::TempDir;
using State = std::map<std::string, std::string>;

State DumpOf(adapter::Engine& engine) {
  auto pairs = engine.Dump();
  EXPECT_TRUE(pairs.ok()) << pairs.status().message();
  return pairs.ok() ? AsMap(*pairs) : State{};
}

void ExpectCheckOk(adapter::Engine& engine) {
  std::optional<Status> s = engine.Check();
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->ok()) << s->message();
}

TEST(PagejournalEngine, PutGetDumpAndCheckSurviveCloseAndOpen) {
  TempDir tmp;
  PagejournalEngine engine(Options{});
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  ASSERT_TRUE(engine.Commit({Put("a", "1"), Put("b", "2"), Put("c", "")}).ok());
  ASSERT_TRUE(engine.Commit({Del("b"), Put("a", "one")}).ok());
  auto a = engine.Get("a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ(**a, "one");
  auto b = engine.Get("b");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  const State expected{{"a", "one"}, {"c", ""}};
  EXPECT_EQ(DumpOf(engine), expected);
  ExpectCheckOk(engine);
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  EXPECT_EQ(DumpOf(engine), expected);
  ExpectCheckOk(engine);
  ASSERT_TRUE(engine.Close().ok());
}

TEST(PagejournalEngine, SixtyFourKiBValuesSurviveCheckpointAndReopen) {
  TempDir tmp;
  PagejournalEngine engine(Options{});
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  State model;
  for (int i = 0; i < 6; ++i) {
    std::string value(64 * 1024, static_cast<char>('a' + i));
    value[i * 1000] = '#';
    model["big" + std::to_string(i % 4)] = value;
    ASSERT_TRUE(engine.Commit({Put("big" + std::to_string(i % 4), value)}).ok());
    if (i == 2) {
      std::optional<Status> cp = engine.Checkpoint();
      ASSERT_TRUE(cp.has_value() && cp->ok());
    }
  }
  EXPECT_EQ(DumpOf(engine), model);
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  EXPECT_EQ(DumpOf(engine), model);
  ExpectCheckOk(engine);
  ASSERT_TRUE(engine.Close().ok());
}

TEST(PagejournalEngine, ValueOverTheIndexLimitIsRefusedAndNothingOfItsTransactionCommitted) {
  TempDir tmp;
  PagejournalEngine engine(Options{});
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  ASSERT_TRUE(engine.Commit({Put("keep", "1")}).ok());
  EXPECT_FALSE(engine.Commit({Put("x", "2"), Put("y", std::string(64 * 1024 + 1, 'y'))}).ok());
  EXPECT_EQ(DumpOf(engine), (State{{"keep", "1"}}));
  ASSERT_TRUE(engine.Close().ok());
}

TEST(PagejournalEngine, ManyTransactionsRecycleJournalsAndReopenToTheSameState) {
  TempDir tmp;
  Options o;  // background flusher
  o.journal_size = 64 * 1024;
  o.flush_interval_ms = 2;
  PagejournalEngine engine(o);
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  State model;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "k" + std::to_string(i * 7 % 23);
    if (i % 9 == 8) {
      model.erase(key);
      ASSERT_TRUE(engine.Commit({Del(key)}).ok());
    } else {
      const std::string value(static_cast<std::size_t>(i * 37 % 9000),
                              static_cast<char>('a' + i % 26));
      model[key] = value;
      ASSERT_TRUE(engine.Commit({Put(key, value)}).ok());
    }
  }
  EXPECT_TRUE(DumpOf(engine) == model);
  ASSERT_TRUE(engine.Close().ok());
  // Far more than 64 KiB was journaled, yet old journals were recycled.
  Result<std::vector<uint64_t>> journals = ListJournals(tmp.Sub("db"));
  ASSERT_TRUE(journals.ok());
  EXPECT_GT(journals->back(), 10u);
  EXPECT_LE(journals->size(), 1 + JournalWriter::kMaxSpares + 1);
  ASSERT_TRUE(engine.Open(tmp.Sub("db")).ok());
  EXPECT_TRUE(DumpOf(engine) == model);
  ExpectCheckOk(engine);
  ASSERT_TRUE(engine.Close().ok());
}

TEST(PagejournalEngine, OpenWhileOpenIsRefusedAndCloseAllowsAnotherOpen) {
  TempDir tmp;
  PagejournalEngine engine(Options{});
  ASSERT_TRUE(engine.Open(tmp.Sub("one")).ok());
  EXPECT_FALSE(engine.Open(tmp.Sub("two")).ok());
  ASSERT_TRUE(engine.Commit({Put("in", "one")}).ok());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open(tmp.Sub("two")).ok());
  EXPECT_EQ(DumpOf(engine), State{});
  ASSERT_TRUE(engine.Close().ok());
  EXPECT_TRUE(engine.Close().ok());
}

TEST(PagejournalEngine, PointsNameEveryRegistryEntryOnceInComponentActionPhaseForm) {
  PagejournalEngine engine(Options{});
  const std::vector<std::string> names = engine.Points();
  EXPECT_EQ(names.size(), points::kAll.size());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  const std::regex form("[a-z]+\\.[a-z]+:[a-z-]+");
  for (const std::string& name : names) EXPECT_TRUE(std::regex_match(name, form)) << name;
  for (const faults::Point* p : points::kAll) EXPECT_FALSE(p->durable.empty()) << p->name;
}

// The real program on pipes, for a real SIGKILL.
class EngineProcess {
 public:
  explicit EngineProcess(std::vector<std::string> args) {
    int in[2], out[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      std::vector<char*> argv;
      args.insert(args.begin(), PAGEJOURNAL_ENGINE);
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = ::fdopen(in[1], "w");
    from_ = ::fdopen(out[0], "r");
  }
  ~EngineProcess() {
    Kill();
    std::fclose(to_);
    std::fclose(from_);
  }
  void Send(const std::string& lines) {
    std::fputs(lines.c_str(), to_);
    std::fflush(to_);
  }
  std::string Reply() {
    char line[4096];
    if (std::fgets(line, sizeof line, from_) == nullptr) return "<eof>";
    std::string s(line);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

TEST(PagejournalProgram, KillWhileTheFlusherRunsKeepsEveryAcknowledgedTransaction) {
  for (int round = 0; round < 8; ++round) {
    TempDir tmp;
    const std::string dir = tmp.Sub("db");
    State model;
    State with_last;
    {
      EngineProcess engine({"--journal-size=65536", "--flush-interval-ms=1"});
      engine.Send("hello\nopen " + dir + "\n");
      ASSERT_EQ(engine.Reply().rfind("ok crashlab-engine 1 pagejournal", 0), 0u);
      ASSERT_EQ(engine.Reply(), "ok");
      const int txns = 20 + 23 * round;
      for (int i = 0; i < txns; ++i) {
        const std::string key = "k" + std::to_string(i % 11);
        const std::string value(static_cast<std::size_t>(1 + i * 131 % 7000), 'a' + i % 26);
        engine.Send("txn 1\nput " + key + " " + value + "\n");
        with_last = model;
        with_last[key] = value;
        if (i + 1 == txns && round % 2 == 1) break;  // killed with the last reply unread
        ASSERT_EQ(engine.Reply(), "ok");
        model = with_last;
      }
      engine.Kill();
    }
    PagejournalEngine recovered(Options{});
    ASSERT_TRUE(recovered.Open(dir).ok());
    const State got = DumpOf(recovered);
    EXPECT_TRUE(got == model || got == with_last) << "round " << round;
    ExpectCheckOk(recovered);
    ASSERT_TRUE(recovered.Close().ok());
  }
}

}  // namespace
}  // namespace crashlab::pagejournal
