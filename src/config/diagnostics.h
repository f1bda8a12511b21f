// Where things are in the config file, and the error to report about it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "sipwire/config.h"

namespace sipwire::config_internal {

struct Position {
  uint32_t line = 0;  // 0: nowhere in the file
  uint32_t column = 0;
};

inline Position position_of(const toml::source_region& region) {
  return {region.begin.line, region.begin.column};
}

// Collects errors and keeps the one earliest in the file, so the operator sees problems in
// the order they read the file whatever order the checks run in. Errors without a position
// (a missing [[listen]]) rank last: any located error is more useful to fix first.
class Diagnostics {
 public:
  explicit Diagnostics(std::string_view file) { error_.file = file; }

  void fail(Position at, std::string message);
  bool failed() const { return failed_; }
  const ConfigError& error() const { return error_; }

 private:
  bool failed_ = false;
  ConfigError error_;
};

// Where each key given in the file is, by dotted path ("registrar.min_expires",
// "listen[1].port"); also each table ("registrar", "listen[1]"). Checks that relate two keys
// run after the file is read and look their positions up here.
class KeyPositions {
 public:
  void record(std::string path, Position at) { positions_.insert_or_assign(std::move(path), at); }
  std::optional<Position> find(const std::string& path) const;

 private:
  std::map<std::string, Position, std::less<>> positions_;
};

}  // namespace sipwire::config_internal
