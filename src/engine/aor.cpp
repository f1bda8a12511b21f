#include "sipwire/engine/aor.h"

#include <cstring>

#include "sipwire/chars.h"

namespace sipwire {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return chars::lower(c) - 'a' + 10;
}
}  // namespace

bool Aor::assign(const Uri& uri, std::string_view canonical_host) {
  len_ = 0;
  if (!uri.is_sip() || uri.host.empty()) return false;
  // Fast path, taken for nearly every AOR (one per request routed): no escape in the user
  // part, and room for the longest result, so the parts are copied whole, without a bounds
  // check per byte. The general loop below gives the same bytes.
  const std::string_view host = canonical_host.empty() ? uri.host : canonical_host;
  if (uri.scheme.size() + uri.user.size() + host.size() + 8 <= buf_.size() &&
      uri.user.find('%') == std::string_view::npos) {
    char* out = buf_.data();
    for (char c : uri.scheme) *out++ = chars::lower(c);
    *out++ = ':';
    if (!uri.user.empty()) {
      std::memcpy(out, uri.user.data(), uri.user.size());
      out += uri.user.size();
      *out++ = '@';
    }
    host_at_ = static_cast<std::size_t>(out - buf_.data());
    for (char c : host) *out++ = chars::lower(c);
    host_len_ = host.size();
    if (uri.has_port && canonical_host.empty()) {
      char digits[6];
      std::size_t n = 0;
      for (unsigned p = uri.port; p > 0 || n == 0; p /= 10)
        digits[n++] = static_cast<char>('0' + p % 10);
      *out++ = ':';
      while (n > 0) *out++ = digits[--n];
    }
    len_ = static_cast<std::size_t>(out - buf_.data());
    return true;
  }
  auto put = [this](char c) {
    if (len_ == buf_.size()) return false;
    buf_[len_++] = c;
    return true;
  };
  // Both sip: and sips: AORs are stored as written: they are different AORs (§19.1.4).
  for (char c : uri.scheme)
    if (!put(chars::lower(c))) return false;
  if (!put(':')) return false;
  for (std::size_t i = 0; i < uri.user.size(); ++i) {
    char c = uri.user[i];
    if (c == '%' && i + 2 < uri.user.size()) {  // parse_uri guarantees two hex digits follow
      c = static_cast<char>(hex_value(uri.user[i + 1]) * 16 + hex_value(uri.user[i + 2]));
      i += 2;
    }
    if (!put(c)) return false;
  }
  if (!uri.user.empty() && !put('@')) return false;
  host_at_ = len_;
  for (char c : canonical_host.empty() ? uri.host : canonical_host)
    if (!put(chars::lower(c))) return false;
  host_len_ = len_ - host_at_;
  if (uri.has_port && canonical_host.empty()) {
    char digits[6];
    std::size_t n = 0;
    for (unsigned p = uri.port; p > 0 || n == 0; p /= 10)
      digits[n++] = static_cast<char>('0' + p % 10);
    if (!put(':')) return false;
    while (n > 0)
      if (!put(digits[--n])) return false;
  }
  return true;
}

}  // namespace sipwire
