// A parsed SIP message: a view over the caller's bytes, never a copy.
//
// parse_message() runs two stages. Stage 1 (line_scanner.h) finds every line of the header
// block with SIMD. Stage 2 walks those lines once: it parses the start line, indexes every
// header field by name (long or compact, any case), and parses the fields a proxy routes by:
// Request-URI, top Via, From, To, Call-ID, CSeq, Max-Forwards and Content-Length. It checks the
// message's structure: mandatory headers, single-value headers appearing once, CSeq method
// against the request method, and the body against Content-Length (§18.3). From and To are
// parsed as name-addrs (display name, brackets, parameters, tag) but their URIs only checked for
// their shape (name_addr.h parse_from_to): §16.3 has a proxy ignore, and forward unchanged, the
// parts it does not use; the roles that use them (registrar, identity check) parse them.
//
// Every other field is indexed but parsed only on demand: through HeaderElements and the
// element parsers (via.h, name_addr.h, scalars.h), or all at once with validate_all()
// (validate.h). A Message holds no pointers into itself and may be reused for the next parse;
// parsing allocates nothing and throws nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "sipwire/header_id.h"
#include "sipwire/list_splitter.h"
#include "sipwire/name_addr.h"
#include "sipwire/parse_error.h"
#include "sipwire/scalars.h"
#include "sipwire/uri.h"
#include "sipwire/via.h"

namespace sipwire {

enum class Framing : uint8_t {
  kDatagram,  // UDP: the buffer is one datagram; Content-Length may be absent (§18.3)
  kStream,    // TCP/TLS: the buffer is one framed message; Content-Length is mandatory
};

struct ParseOptions {
  Framing framing = Framing::kDatagram;
  // Larger messages are answered 513. 65,535 covers any UDP datagram.
  std::size_t max_message_size = 65535;
};

struct HeaderField {
  HeaderId id;
  std::string_view name;   // as written
  std::string_view value;  // trimmed of LWS at both ends; may contain folds (CRLF SP)
  uint32_t offset;         // of the name, from the start of the buffer
};

class Message {
 public:
  static constexpr std::size_t kMaxHeaders = 128;
  static constexpr std::size_t kMaxLines = 256;  // header lines, folds included

  // --- the start line ---
  bool is_request() const { return is_request_; }
  Method method() const { return method_; }
  std::string_view method_name() const { return view(method_span_); }
  std::string_view request_uri_text() const { return view(ruri_); }
  const Uri& request_uri() const { return request_uri_; }
  std::string_view version() const { return view(version_); }
  uint16_t status_code() const { return status_code_; }
  std::string_view reason_phrase() const { return view(reason_); }

  // --- header fields, in order ---
  std::size_t header_count() const { return header_count_; }
  HeaderField header(std::size_t i) const;
  // First field with this id, or -1. Count of fields with this id.
  int find(HeaderId id) const { return first_[index(id)] == kNone ? -1 : first_[index(id)]; }
  unsigned count(HeaderId id) const { return count_[index(id)]; }
  // The fields with this id, in order: `for (const HeaderField f : m.fields(HeaderId::kVia))`.
  // The walk starts at the first and stops at the last (the parser counted them), so asking
  // for a header a message lacks costs nothing.
  class FieldsOf;
  FieldsOf fields(HeaderId id) const;
  // Value of the first field with this id ("" when absent: check has()).
  std::string_view value(HeaderId id) const;
  bool has(HeaderId id) const { return count(id) != 0; }
  // Offset just past the CRLF that ends field i, its continuation lines included (a value is
  // trimmed of LWS, so it may end before them): where the next field, or the empty line,
  // begins. [header(i).offset, field_end(i)) is the whole field.
  std::size_t field_end(std::size_t i) const {
    return i + 1 < header_count_ ? fields_[i + 1].name_offset : header_end() - 2;
  }
  // First field whose name equals `name` (case-insensitive), for extension headers; -1 if none.
  int find_by_name(std::string_view name) const;

  // --- fields parsed by parse_message ---
  std::string_view call_id() const { return value(HeaderId::kCallId); }
  const CSeq& cseq() const { return cseq_; }
  bool has_max_forwards() const { return max_forwards_ >= 0; }
  int max_forwards() const { return max_forwards_; }  // -1 when absent
  bool has_content_length() const { return has_content_length_; }
  uint32_t content_length() const { return content_length_; }
  const Via& top_via() const { return top_via_; }
  // From and To; their `uri` is shape-checked only (parse_from_to): parse_uri it to use it.
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  // A REGISTER's Contacts, parsed and validated by parse_message (a registrar stores them):
  // the first kKeptContacts elements, in order. contacts_kept() is false for other requests
  // and for a REGISTER with more Contacts than that (its Contact fields are parsed again).
  static constexpr std::size_t kKeptContacts = 4;
  bool contacts_kept() const { return contacts_parsed_ && contact_total_ <= kKeptContacts; }
  std::span<const NameAddr> contacts() const {
    return {contacts_.data(), contact_total_ < kKeptContacts ? contact_total_ : kKeptContacts};
  }

  std::string_view body() const { return view(body_); }
  // The bytes this message occupies: start line to the end of its body. Bytes after it in a
  // datagram are ignored (§18.3); in a stream they begin the next message.
  std::size_t size() const { return size_; }
  std::string_view bytes() const { return {data_, size_}; }
  // For parsing a field of this message again: error offsets from its start, and its bytes
  // readable to the end, so the parsers' vector paths apply (without it, a field near nothing
  // readable is checked byte by byte).
  Source source() const { return {data_, data_ + size_}; }
  // Offset where the body starts (just past the empty line).
  std::size_t header_end() const { return body_.offset; }

 private:
  friend ParseError parse_message(std::string_view, Message&, const ParseOptions&);
  friend class MessageParser;

  struct Span {
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  struct Field {
    uint32_t name_offset;
    uint32_t value_offset;  // trimmed of LWS at both ends
    uint32_t value_length;
    uint16_t name_length;
    HeaderId id;
  };
  static constexpr uint8_t kNone = 0xFF;

  std::string_view view(Span s) const { return {data_ + s.offset, s.length}; }

  const char* data_ = nullptr;
  std::size_t size_ = 0;
  bool is_request_ = false;
  Method method_ = Method::kExtension;
  Span method_span_, ruri_, version_, reason_, body_;
  uint16_t status_code_ = 0;
  Uri request_uri_;
  CSeq cseq_;
  int max_forwards_ = -1;
  bool has_content_length_ = false;
  uint32_t content_length_ = 0;
  Via top_via_;
  NameAddr from_, to_;
  bool contacts_parsed_ = false;
  std::size_t contact_total_ = 0;
  std::array<NameAddr, kKeptContacts> contacts_{};

  std::size_t header_count_ = 0;
  std::array<uint8_t, kHeaderIdCount> first_{};
  std::array<uint8_t, kHeaderIdCount> count_{};
  std::array<Field, kMaxHeaders> fields_;
  std::array<uint32_t, kMaxLines> line_ends_;
};

// Parses `buffer` into `out`. On error, `out` is partly filled (start line and fields found
// before the defect) and the error names the defect, its byte offset and the status a server
// answers with: 400 (malformed), 505 (SIP version), 513 (too large). Responses with errors
// are dropped by a proxy, not answered.
ParseError parse_message(std::string_view buffer, Message& out, const ParseOptions& options = {});

class Message::FieldsOf {
 public:
  class iterator {
   public:
    HeaderField operator*() const { return msg_->header(i_); }
    iterator& operator++() {
      if (--left_ != 0)
        while (msg_->fields_[++i_].id != id_) {
        }
      return *this;
    }
    bool operator==(std::default_sentinel_t) const { return left_ == 0; }

   private:
    friend class FieldsOf;
    iterator(const Message* msg, HeaderId id)
        : msg_(msg), id_(id), left_(msg->count(id)), i_(left_ != 0 ? msg->first_[index(id)] : 0) {}
    const Message* msg_;
    HeaderId id_;
    unsigned left_;  // fields of id_ from i_ on
    std::size_t i_;
  };
  iterator begin() const { return {msg_, id_}; }
  std::default_sentinel_t end() const { return {}; }

 private:
  friend class Message;
  FieldsOf(const Message& msg, HeaderId id) : msg_(&msg), id_(id) {}
  const Message* msg_;
  HeaderId id_;
};

inline Message::FieldsOf Message::fields(HeaderId id) const {
  return FieldsOf(*this, id);
}

// Iterates the elements of a list header across all its fields, in order: every Via value
// of every Via field, for instance. Elements are trimmed.
class HeaderElements {
 public:
  // The walk starts at the first field of `id` and stops after the last (the parser counted
  // them): a message without such a field costs nothing to ask (Route, on every request).
  HeaderElements(const Message& msg, HeaderId id) : field_(msg.fields(id).begin()), split_("") {
    advance_field();
  }
  // False when done. Empty elements come back as "" (callers reject them).
  bool next(std::string_view& element);

 private:
  void advance_field();
  Message::FieldsOf::iterator field_;  // the next field of the id to split
  ListSplitter split_;
  bool have_field_ = false;
};

// Inline: the engine walks the fields (Vias, Routes) many times per message, mostly to read
// only their id.
inline HeaderField Message::header(std::size_t i) const {
  const Field& f = fields_[i];
  return HeaderField{f.id,
                     {data_ + f.name_offset, f.name_length},
                     {data_ + f.value_offset, f.value_length},
                     f.name_offset};
}

}  // namespace sipwire
