#include "diagnostics.h"

#include <utility>

namespace sipwire::config_internal {

namespace {

// Line 0 (no position) sorts after every real line.
bool earlier(Position a, uint32_t line, uint32_t column) {
  if (a.line == 0) return false;
  if (line == 0) return true;
  return a.line < line || (a.line == line && a.column < column);
}

}  // namespace

void Diagnostics::fail(Position at, std::string message) {
  if (failed_ && !earlier(at, error_.line, error_.column)) return;
  failed_ = true;
  error_.line = at.line;
  error_.column = at.column;
  error_.message = std::move(message);
}

std::optional<Position> KeyPositions::find(const std::string& path) const {
  const auto it = positions_.find(path);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sipwire::config_internal
