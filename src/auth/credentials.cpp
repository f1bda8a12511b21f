#include "sipwire/auth/credentials.h"

namespace sipwire::auth {

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// RFC 3261 token characters.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

enum class Param : uint8_t {
  kUsername,
  kRealm,
  kNonce,
  kUri,
  kResponse,
  kCnonce,
  kOpaque,
  kQop,
  kNc,
  kAlgorithm,
  kOther
};

Param classify(std::string_view name) {
  struct Entry {
    std::string_view name;
    Param param;
  };
  static constexpr Entry kNames[] = {
      {"username", Param::kUsername},
      {"realm", Param::kRealm},
      {"nonce", Param::kNonce},
      {"uri", Param::kUri},
      {"response", Param::kResponse},
      {"cnonce", Param::kCnonce},
      {"opaque", Param::kOpaque},
      {"qop", Param::kQop},
      {"nc", Param::kNc},
      {"algorithm", Param::kAlgorithm},
  };
  for (const Entry& e : kNames) {
    if (iequals(name, e.name)) return e.param;
  }
  return Param::kOther;
}

struct Parser {
  std::string_view text;
  std::size_t pos = 0;
  const char* origin;
  DigestCredentials& out;

  ParseError fail(std::string_view why) const {
    return ParseError::bad(static_cast<uint32_t>(text.data() + pos - origin), why);
  }
  bool at_end() const { return pos >= text.size(); }
  void skip_ws() {
    while (!at_end() && is_ws(text[pos])) ++pos;
  }

  // A quoted string starting at pos (the opening quote). Unescapes into scratch when needed.
  ParseError quoted(std::string_view& value) {
    ++pos;  // opening quote
    std::size_t start = pos;
    bool escaped = false;
    while (true) {
      if (at_end()) return fail("unterminated quoted string in credentials");
      char c = text[pos];
      if (c == '"') break;
      if (c == '\\') {
        if (pos + 1 >= text.size()) return fail("unterminated quoted string in credentials");
        char next = text[pos + 1];
        if (next == '\r' || next == '\n') return fail("bad quoted-pair in credentials");
        escaped = true;
        pos += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20 && !is_ws(c)) {
        return fail("control character in quoted string");
      }
      ++pos;
    }
    std::string_view raw = text.substr(start, pos - start);
    ++pos;  // closing quote
    if (!escaped) {
      value = raw;
      return ParseError::none();
    }
    char* dst = out.scratch + out.scratch_used;
    std::size_t room = sizeof(out.scratch) - out.scratch_used, n = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\') ++i;
      if (n == room) return fail("credentials too long to unescape");
      dst[n++] = raw[i];
    }
    out.scratch_used = static_cast<uint16_t>(out.scratch_used + n);
    value = {dst, n};
    return ParseError::none();
  }

  ParseError token(std::string_view& value) {
    std::size_t start = pos;
    while (!at_end() && is_token_char(text[pos])) ++pos;
    if (pos == start) return fail("expected a token in credentials");
    value = text.substr(start, pos - start);
    return ParseError::none();
  }
};

bool parse_nc(std::string_view nc, uint32_t& value) {
  if (nc.size() != 8) return false;
  uint32_t v = 0;
  for (char c : nc) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint32_t>(d);
  }
  value = v;
  return true;
}

}  // namespace

bool is_digest(std::string_view value) {
  std::size_t i = 0;
  while (i < value.size() && is_ws(value[i])) ++i;
  value.remove_prefix(i);
  if (value.size() < 6 || !iequals(value.substr(0, 6), "Digest")) return false;
  return value.size() == 6 || is_ws(value[6]);
}

ParseError parse_digest_credentials(std::string_view value, DigestCredentials& out, Source src) {
  // Field by field: the scratch buffer need not be cleared.
  out.username = out.realm = out.nonce = out.uri = out.response = {};
  out.cnonce = out.opaque = out.qop = out.nc = out.algorithm_token = {};
  out.nc_value = 0;
  out.algorithm = Algorithm::kMd5;
  out.algorithm_supported = true;
  out.scratch_used = 0;
  Parser p{value, 0, src.origin ? src.origin : value.data(), out};

  p.skip_ws();
  std::string_view scheme;
  if (ParseError e = p.token(scheme)) return e;
  if (!iequals(scheme, "Digest")) return p.fail("credentials scheme is not Digest");
  if (p.at_end() || !is_ws(value[p.pos])) return p.fail("expected parameters after Digest");

  bool seen[static_cast<int>(Param::kOther)] = {};
  bool any = false;
  while (true) {
    p.skip_ws();
    if (p.at_end()) break;
    if (value[p.pos] == ',') {  // empty list element (RFC 7230 §7 allows them)
      ++p.pos;
      continue;
    }
    std::size_t name_at = p.pos;
    std::string_view name, param_value;
    if (ParseError e = p.token(name)) return e;
    p.skip_ws();
    if (p.at_end() || value[p.pos] != '=') return p.fail("expected '=' after parameter name");
    ++p.pos;
    p.skip_ws();
    if (p.at_end()) return p.fail("missing parameter value");
    if (value[p.pos] == '"') {
      if (ParseError e = p.quoted(param_value)) return e;
    } else if (ParseError e = p.token(param_value)) {
      return e;
    }
    p.skip_ws();
    if (!p.at_end()) {
      if (value[p.pos] != ',') return p.fail("expected ',' between parameters");
      ++p.pos;
    }
    any = true;

    Param which = classify(name);
    if (which == Param::kOther) continue;
    int index = static_cast<int>(which);
    if (seen[index]) {
      return ParseError::bad(static_cast<uint32_t>(value.data() + name_at - p.origin),
                             "duplicate credentials parameter");
    }
    seen[index] = true;
    switch (which) {
      case Param::kUsername:
        out.username = param_value;
        break;
      case Param::kRealm:
        out.realm = param_value;
        break;
      case Param::kNonce:
        out.nonce = param_value;
        break;
      case Param::kUri:
        out.uri = param_value;
        break;
      case Param::kResponse:
        out.response = param_value;
        break;
      case Param::kCnonce:
        out.cnonce = param_value;
        break;
      case Param::kOpaque:
        out.opaque = param_value;
        break;
      case Param::kQop:
        out.qop = param_value;
        break;
      case Param::kNc:
        out.nc = param_value;
        if (!parse_nc(param_value, out.nc_value) || out.nc_value == 0) {
          return ParseError::bad(static_cast<uint32_t>(value.data() + name_at - p.origin),
                                 "nc is not 8 hex digits above zero");
        }
        break;
      case Param::kAlgorithm: {
        out.algorithm_token = param_value;
        auto a = algorithm_from_string(param_value);
        out.algorithm_supported = a.has_value();
        if (a) out.algorithm = *a;
        break;
      }
      case Param::kOther:
        break;
    }
  }
  if (!any) return p.fail("Digest credentials without parameters");
  auto require = [&](Param which, std::string_view why) {
    return seen[static_cast<int>(which)] ? ParseError::none() : p.fail(why);
  };
  for (ParseError e : {require(Param::kUsername, "credentials lack username"),
                       require(Param::kRealm, "credentials lack realm"),
                       require(Param::kNonce, "credentials lack nonce"),
                       require(Param::kUri, "credentials lack uri"),
                       require(Param::kResponse, "credentials lack response")}) {
    if (e) return e;
  }
  if (seen[static_cast<int>(Param::kQop)]) {
    if (ParseError e = require(Param::kCnonce, "credentials with qop lack cnonce")) return e;
    if (ParseError e = require(Param::kNc, "credentials with qop lack nc")) return e;
  }
  return ParseError::none();
}

}  // namespace sipwire::auth
