#include "sipwire/header_id.h"

#include "parse_header_name.h"

namespace sipwire {

const std::array<HeaderInfo, kHeaderIdCount> kHeaderInfo = detail::header_table::build_info();

HeaderId classify_header_name(std::string_view name, const char* readable_end) {
  return detail::classify_name(name.data(), name.size(), readable_end);
}

}  // namespace sipwire
