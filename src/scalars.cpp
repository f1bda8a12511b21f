#include "sipwire/scalars.h"

#include "cursor.h"

namespace sipwire {

Method classify_method(std::string_view t) {
  switch (t.size()) {
    case 3:
      if (t == "ACK") return Method::kAck;
      if (t == "BYE") return Method::kBye;
      break;
    case 4:
      if (t == "INFO") return Method::kInfo;
      break;
    case 5:
      if (t == "PRACK") return Method::kPrack;
      if (t == "REFER") return Method::kRefer;
      break;
    case 6:
      if (t == "INVITE") return Method::kInvite;
      if (t == "CANCEL") return Method::kCancel;
      if (t == "UPDATE") return Method::kUpdate;
      if (t == "NOTIFY") return Method::kNotify;
      break;
    case 7:
      if (t == "OPTIONS") return Method::kOptions;
      if (t == "MESSAGE") return Method::kMessage;
      if (t == "PUBLISH") return Method::kPublish;
      break;
    case 8:
      if (t == "REGISTER") return Method::kRegister;
      break;
    case 9:
      if (t == "SUBSCRIBE") return Method::kSubscribe;
      break;
    default:
      break;
  }
  return Method::kExtension;
}

bool parse_bounded_uint(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (!chars::is_digit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool parse_delta_seconds_any(std::string_view text, uint32_t& out) {
  if (text.empty()) return false;
  // Nineteen digits cannot overflow 64 bits; past them, the value grows only while it still
  // fits 32 bits (leading zeros), then saturates.
  uint64_t v = 0;
  const std::size_t exact = text.size() < 19 ? text.size() : 19;
  for (std::size_t i = 0; i < exact; ++i) {
    const unsigned d = static_cast<unsigned char>(text[i]) - unsigned{'0'};
    if (d > 9) return false;
    v = v * 10 + d;
  }
  for (std::size_t i = exact; i < text.size(); ++i) {
    if (!chars::is_digit(text[i])) return false;
    if (v <= UINT32_MAX) v = v * 10 + static_cast<uint64_t>(text[i] - '0');  // leading zeros
  }
  out = v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
  return true;
}

ParseError parse_cseq(std::string_view value, CSeq& out, Source src) {
  detail::Cursor c(value, src);
  const std::string_view digits = c.take_while(chars::kDigit);
  if (digits.empty()) return c.error("CSeq does not start with a number");
  if (!parse_bounded_uint(digits, 0x7FFFFFFFu, out.number))
    return ParseError::bad(c.offset_of(digits.data()), "CSeq number too large");
  if (!c.skip_lws()) return c.error("Malformed CSeq");
  out.method_name = c.take_while(chars::kToken);
  if (out.method_name.empty() || !c.at_end()) return c.error("Malformed CSeq method");
  out.method = classify_method(out.method_name);
  return ParseError::none();
}

bool is_valid_call_id(std::string_view v) {
  // word [ "@" word ]
  const std::size_t at = v.find('@');
  auto word = [](std::string_view w) {
    if (w.empty()) return false;
    for (char c : w)
      if (!chars::is(c, chars::kWord)) return false;
    return true;
  };
  if (at == std::string_view::npos) return word(v);
  return word(v.substr(0, at)) && word(v.substr(at + 1));
}

}  // namespace sipwire
