// Parameters of a header element (";name=value" after a URI, sent-by, etc.) and of a URI,
// read from text the parser has already validated. Names compare case-insensitively.
#pragma once

#include <string_view>

namespace sipwire {

struct Param {
  std::string_view name;
  std::string_view value;  // as written: quoted values keep their quotes
  bool has_value = false;
};

// Walks "a=1 ; b ; c = "x;y"" (the text after the first ';'). LWS around ';' and '=' is
// skipped; a ';' inside a quoted string does not split.
class ParamIterator {
 public:
  explicit ParamIterator(std::string_view params) : rest_(params) {}
  bool next(Param& out);

 private:
  std::string_view rest_;
};

// Finds a parameter by name. Returns false when absent; `value` is "" for a parameter present
// without a value (e.g. "lr").
bool find_param(std::string_view params, std::string_view name, std::string_view* value = nullptr);

// The value of a URI's maddr parameter (RFC 3261 §19.1.1), given its parameters, if it has
// one that is not empty. (Parameters shorter than "maddr" are not looked through: a Route's
// ";lr", nearly every one.)
inline bool find_maddr(std::string_view params, std::string_view& maddr) {
  return params.size() >= 5 && find_param(params, "maddr", &maddr) && !maddr.empty();
}

}  // namespace sipwire
