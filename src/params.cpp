#include "sipwire/params.h"

#include <cstring>

#include "cursor.h"

namespace sipwire {

bool ParamIterator::next(Param& out) {
  while (!rest_.empty()) {
    // Find this parameter's end: the next ';' outside a quoted string. Most parameters hold
    // no quote: then the first ';' (memchr) is the end.
    std::size_t end = rest_.find(';');
    const std::size_t scanned = end == std::string_view::npos ? rest_.size() : end;
    if (std::memchr(rest_.data(), '"', scanned) != nullptr) {
      bool quoted = false;
      for (end = 0; end < rest_.size(); ++end) {
        const char c = rest_[end];
        if (quoted && c == '\\') {
          ++end;
        } else if (c == '"') {
          quoted = !quoted;
        } else if (c == ';' && !quoted) {
          break;
        }
      }
    } else {
      end = scanned;
    }
    const std::string_view item = rest_.substr(0, end);
    rest_ = end < rest_.size() ? rest_.substr(end + 1) : std::string_view{};
    const std::size_t eq = item.find('=');
    out.name = detail::trim_lws(item.substr(0, eq));
    out.has_value = eq != std::string_view::npos;
    out.value = out.has_value ? detail::trim_lws(item.substr(eq + 1)) : std::string_view{};
    if (!out.name.empty()) return true;
  }
  return false;
}

bool find_param(std::string_view params, std::string_view name, std::string_view* value) {
  ParamIterator it(params);
  Param p;
  while (it.next(p)) {
    if (chars::iequals(p.name, name)) {
      if (value) *value = p.value;
      return true;
    }
  }
  return false;
}

}  // namespace sipwire
