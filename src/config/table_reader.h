// Strict, typed reading of one TOML table: every key must be known, every value must have the
// expected type and lie in its range. Each failure is reported to Diagnostics with the key's
// dotted path and position; reading goes on so the earliest error in the file wins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "diagnostics.h"

namespace sipwire::config_internal {

// "a string", "an integer", ...: for "must be X, not Y" messages.
std::string_view type_name(toml::node_type type);

// `node` as a short TOML literal for messages ("\"60\"", "12", "true"); empty for tables.
std::string literal_of(const toml::node& node);

class TableReader {
 public:
  // `path` prefixes key paths in messages: "" at the top level, "registrar", "listen[0]".
  // `header` names the table where an unknown key sits: "[registrar]", "[[listen]]".
  TableReader(const toml::table& table, std::string path, std::string header, Diagnostics& diag,
              KeyPositions& positions);

  // Reports every key not in `known` (with a "did you mean" when one is close). Call once,
  // before reading, with every key the table may hold.
  void only_keys(std::initializer_list<std::string_view> known);

  // The value of `key`, or null when absent. Records the key's position.
  const toml::node* find(std::string_view key);

  // Each reader leaves `out` untouched when the key is absent or wrong, and returns whether
  // the key was present and valid.
  bool read_uint(std::string_view key, int64_t min, int64_t max, uint32_t& out);
  bool read_bool(std::string_view key, bool& out);
  bool read_string(std::string_view key, std::string& out);
  // A string that must be one of `choices`; `out` is its index there.
  bool read_choice(std::string_view key, std::initializer_list<std::string_view> choices,
                   std::size_t& out);

  // Reports that `key` is required and absent, at the table's position.
  void require(std::string_view key);

  // "registrar.min_expires", or "mode" at the top level.
  std::string key_path(std::string_view key) const;
  Position position() const { return position_of(table_.source()); }
  Diagnostics& diagnostics() { return diag_; }

  // Reports a wrong type for `key`.
  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);

 private:
  const toml::table& table_;
  std::string path_;
  std::string header_;
  Diagnostics& diag_;
  KeyPositions& positions_;
};

}  // namespace sipwire::config_internal
