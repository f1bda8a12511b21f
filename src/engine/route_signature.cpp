#include "sipwire/engine/route_signature.h"

#include <random>

#include "hex_digits.h"
#include "sipwire/params.h"
#include "sipwire/siphash.h"

namespace sipwire {

namespace {
// SipHash-2-4: the rounds the authors give for a MAC (the tables' 1-3 is for hashing).
using Mac = detail::SipHash<2, 4>;
}  // namespace

RouteKey RouteKey::random() {
  std::random_device rd;
  return {detail::random_key_word(rd), detail::random_key_word(rd)};
}

RouteKey RouteKey::from_secret(std::string_view secret) {
  // Two PRF outputs of the secret under fixed keys: a long random secret gives a key as hard
  // to guess as itself (up to 128 bits).
  return {Mac::of(0x7369707769726531ull, 0x726f757465206b31ull, secret),
          Mac::of(0x7369707769726532ull, 0x726f757465206b32ull, secret)};
}

void write_route_signature(const RouteKey& key, std::string_view call_id,
                           char (&out)[kRouteSignatureSize]) {
  detail::write_hex16(Mac::of(key.k0, key.k1, call_id), out);
}

bool has_route_signature(const RouteKey& key, std::string_view call_id, const Uri& uri) {
  std::string_view value;
  if (!find_param(uri.params, kRouteSignatureName, &value) || value.size() != kRouteSignatureSize)
    return false;
  char expected[kRouteSignatureSize];
  write_route_signature(key, call_id, expected);
  // Compared without an early exit (a forger learns nothing from the time it takes), and
  // case-insensitively (we write lowercase; a UA that changed the case changed nothing else).
  unsigned diff = 0;
  for (std::size_t i = 0; i < kRouteSignatureSize; ++i)
    diff |= static_cast<unsigned char>((value[i] | 0x20) ^ expected[i]);
  return diff == 0;
}

}  // namespace sipwire
