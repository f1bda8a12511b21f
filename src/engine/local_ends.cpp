#include "sipwire/engine/local_ends.h"

#include "substring.h"

namespace sipwire {

bool LocalEnds::mentioned_in(std::string_view text) const {
  return contains(text, primary_.host) || (has_other_ && contains(text, other_.host));
}

}  // namespace sipwire
