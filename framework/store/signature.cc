#include "framework/store/signature.h"

#include <array>
#include <cctype>

#include "framework/base/vocabulary.h"

namespace crashlab {
namespace {

bool Alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool Digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool Hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool Space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool HexWord(std::string_view w) {
  if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
    for (char c : w.substr(2)) {
      if (!Hex(c)) return false;
    }
    return true;
  }
  bool digit = false, letter = false;
  for (char c : w) {
    if (!Hex(c)) return false;
    (Digit(c) ? digit : letter) = true;
  }
  return w.size() >= 4 && digit && letter;
}

// One whitespace-free, quote-free token.
void MaskToken(std::string_view token, std::string& out) {
  if (token.find('/') != std::string_view::npos) {
    std::size_t from = 0, to = token.size();
    while (from < to && std::string_view("([{<").find(token[from]) != std::string_view::npos) {
      ++from;
    }
    while (to > from &&
           std::string_view(".,;:)]}>").find(token[to - 1]) != std::string_view::npos) {
      --to;
    }
    out.append(token.substr(0, from));
    out += "<path>";
    out.append(token.substr(to));
    return;
  }
  for (std::size_t i = 0; i < token.size();) {
    if (!Alnum(token[i])) {
      out += token[i++];
      continue;
    }
    std::size_t end = i;
    while (end < token.size() && Alnum(token[end])) ++end;
    const std::string_view word = token.substr(i, end - i);
    if (HexWord(word)) {
      out += "<hex>";
    } else {
      for (std::size_t k = 0; k < word.size();) {
        if (!Digit(word[k])) {
          out += word[k++];
          continue;
        }
        while (k < word.size() && Digit(word[k])) ++k;
        out += 'N';
      }
    }
    i = end;
  }
}

// Where the quote opened at `open` closes, or npos: the same quote
// character followed by a non-letter or the end.
std::size_t QuoteEnd(std::string_view s, std::size_t open) {
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == s[open] && (i + 1 == s.size() || !Alnum(s[i + 1]))) return i;
  }
  return std::string_view::npos;
}

// crashlab's own frame around an engine's message names the crash kind
// ("open (recovery) after the power loss: ..."), and exploration, which
// judges a state for every kind that leaves it, says "after the crash": one
// cause either way (framework/case/case_steps.cc writes the frame).
std::string WithoutCrashKind(std::string_view details) {
  static constexpr std::array<std::string_view, 3> kFrames = {
      " after the power loss:", " after the kill:", " after the crash:"};
  std::string s(details);
  for (std::string_view frame : kFrames) {
    if (std::size_t at = s.find(frame); at != std::string::npos) {
      s.replace(at, frame.size(), ":");
      break;
    }
  }
  return s;
}

}  // namespace

std::string MaskMessage(std::string_view message) {
  std::string out;
  std::string token;
  auto flush = [&] {
    MaskToken(token, out);
    token.clear();
  };
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (Space(c)) {
      flush();
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    if ((c == '\'' || c == '"') && (i == 0 || !Alnum(message[i - 1]))) {
      if (std::size_t end = QuoteEnd(message, i); end != std::string_view::npos) {
        flush();
        out += c;
        out += "<q>";
        out += c;
        i = end;
        continue;
      }
    }
    token += c;
  }
  flush();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Signature::Text() const {
  return std::string(Name(verdict)) +
         (acked_lost ? ", acknowledged data lost" : ", nothing acknowledged lost") +
         (cause.empty() ? "" : ": " + cause);
}

Signature SignatureOf(Verdict verdict, std::string_view details, int64_t txns_acked) {
  Signature s;
  s.verdict = verdict;
  std::string cause(details);
  switch (verdict) {
    case Verdict::kPass:
      break;
    case Verdict::kLostAcked:
      s.acked_lost = true;
      cause.clear();
      break;
    case Verdict::kRecoveryFailed:
    case Verdict::kHang:
    case Verdict::kProtocolError:
      s.acked_lost = txns_acked > 0;
      cause = WithoutCrashKind(cause);
      break;
    case Verdict::kTornTxn:
    case Verdict::kHole:
    case Verdict::kCorrupt:
      if (std::size_t at = cause.find(kAckedLostSentence); at != std::string::npos) {
        s.acked_lost = true;
        cause.erase(at, kAckedLostSentence.size());
      }
      if (verdict != Verdict::kCorrupt) cause.clear();
      break;
  }
  s.cause = MaskMessage(cause);
  return s;
}

Signature SignatureOf(const CaseRecord& c) {
  return SignatureOf(c.verdict, c.details, c.txns_acked);
}

}  // namespace crashlab
