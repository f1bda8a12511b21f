#include "sipwire/header_id.h"

#include "parse_header_name.h"

namespace sipwire {

const std::array<HeaderInfo, kHeaderIdCount> kHeaderInfo = detail::header_table::build_info();

HeaderId classify_header_name(std::string_view name) {
  // classify_name folds case with OR 0x20, exact only for bytes a header line's name can hold
  // (a bare CR would fold onto '-'): a name from anywhere else is checked to be a token first.
  for (char c : name)
    if (!chars::is(c, chars::kToken)) return HeaderId::kOther;
  return detail::classify_name(name.data(), name.size());
}

}  // namespace sipwire
