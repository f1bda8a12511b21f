// Host names as the configuration uses them: checking the syntax of a domain an operator
// wrote, and comparing hosts the way DNS does (case-insensitively).
#pragma once

#include <string>
#include <string_view>

namespace sipwire::config_internal {

// Why `name` is not a valid hostname (RFC 1123 §2.1: dot-separated labels of letters, digits
// and inner hyphens, at most 63 octets each and 253 in all), or empty when it is one. The
// reason is a string literal.
std::string_view hostname_defect(std::string_view name);

std::string to_lower_ascii(std::string_view text);

// ASCII case-insensitive equality, without allocating (per-request use).
bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace sipwire::config_internal
