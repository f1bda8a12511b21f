#include "sipwire/auth/identity.h"

namespace sipwire::auth {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool identity_matches(std::string_view authenticated_user, std::string_view uri_user) {
  if (uri_user.empty()) return false;
  std::size_t a = 0;
  for (std::size_t i = 0; i < uri_user.size(); ++i) {
    char c = uri_user[i];
    if (c == '%') {
      if (i + 2 >= uri_user.size()) return false;
      int hi = hex_value(uri_user[i + 1]), lo = hex_value(uri_user[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi << 4 | lo);
      i += 2;
    }
    if (a == authenticated_user.size() || authenticated_user[a] != c) return false;
    ++a;
  }
  return a == authenticated_user.size();
}

}  // namespace sipwire::auth
