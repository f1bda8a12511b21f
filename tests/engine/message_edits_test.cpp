// MessageEdits: the received bytes with the proxy's edits, as gather segments.
#include "sipwire/engine/message_edits.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

namespace sipwire {
namespace {

std::string rendered(const MessageEdits& edits, std::string_view original) {
  std::array<std::string_view, 16> segments;
  const std::size_t n = edits.render(original, segments);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.append(segments[i]);
  return out;
}

TEST(MessageEdits, EditsInAnyOrderAreAppliedByOffset) {
  const std::string_view original = "AAAA BBBB CCCC";
  MessageEdits edits;
  edits.add(10, 4, "cc");  // replace CCCC
  edits.add(0, 0, ">");    // insert at the start
  edits.add(5, 5, "");     // remove "BBBB "
  EXPECT_EQ(rendered(edits, original), ">AAAA cc");
}

// An insertion where a removal starts goes before it, whichever was added first: the proxy
// removes our pre-loaded Route line, the first header, where its Via and a policy rule's
// headers go in. (Once, the later insertion was rendered after the removal and the message
// came out garbled, part of it twice.)
TEST(MessageEdits, AnInsertionWhereARemovalStartsGoesBeforeIt) {
  const std::string_view original = "INVITE\r\nRoute: r\r\nVia: v\r\n\r\n";
  const auto route = static_cast<uint32_t>(original.find("Route:"));
  const auto via = static_cast<uint32_t>(original.find("Via:"));
  MessageEdits edits;
  edits.add(route, 0, "Via: ours\r\n");
  edits.add(route, via - route, "");  // the Route line
  edits.add(route, 0, "X-Policy: p\r\n");
  EXPECT_EQ(rendered(edits, original), "INVITE\r\nVia: ours\r\nX-Policy: p\r\nVia: v\r\n\r\n");
}

TEST(MessageEdits, OverlappingEditsRenderNothing) {
  const std::string_view original = "0123456789";
  MessageEdits edits;
  edits.add(2, 4, "x");  // [2, 6)
  edits.add(4, 2, "y");  // [4, 6): inside the first
  std::array<std::string_view, 16> segments;
  EXPECT_EQ(edits.render(original, segments), 0u);
  MessageEdits past_end;
  past_end.add(11, 0, "z");
  EXPECT_EQ(past_end.render(original, segments), 0u);
}

}  // namespace
}  // namespace sipwire
