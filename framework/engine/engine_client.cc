#include "framework/engine/engine_client.h"

#include <fmt/format.h>

#include "framework/protocol/protocol.h"

namespace crashlab {
namespace {

Exchange Failure(Exchange::Kind kind, std::string message) {
  return Exchange{kind, std::move(message)};
}

using Clock = std::chrono::steady_clock;

std::string ErrText(const std::string& line) {
  return protocol::Readable(line.size() > 4 ? line.substr(4) : "");
}

Exchange Unexpected(const std::string& request, const std::string& line) {
  return Failure(Exchange::kProtocolError, fmt::format("unexpected reply to '{}': '{}'", request,
                                                       protocol::Readable(line, 120)));
}

}  // namespace

Exchange EngineClient::SendAhead(const std::string& lines, int requests) {
  if (Exchange e = Send(lines); !e.ok()) return e;
  ahead_ = requests;
  return {};
}

Exchange EngineClient::Send(const std::string& text) {
  if (ahead_ > 0) {  // SendAhead sent it already
    --ahead_;
    return {};
  }
  // A line nobody asked for would be taken as the reply to this request.
  if (process_.HasBufferedLine()) {
    return Failure(Exchange::kProtocolError,
                   fmt::format("the engine wrote a reply line nobody asked for: '{}'",
                               protocol::Readable(process_.BufferedLine(), 120)));
  }
  switch (process_.Write(text, deadline_)) {
    case EngineProcess::Io::kOk:
      return {};
    case EngineProcess::Io::kTimeout:
      return Failure(Exchange::kHang, fmt::format("the engine did not read its input within {} ms",
                                                  deadline_.count()));
    default:
      return Failure(Exchange::kDied, "the engine stopped reading its input");
  }
}

Exchange EngineClient::Read(std::string& line) {
  return ReadBefore(line, Clock::now() + deadline_);
}

Exchange EngineClient::ReadBefore(std::string& line, Clock::time_point end) {
  const auto left = std::max(Millis(0), std::chrono::duration_cast<Millis>(end - Clock::now()));
  switch (process_.ReadLine(line, left, protocol::kMaxLineBytes)) {
    case EngineProcess::Io::kOk:
      if (!line.empty() && line.back() == '\r') {
        return Failure(Exchange::kProtocolError,
                       "reply ends in \\r\\n; replies must end in \\n alone");
      }
      return {};
    case EngineProcess::Io::kTimeout:
      return Failure(Exchange::kHang, fmt::format("no reply within {} ms", deadline_.count()));
    case EngineProcess::Io::kTooLong:
      return Failure(Exchange::kProtocolError,
                     fmt::format("a reply line is longer than {} bytes", protocol::kMaxLineBytes));
    default:
      return Failure(Exchange::kDied, "the engine's output ended");
  }
}

Exchange EngineClient::OkOrErr(const std::string& request) {
  if (Exchange e = Send(request + "\n"); !e.ok()) return e;
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  if (line == "ok") return {};
  if (EngineClient::IsErrReply(line)) return Failure(Exchange::kErr, ErrText(line));
  return Unexpected(request.substr(0, request.find(' ')), line);
}

Exchange EngineClient::Hello(HelloReply& reply) {
  if (Exchange e = Send("hello\n"); !e.ok()) return e;
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  const auto f = protocol::SplitFields(line);
  if (f.size() < 4 || f[0] != "ok" || f[1] != "crashlab-engine") return Unexpected("hello", line);
  if (f[2] != "1") {
    return Failure(Exchange::kProtocolError,
                   fmt::format("the engine speaks protocol version '{}'; this crashlab speaks 1",
                               protocol::Readable(f[2], 20)));
  }
  Result<std::string> name = protocol::Decode(f[3]);
  if (!name.ok()) return Unexpected("hello", line);
  reply.version = 1;
  reply.name = *name;
  reply.capabilities.assign(f.begin() + 4, f.end());
  return {};
}

Exchange EngineClient::Open(const std::string& dir) {
  return OkOrErr("open " + protocol::Encode(dir));
}

Exchange EngineClient::SendTxn(const Txn& txn) { return Send(RequestText(txn)); }

Exchange EngineClient::AwaitTxnReply() {
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  if (line == "ok") return {};
  if (EngineClient::IsErrReply(line)) return Failure(Exchange::kErr, "err " + ErrText(line));
  return Unexpected("txn", line);
}

Exchange EngineClient::Checkpoint(bool& supported) {
  supported = true;
  if (Exchange e = Send("checkpoint\n"); !e.ok()) return e;
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  if (line == "ok") return {};
  if (line == "unsupported") {
    supported = false;
    return {};
  }
  if (EngineClient::IsErrReply(line)) return Failure(Exchange::kErr, "err " + ErrText(line));
  return Unexpected("checkpoint", line);
}

Exchange EngineClient::Dump(KvState& state, std::optional<std::string>& inconsistency) {
  state.clear();
  inconsistency.reset();
  if (Exchange e = Send("dump\n"); !e.ok()) return e;
  // One deadline for the whole reply, not one per line.
  const auto end = Clock::now() + deadline_;
  std::string line;
  while (true) {
    if (Exchange e = ReadBefore(line, end); !e.ok()) return e;
    if (line == "end") return {};
    if (EngineClient::IsErrReply(line) && state.empty())
      return Failure(Exchange::kErr, ErrText(line));
    const auto f = protocol::SplitFields(line);
    if (f.size() != 3 || f[0] != "kv") return Unexpected("dump", line);
    Result<std::string> key = protocol::Decode(f[1]);
    Result<std::string> value = protocol::Decode(f[2]);
    if (!key.ok() || !value.ok()) {
      return Failure(Exchange::kProtocolError,
                     "badly encoded key or value in dump: " + protocol::Readable(line, 120));
    }
    // Two values for one key: the engine's own state is inconsistent (a
    // damaged B-tree does this), which is data corruption, not a broken
    // adapter. The rest of the dump is still read, to keep framing.
    if (!state.emplace(std::move(key.value()), std::move(value.value())).second && !inconsistency) {
      inconsistency = "the dump lists key '" + protocol::Printable(f[1], 60) + "' twice";
    }
  }
}

Exchange EngineClient::Check(std::optional<std::string>& check_error) {
  check_error.reset();
  if (Exchange e = Send("check\n"); !e.ok()) return e;
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  if (line == "ok" || line == "unsupported") return {};
  if (EngineClient::IsErrReply(line)) {
    check_error = ErrText(line);
    return {};
  }
  return Unexpected("check", line);
}

Exchange EngineClient::Close() { return OkOrErr("close"); }

Exchange EngineClient::Points(std::vector<std::string>& names) {
  names.clear();
  if (Exchange e = Send("points\n"); !e.ok()) return e;
  std::string line;
  if (Exchange e = Read(line); !e.ok()) return e;
  const auto f = protocol::SplitFields(line);
  if (f[0] != "ok") return Unexpected("points", line);
  for (std::size_t i = 1; i < f.size(); ++i) {
    Result<std::string> name = protocol::Decode(f[i]);
    if (!name.ok() || name->empty()) return Unexpected("points", line);
    names.push_back(std::move(name.value()));
  }
  return {};
}

}  // namespace crashlab
