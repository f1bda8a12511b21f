// Who may claim which identity: the authenticated Digest username must be the user part of the
// From URI (To for REGISTER, whose To names the address-of-record being registered; a third
// party registering someone else is refused too). A mismatch is answered 403 Forbidden.
#pragma once

#include <string_view>

namespace sipwire::auth {

// `uri_user` is the user part as written in the URI (it may contain %-escapes, which are
// decoded before comparing, RFC 3261 §19.1.4); the comparison is case-sensitive. An empty URI
// user never matches.
bool identity_matches(std::string_view authenticated_user, std::string_view uri_user);

// The user part the method's identity is in: To for REGISTER, From otherwise.
inline std::string_view identity_user_for(std::string_view method, std::string_view from_user,
                                          std::string_view to_user) {
  return method == "REGISTER" ? to_user : from_user;
}

}  // namespace sipwire::auth
