// libFuzzer target: the TCP stream framer, fed a byte stream and consumed frame by frame the
// way a connection would. A frame never reaches past the stream, and always makes progress.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/stream_framer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipwire;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  static auto msg = std::make_unique<Message>();
  ParseOptions opts;
  opts.framing = Framing::kStream;
  while (!rest.empty()) {
    const Frame f = find_frame(rest, 4096);
    if (f.kind == Frame::Kind::kNeedMore || f.kind == Frame::Kind::kError) break;
    if (f.length == 0 || f.length > rest.size()) std::abort();
    if (f.kind == Frame::Kind::kMessage) {
      const ParseError e = parse_message(rest.substr(0, f.length), *msg, opts);
      // A framed message that parses occupies exactly its frame.
      if (e.ok() && msg->size() != f.length) std::abort();
    }
    rest.remove_prefix(f.length);
  }
  return 0;
}
