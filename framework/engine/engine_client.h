// The controller's side of engine protocol v1 (docs/engine-protocol.md) over
// one EngineProcess. Each call is one exchange with a deadline, and says
// precisely how it went, so the case runner can turn it into a verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/engine/engine_process.h"
#include "framework/plan/workload.h"

namespace crashlab {

struct Exchange {
  enum Kind {
    kOk,             // the expected reply
    kErr,            // the engine answered `err <message>`
    kDied,           // the engine's output ended (it exited or closed stdout)
    kHang,           // the deadline passed
    kProtocolError,  // a malformed or unexpected reply
  };
  Kind kind = kOk;
  std::string message;  // the err text, or what went wrong; printable
  bool ok() const { return kind == kOk; }
};

struct HelloReply {
  int version = 0;
  std::string name;
  std::vector<std::string> capabilities;
};

class EngineClient {
 public:
  EngineClient(EngineProcess& process, Millis deadline) : process_(process), deadline_(deadline) {}

  Exchange Hello(HelloReply& reply);
  Exchange Open(const std::string& dir);
  // Sends the transaction's lines without waiting for the reply.
  Exchange SendTxn(const Txn& txn);
  // Reads the reply to a transaction: kOk for `ok`, kErr for `err`.
  Exchange AwaitTxnReply();
  // Classifies a txn reply read after the engine was killed.
  static bool IsAck(const std::string& line) { return line == "ok"; }
  // `err` or `err <message>`, not "errata".
  static bool IsErrReply(const std::string& line) {
    return line == "err" || line.rfind("err ", 0) == 0;
  }
  // kOk for ok and for unsupported (then `supported` is false).
  Exchange Checkpoint(bool& supported);
  // Reads the whole dump into `state`. A key listed twice is not a protocol
  // error but an inconsistent engine: `inconsistency` says so (the first
  // value is kept), and the case judges it as corrupt.
  Exchange Dump(KvState& state, std::optional<std::string>& inconsistency);
  // kOk when the check passed or is unsupported; `check_error` gets the
  // engine's message when its check failed.
  Exchange Check(std::optional<std::string>& check_error);
  Exchange Close();
  // Sends the lines of `requests` requests at once (e.g. open, dump, check,
  // close), before the calls that read their replies, which then send
  // nothing: the engine wakes once instead of once per request. Replies come
  // in order, so this changes nothing the engine can see.
  Exchange SendAhead(const std::string& lines, int requests);
  // The engine's named fault points; only for engines with the `points`
  // capability.
  Exchange Points(std::vector<std::string>& names);

 private:
  Exchange Send(const std::string& line);
  Exchange Read(std::string& line);
  Exchange ReadBefore(std::string& line, std::chrono::steady_clock::time_point end);
  Exchange OkOrErr(const std::string& request);

  EngineProcess& process_;
  Millis deadline_;
  int ahead_ = 0;  // requests SendAhead sent whose own Send is to be skipped
};

}  // namespace crashlab
