#include "sipwire/auth/challenge.h"

#include <cstring>

#include "sipwire/auth/digest_hash.h"

namespace sipwire::auth {

ChallengeKind challenge_kind_for(std::string_view method) {
  return method == "REGISTER" ? ChallengeKind::kWwwAuthenticate : ChallengeKind::kProxyAuthenticate;
}

uint16_t status_code(ChallengeKind kind) {
  return kind == ChallengeKind::kWwwAuthenticate ? 401 : 407;
}

std::string_view challenge_header_name(ChallengeKind kind) {
  return kind == ChallengeKind::kWwwAuthenticate ? "WWW-Authenticate" : "Proxy-Authenticate";
}

std::string_view credentials_header_name(ChallengeKind kind) {
  return kind == ChallengeKind::kWwwAuthenticate ? "Authorization" : "Proxy-Authorization";
}

namespace {

struct Writer {
  std::span<char> out;
  std::size_t pos = 0;
  bool overflow = false;

  void put(std::string_view s) {
    if (overflow || s.size() > out.size() - pos) {
      overflow = true;
      return;
    }
    std::memcpy(out.data() + pos, s.data(), s.size());
    pos += s.size();
  }
  void put_quoted(std::string_view s) {
    put("\"");
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '"' || s[i] == '\\') put("\\");
      put(s.substr(i, 1));
    }
    put("\"");
  }
};

}  // namespace

std::size_t write_challenge(ChallengeKind kind, std::string_view realm, std::string_view nonce,
                            bool stale, std::span<char> out,
                            std::span<const Algorithm> algorithms) {
  Writer w{out};
  for (Algorithm a : algorithms) {
    w.put(challenge_header_name(kind));
    w.put(": Digest realm=");
    w.put_quoted(realm);
    w.put(", nonce=");
    w.put_quoted(nonce);
    w.put(", algorithm=");
    w.put(to_string(a));
    w.put(", qop=\"auth\"");
    if (stale) w.put(", stale=true");
    w.put("\r\n");
  }
  return w.overflow ? 0 : w.pos;
}

}  // namespace sipwire::auth
