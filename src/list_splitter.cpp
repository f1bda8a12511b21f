#include "sipwire/list_splitter.h"

#include "cursor.h"

namespace sipwire {

bool ListSplitter::next(std::string_view& element) {
  if (done_) return false;
  bool quoted = false;
  bool angle = false;
  std::size_t i = 0;
  for (; i < rest_.size(); ++i) {
    const char c = rest_[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      break;
    }
  }
  element = detail::trim_lws(rest_.substr(0, i));
  if (i >= rest_.size()) {
    done_ = true;
  } else {
    rest_ = rest_.substr(i + 1);
  }
  return true;
}

}  // namespace sipwire
