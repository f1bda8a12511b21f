// sipwire-parse: reads SIP messages from files or stdin, parses each with the sipwire parser,
// and prints what it found, or the defect with the status code a proxy answers it with.
// Operators use it to see why sipwire rejects a captured message.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "sipwire/message.h"
#include "sipwire/stream_framer.h"
#include "sipwire/validate.h"

namespace {

using namespace sipwire;

struct Position {
  std::size_t line = 1, column = 1;
};

Position position_of(std::string_view bytes, std::size_t offset) {
  Position p;
  for (std::size_t i = 0; i < offset && i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// Printable form of a field: folds become one space, control bytes become \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      ++i;
      out += ' ';
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_error(std::ostream& os, std::string_view bytes, const ParseError& e, bool request) {
  const Position p = position_of(bytes, e.offset);
  os << "  defect   " << e.status << " " << e.reason << " (line " << p.line << ", column "
     << p.column << ", byte " << e.offset << ")\n";
  if (request)
    os << "  verdict  a proxy answers SIP/2.0 " << e.status << " " << e.reason << "\n";
  else
    os << "  verdict  a proxy drops it (a response is never answered)\n";
}

void print_fields(std::ostream& os, const Message& m) {
  const Via& v = m.top_via();
  unsigned vias = 0;
  HeaderElements it(m, HeaderId::kVia);
  std::string_view el;
  while (it.next(el)) ++vias;
  os << "  via      " << v.protocol << "/" << v.version << "/" << v.transport << " "
     << printable(v.host);
  if (v.has_port) os << ":" << v.port;
  os << " branch=" << (v.branch.empty() ? "(none)" : printable(v.branch)) << " (" << vias
     << (vias == 1 ? " value)\n" : " values)\n");
  os << "  from     " << printable(m.from().uri) << " tag=" << printable(m.from().tag()) << "\n";
  os << "  to       " << printable(m.to().uri) << " tag=" << printable(m.to().tag()) << "\n";
  os << "  call-id  " << printable(m.call_id()) << "\n";
  os << "  cseq     " << m.cseq().number << " " << printable(m.cseq().method_name) << "\n";
  if (m.has_max_forwards()) os << "  max-fwd  " << m.max_forwards() << "\n";
  os << "  size     " << m.header_count() << " header fields, body " << m.body().size()
     << " bytes\n";
}

// Returns true when the message is valid.
bool report(std::ostream& os, std::string_view name, std::string_view bytes, Framing framing) {
  Message m;
  ParseOptions opts;
  opts.framing = framing;
  const ParseError e = parse_message(bytes, m, opts);
  os << name << ": ";
  if (e) {
    os << "invalid\n";
    print_error(os, bytes, e, m.is_request());
    return false;
  }
  if (m.is_request())
    os << "valid request " << printable(m.method_name()) << " " << printable(m.request_uri_text())
       << "\n";
  else
    os << "valid response " << m.status_code() << " " << printable(m.reason_phrase()) << "\n";
  print_fields(os, m);
  if (bytes.size() > m.size())
    os << "  note     " << bytes.size() - m.size() << " bytes after the message are ignored\n";

  if (m.is_request()) {
    // The stateless checks of RFC 3261 §16.3, in the order a proxy applies them.
    ParseError proxy = check_request_uri_scheme(m);
    if (!proxy) proxy = check_max_forwards(m);
    const UnsupportedTags unsupported = check_proxy_require(m, {});
    if (!proxy) proxy = unsupported.error;
    if (proxy) {
      os << "  verdict  a proxy answers SIP/2.0 " << proxy.status << " " << proxy.reason;
      if (proxy.status == status::kBadExtension) {
        os << " with Unsupported:";
        for (std::size_t i = 0; i < unsupported.count; ++i)
          os << (i ? ", " : " ") << unsupported.tags[i];
      }
      os << "\n";
    } else {
      os << "  verdict  a proxy forwards it\n";
    }
  }
  if (const ParseError strict = validate_all(m)) {
    const Position p = position_of(bytes, strict.offset);
    os << "  strict   " << strict.status << " " << strict.reason << " (line " << p.line
       << ", column " << p.column << "): a registrar or UAS that reads this field rejects it\n";
  }
  return true;
}

std::string read_all(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sipwire-parse: parse SIP messages and show what sipwire finds in them.\n"
      "Each FILE holds one message (a UDP datagram); '-' or no FILE reads stdin."};
  std::vector<std::string> files;
  bool stream = false;
  app.add_option("files", files, "message files ('-' for stdin)");
  app.add_flag("--stream", stream,
               "treat each input as a TCP byte stream: frame messages by Content-Length");
  CLI11_PARSE(app, argc, argv);

  if (files.empty()) {
    if (isatty(STDIN_FILENO))
      std::cerr << "sipwire-parse: reading a message from stdin (end with Ctrl-D)\n";
    files.emplace_back("-");
  }
  bool all_valid = true;
  for (const std::string& f : files) {
    std::string bytes;
    if (f == "-") {
      bytes = read_all(std::cin);
    } else {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::cerr << "sipwire-parse: cannot read " << f << "\n";
        return 2;
      }
      bytes = read_all(in);
    }
    if (!stream) {
      all_valid &= report(std::cout, f == "-" ? "stdin" : f, bytes, Framing::kDatagram);
      continue;
    }
    std::string_view rest = bytes;
    for (unsigned n = 1; !rest.empty();) {
      const Frame frame = find_frame(rest);
      const std::string label = (f == "-" ? std::string("stdin") : f) + "#" + std::to_string(n);
      if (frame.kind == Frame::Kind::kPing || frame.kind == Frame::Kind::kPong) {
        rest.remove_prefix(frame.length);
        continue;
      }
      if (frame.kind == Frame::Kind::kNeedMore) {
        std::cout << label << ": incomplete: the stream ends inside a message\n";
        all_valid = false;
        break;
      }
      if (frame.kind == Frame::Kind::kError) {
        std::cout << label << ": invalid framing, the connection is closed\n";
        print_error(std::cout, rest, frame.error, true);
        all_valid = false;
        break;
      }
      all_valid &= report(std::cout, label, rest.substr(0, frame.length), Framing::kStream);
      rest.remove_prefix(frame.length);
      ++n;
    }
  }
  return all_valid ? 0 : 1;
}
