// The users file: the HA1 hashes Digest authentication checks against (never passwords).
//
//   # comment
//   <username> <realm> <algorithm> <HA1 hex>
//   alice example.com SHA-256 5a2e...      (64 hex digits for SHA-256, 32 for MD5)
//   alice example.com MD5 939e...
//
// One line per user, realm and algorithm; fields are separated by spaces or tabs, so usernames
// and realms cannot contain them. Usernames and realms compare exactly (case-sensitive).
// `tools/sipwire-passwd` writes the lines.
//
// Loading builds a new, immutable UsersTable or returns the first error as "file:line: what";
// nothing is half-loaded. Reload = load a new table and swap the pointer the shards read (the
// caller owns the swap, e.g. std::atomic<std::shared_ptr<const UsersTable>>). Lookups do not
// allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/auth/digest_hash.h"

namespace sipwire::auth {

class UsersTable {
 public:
  struct Entry {
    std::string username;
    std::string realm;
    Algorithm algorithm = Algorithm::kMd5;
    HexDigest ha1;  // lower-case
  };

  UsersTable() = default;

  // The HA1 for (username, realm, algorithm), or nullptr.
  const HexDigest* find(std::string_view username, std::string_view realm,
                        Algorithm algorithm) const;
  std::size_t size() const { return entries_.size(); }

 private:
  friend struct UsersTableBuilder;
  std::vector<Entry> entries_;  // sorted by (username, realm, algorithm)
};

struct UsersLoad {
  std::optional<UsersTable> table;  // set on success
  std::string error;                // "name:line: what" on failure
};

// Parses the text of a users file; `name` prefixes error messages.
UsersLoad parse_users_file(std::string_view text, std::string_view name);
// Reads and parses the file at `path`.
UsersLoad load_users_file(const std::string& path);

// The text of a users file after setting (username, realm)'s entries to the given HA1s: every
// existing line for that user and realm (any algorithm) is removed, the rest (comments too) is
// kept as it was, and one SHA-256 and one MD5 line are appended. Used by sipwire-passwd.
std::string set_user_in_users_file(std::string_view text, std::string_view username,
                                   std::string_view realm, const HexDigest& ha1_sha256,
                                   const HexDigest& ha1_md5);

}  // namespace sipwire::auth
