// libFuzzer target: the Digest credentials parser (Authorization / Proxy-Authorization values,
// attacker-controlled before any authentication). Besides crashes and sanitizer reports it
// fails when a parse that succeeded returns a field that is not a view of the input or of the
// credentials' own scratch (unescaped quoted strings).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipwire/auth/credentials.h"

namespace {

bool inside(std::string_view field, std::string_view in,
            const sipwire::auth::DigestCredentials& c) {
  if (field.empty()) return true;
  const auto within = [&](const char* b, std::size_t n) {
    return field.data() >= b && field.data() + field.size() <= b + n;
  };
  return within(in.data(), in.size()) || within(c.scratch, sizeof c.scratch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  sipwire::auth::DigestCredentials c;
  sipwire::auth::is_digest(in);
  if (sipwire::auth::parse_digest_credentials(in, c)) return 0;  // an error value: fine
  for (std::string_view f : {c.username, c.realm, c.nonce, c.uri, c.response, c.cnonce, c.opaque,
                             c.qop, c.nc, c.algorithm_token})
    if (!inside(f, in, c)) std::abort();
  return 0;
}
