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
    if (const void* q = std::memchr(rest_.data(), '"', scanned); q != nullptr) {
      // Quoted strings (a +sip.instance "<urn:uuid:...>" is some 50 bytes) are crossed with
      // memchr to their closing quote; one holding a backslash byte by byte.
      end = static_cast<std::size_t>(static_cast<const char*>(q) - rest_.data());
      while (end < rest_.size()) {
        const char c = rest_[end];
        if (c == ';') break;
        if (c != '"') {
          ++end;
          continue;
        }
        const char* open = rest_.data() + end + 1;
        const std::size_t left = rest_.size() - end - 1;
        const auto* close = static_cast<const char*>(std::memchr(open, '"', left));
        if (close != nullptr &&
            std::memchr(open, '\\', static_cast<std::size_t>(close - open)) == nullptr) {
          end = static_cast<std::size_t>(close - rest_.data()) + 1;
          continue;
        }
        // An escape inside, or no closing quote: the general loop to the end of the string.
        ++end;
        while (end < rest_.size() && rest_[end] != '"') end += rest_[end] == '\\' ? 2 : 1;
        if (end < rest_.size()) ++end;
      }
      if (end > rest_.size()) end = rest_.size();
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
