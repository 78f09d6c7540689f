// crashlab-static-engine: a tiny engine linked with -static, for the test
// that crashlab names a binary LD_PRELOAD cannot reach before any traced case
// (tests/untraceable_engine_test.cc). It keeps the kill contract: each
// transaction is appended to <dir>/log with one write() before its `ok`, and
// recovery replays the complete records. No fsync: it promises nothing under
// power loss, which the tests never ask of it. Standalone (no crashlab
// library, which links shared ones), protocol v1 by docs/engine-protocol.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::map<std::string, std::string> state;
int log_fd = -1;

// Applies "put K V" / "del K" lines; false for anything else.
bool Apply(const std::string& line, std::map<std::string, std::string>& to) {
  std::istringstream in(line);
  std::string verb, key, value;
  in >> verb >> key;
  std::getline(in >> std::ws, value);
  if (verb == "put" && !key.empty()) {
    to[key] = value;
  } else if (verb == "del" && !key.empty()) {
    to.erase(key);
  } else {
    return false;
  }
  return true;
}

// The log holds records "txn N\n" + N lines + "commit\n"; a torn last one
// (a kill during its write) is ignored.
void Recover(const std::string& bytes) {
  std::istringstream in(bytes);
  for (std::string header; std::getline(in, header);) {
    std::vector<std::string> ops;
    const std::size_t n = header.rfind("txn ", 0) == 0 ? std::stoul(header.substr(4)) : 0;
    std::string line;
    for (std::size_t i = 0; i < n && std::getline(in, line); ++i) ops.push_back(line);
    if (ops.size() != n || !std::getline(in, line) || line != "commit") return;
    for (const std::string& op : ops) Apply(op, state);
  }
}

std::string Open(const std::string& dir) {
  const std::string path = dir + "/log";
  mkdir(dir.c_str(), 0755);
  log_fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return "err cannot open " + path;
  std::string bytes;
  char buf[65536];
  for (ssize_t n; (n = pread(log_fd, buf, sizeof buf, static_cast<off_t>(bytes.size()))) > 0;) {
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  state.clear();
  Recover(bytes);
  return "ok";
}

std::string Txn(std::size_t n) {
  std::string record = "txn " + std::to_string(n) + "\n", line;
  std::map<std::string, std::string> next = state;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::getline(std::cin, line) || !Apply(line, next)) return "err bad operation";
    record += line + "\n";
  }
  record += "commit\n";
  if (log_fd < 0) return "err not open";
  // One write: a kill leaves the record whole or torn, never interleaved.
  if (write(log_fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
    return "err cannot append to the log";
  }
  state = std::move(next);
  return "ok";
}

}  // namespace

int main() {
  for (std::string line; std::getline(std::cin, line);) {
    std::string reply;
    if (line == "hello") {
      reply = "ok crashlab-engine 1 static";
    } else if (line.rfind("open ", 0) == 0) {
      reply = Open(line.substr(5));
    } else if (line.rfind("txn ", 0) == 0) {
      reply = Txn(std::stoul(line.substr(4)));
    } else if (line.rfind("get ", 0) == 0) {
      auto it = state.find(line.substr(4));
      reply = it == state.end() ? "none" : "val " + it->second;
    } else if (line == "dump") {
      for (const auto& [k, v] : state) reply += "kv " + k + " " + v + "\n";
      reply += "end";
    } else if (line == "check" || line == "checkpoint") {
      reply = "unsupported";
    } else if (line == "close") {
      if (log_fd >= 0) close(log_fd);
      log_fd = -1;
      reply = "ok";
    } else {
      reply = "err unknown request";
    }
    std::cout << reply << std::endl;
  }
  return 0;
}
