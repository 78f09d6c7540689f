#include "faults/ptrace/config.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "faults/ptrace/paths.h"

namespace crashlab::ptrace {

bool ParsePipeIdentity(const char* text, dev_t& dev, ino_t& ino) {
  char* end = nullptr;
  const unsigned long long d = std::strtoull(text, &end, 10);
  if (end == text || *end != ':') return false;
  const char* rest = end + 1;
  const unsigned long long i = std::strtoull(rest, &end, 10);
  if (end == rest || *end != '\0') return false;
  dev = static_cast<dev_t>(d);
  ino = static_cast<ino_t>(i);
  return true;
}

std::vector<std::string> SplitColons(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i <= list.size();) {
    std::size_t j = list.find(':', i);
    if (j == std::string::npos) j = list.size();
    if (j > i) out.push_back(list.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<Config> ConfigFromEnvironment() {
  const char* trace = std::getenv("CRASHLAB_TRACE");
  const char* dir = std::getenv("CRASHLAB_CASE_DIR");
  if (trace == nullptr || *trace == '\0' || dir == nullptr || *dir != '/') return std::nullopt;
  Config c;
  c.trace_path = trace;
  c.case_dir = RealPathOr(Normalize(dir));
  const char* pipe = std::getenv("CRASHLAB_REPLY_PIPE");
  if (pipe != nullptr && *pipe != '\0') {
    c.have_reply_pipe = ParsePipeIdentity(pipe, c.reply_dev, c.reply_ino);
  } else {
    // Run by hand, without crashlab: our stdout, which the program inherits,
    // is the reply pipe for it and every process it starts.
    struct stat st;
    if (::fstat(1, &st) == 0) {
      c.have_reply_pipe = true;
      c.reply_dev = st.st_dev;
      c.reply_ino = st.st_ino;
      char text[48];
      std::snprintf(text, sizeof text, "%llu:%llu", static_cast<unsigned long long>(st.st_dev),
                    static_cast<unsigned long long>(st.st_ino));
      ::setenv("CRASHLAB_REPLY_PIPE", text, 0);
    }
  }
  if (const char* at = std::getenv("CRASHLAB_KILL_AT_EVENT"); at != nullptr && *at != '\0') {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(at, &end, 10);
    if (end != nullptr && *end == '\0') c.kill_at_event = n;
  }
  if (const char* list = std::getenv("CRASHLAB_UNTRACED_FILES"); list != nullptr) {
    c.untraced_globs = SplitColons(list);
  }
  if (const char* one = std::getenv("CRASHLAB_PTRACE_ONE_CPU"); one != nullptr) {
    c.one_cpu = std::strcmp(one, "0") != 0;
  }
  if (const char* track = std::getenv("CRASHLAB_PTRACE_WRITE_TRACKING"); track != nullptr) {
    c.track_writes = std::strcmp(track, "0") != 0;
  }
  if (const char* stats = std::getenv("CRASHLAB_PTRACE_STATS"); stats != nullptr) {
    c.print_stats = std::strcmp(stats, "1") == 0;
  }
  return c;
}

}  // namespace crashlab::ptrace
