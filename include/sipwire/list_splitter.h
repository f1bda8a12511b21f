// Splits the value of a list header (Via, Contact, Route, Require, ...) into its elements at
// commas outside quoted strings and <...>, trimming LWS around each element.
#pragma once

#include <string_view>

namespace sipwire {

class ListSplitter {
 public:
  explicit ListSplitter(std::string_view value) : rest_(value), done_(false) {}

  // Returns false when the list is exhausted. An element may come back empty (",," or a
  // trailing comma): RFC 3261 lists have no null elements, so callers reject it.
  bool next(std::string_view& element);

 private:
  std::string_view rest_;
  bool done_;
};

}  // namespace sipwire
