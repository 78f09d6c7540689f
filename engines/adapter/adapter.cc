#include "engines/adapter/adapter.h"

#include <string_view>

#include "framework/protocol/protocol.h"

namespace crashlab::adapter {
namespace {

// Reads one '\n'-terminated line without the newline; false at end of input.
// A last line without its newline is dropped: the controller died while
// writing it, and half a transaction must never be committed. A line longer
// than the protocol allows is read whole and rejected later.
bool ReadLine(std::FILE* in, std::string& line) {
  line.clear();
  int c;
  while ((c = std::fgetc(in)) != EOF) {
    if (c == '\n') return true;
    line.push_back(static_cast<char>(c));
  }
  return false;
}

// Error text on one line: newlines from engine libraries would break framing.
std::string OneLine(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

class Server {
 public:
  Server(Engine& engine, std::FILE* in, std::FILE* out) : engine_(engine), in_(in), out_(out) {}

  int Run() {
    std::string line;
    while (ReadLine(in_, line)) {
      Handle(line);
      if (std::fflush(out_) != 0) return 1;
    }
    return 0;
  }

 private:
  void Reply(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fputc('\n', out_);
  }
  void ReplyStatus(const Status& s) { Reply(s.ok() ? "ok" : "err " + OneLine(s.message())); }

  void Handle(const std::string& line) {
    if (line.size() > protocol::kMaxLineBytes)
      return Reply("err line longer than the protocol allows");
    const std::vector<std::string_view> f = protocol::SplitFields(line);
    const std::string_view verb = f[0];
    if (verb == "hello" && f.size() == 1) return Hello();
    if (verb == "open" && f.size() == 2) return OpenDir(f[1]);
    if (verb == "txn" && f.size() == 2) return Txn(f[1]);
    if (verb == "get" && f.size() == 2) return GetKey(f[1]);
    if (verb == "dump" && f.size() == 1) return DumpAll();
    if (verb == "check" && f.size() == 1) return Optional(opened_, [&] { return engine_.Check(); });
    if (verb == "checkpoint" && f.size() == 1) {
      return Optional(opened_, [&] { return engine_.Checkpoint(); });
    }
    if (verb == "points" && f.size() == 1) {
      std::string reply = "ok";
      for (const std::string& point : engine_.Points()) reply += " " + protocol::Encode(point);
      return Reply(reply);
    }
    if (verb == "close" && f.size() == 1) {
      if (!opened_) return Reply("ok");
      opened_ = false;
      return ReplyStatus(engine_.Close());
    }
    Reply("err unknown request or wrong number of fields: " + protocol::Printable(line, 80));
  }

  void Hello() {
    std::string reply = "ok crashlab-engine " + std::to_string(protocol::kVersion) + " " +
                        protocol::Encode(engine_.Name());
    for (const std::string& cap : engine_.Capabilities()) reply += " " + cap;
    if (!engine_.Points().empty()) reply += " points";
    Reply(reply);
  }

  void OpenDir(std::string_view field) {
    if (opened_) return Reply("err already open; send close first");
    Result<std::string> dir = protocol::Decode(field);
    if (!dir.ok()) return Reply("err bad directory field: " + dir.status().message());
    Status s = engine_.Open(*dir);
    opened_ = s.ok();
    ReplyStatus(s);
  }

  // Reads all n operation lines even when one is bad, so that framing holds.
  void Txn(std::string_view count_field) {
    std::size_t n = 0;
    for (char c : count_field) {
      if (c < '0' || c > '9' || n > protocol::kMaxTxnOps) return Reply("err bad operation count");
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (count_field.empty() || n == 0 || n > protocol::kMaxTxnOps) {
      return Reply("err operation count must be 1.." + std::to_string(protocol::kMaxTxnOps));
    }
    std::vector<Op> ops;
    std::string error;
    std::string line;
    for (std::size_t i = 0; i < n; ++i) {
      if (!ReadLine(in_, line)) return;  // input ended inside a transaction: nothing to commit
      Result<Op> op = ParseOp(line);
      if (!op.ok() && error.empty())
        error = "operation " + std::to_string(i + 1) + ": " + op.status().message();
      if (op.ok()) ops.push_back(std::move(op.value()));
    }
    if (!error.empty()) return Reply("err " + OneLine(error));
    if (!opened_) return Reply("err no database open; send open first");
    ReplyStatus(engine_.Commit(ops));
  }

  static Result<Op> ParseOp(const std::string& line) {
    const std::vector<std::string_view> f = protocol::SplitFields(line);
    Op op;
    if (f[0] == "put" && f.size() == 3) {
      op.is_put = true;
    } else if (f[0] == "del" && f.size() == 2) {
      op.is_put = false;
    } else {
      return Status::Error("expected 'put <key> <value>' or 'del <key>'");
    }
    Result<std::string> key = protocol::Decode(f[1]);
    if (!key.ok()) return Status::Error("bad key: " + key.status().message());
    if (key->empty() || key->size() > protocol::kMaxKeyBytes)
      return Status::Error("key must be 1..1024 bytes");
    op.key = std::move(key.value());
    if (op.is_put) {
      Result<std::string> value = protocol::Decode(f[2]);
      if (!value.ok()) return Status::Error("bad value: " + value.status().message());
      if (value->size() > protocol::kMaxValueBytes) return Status::Error("value longer than 1 MiB");
      op.value = std::move(value.value());
    }
    return op;
  }

  void GetKey(std::string_view field) {
    if (!opened_) return Reply("err no database open; send open first");
    Result<std::string> key = protocol::Decode(field);
    if (!key.ok()) return Reply("err bad key: " + key.status().message());
    Result<std::optional<std::string>> value = engine_.Get(*key);
    if (!value.ok()) return ReplyStatus(value.status());
    if (!value->has_value()) return Reply("none");
    Reply("val " + protocol::Encode(**value));
  }

  void DumpAll() {
    if (!opened_) return Reply("err no database open; send open first");
    auto pairs = engine_.Dump();
    if (!pairs.ok()) return ReplyStatus(pairs.status());
    for (const auto& [key, value] : *pairs) {
      Reply("kv " + protocol::Encode(key) + " " + protocol::Encode(value));
    }
    Reply("end");
  }

  template <typename F>
  void Optional(bool opened, F call) {
    if (!opened) return Reply("err no database open; send open first");
    std::optional<Status> s = call();
    if (!s.has_value()) return Reply("unsupported");
    ReplyStatus(*s);
  }

  Engine& engine_;
  std::FILE* in_;
  std::FILE* out_;
  bool opened_ = false;
};

}  // namespace

int Serve(Engine& engine, std::FILE* in, std::FILE* out) { return Server(engine, in, out).Run(); }

}  // namespace crashlab::adapter
