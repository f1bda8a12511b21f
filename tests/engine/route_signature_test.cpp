// The signature of our Record-Route URI: what proves that a request claiming a dialog of ours
// came back through a Record-Route we wrote for that dialog.
#include "sipwire/engine/route_signature.h"

#include <gtest/gtest.h>

#include <string>

#include "sipwire/uri.h"

namespace sipwire {
namespace {

Uri parse(const std::string& text) {
  Uri uri;
  EXPECT_TRUE(parse_uri(text, uri).ok()) << text;
  return uri;
}

std::string signature(const RouteKey& key, std::string_view call_id) {
  char s[kRouteSignatureSize];
  write_route_signature(key, call_id, s);
  return std::string(s, sizeof s);
}

TEST(RouteSignatureTest, OurUriCarriesTheSignatureOfItsDialogsCallIdOnly) {
  const RouteKey key = RouteKey::from_secret("a long random secret of the operator's");
  const std::string sig = signature(key, "call-1@192.0.2.20");
  ASSERT_EQ(sig.size(), 16u);
  EXPECT_EQ(sig.find_first_not_of("0123456789abcdef"), std::string::npos) << sig;
  // Where it sits among the URI's other parameters does not matter.
  for (const std::string& uri :
       {"sip:127.0.0.1:5060;lr;sw=" + sig, "sip:127.0.0.1;sw=" + sig + ";lr",
        "sip:proxy.example.com;lr;sw=" + sig + ";ftag=x"}) {
    EXPECT_TRUE(has_route_signature(key, "call-1@192.0.2.20", parse(uri))) << uri;
    EXPECT_FALSE(has_route_signature(key, "call-2@192.0.2.20", parse(uri))) << uri;
  }
}

TEST(RouteSignatureTest, AnythingButTheExactSignatureUnderOurKeyIsRefused) {
  const RouteKey key = RouteKey::from_secret("the operator's secret, 32 bytes.");
  const std::string call_id = "4b1f5c2e7d0a4f3c";
  const std::string sig = signature(key, call_id);
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // A UA that changed the case of the value changed nothing else.
  EXPECT_TRUE(has_route_signature(key, call_id, parse("sip:127.0.0.1;lr;sw=" + upper)));
  std::string flipped = sig;
  flipped[7] = flipped[7] == '0' ? '1' : '0';
  const std::string refused[] = {"sip:127.0.0.1;lr", "sip:127.0.0.1;lr;sw=" + sig.substr(0, 15),
                                 "sip:127.0.0.1;lr;sw=" + sig + "0",
                                 "sip:127.0.0.1;lr;sw=" + flipped, "sip:127.0.0.1;lr;sg=" + sig};
  for (const std::string& uri : refused)
    EXPECT_FALSE(has_route_signature(key, call_id, parse(uri))) << uri;
  // Another key (another proxy, or this one after a restart that drew a new key).
  EXPECT_FALSE(has_route_signature(RouteKey::from_secret("another secret"), call_id,
                                   parse("sip:127.0.0.1;lr;sw=" + sig)));
  EXPECT_FALSE(
      has_route_signature(RouteKey::random(), call_id, parse("sip:127.0.0.1;lr;sw=" + sig)));
}

TEST(RouteSignatureTest, AConfiguredSecretGivesTheSameKeyEveryTimeARandomKeyDoesNot) {
  const RouteKey a = RouteKey::from_secret("shared by the proxies of a cluster");
  const RouteKey b = RouteKey::from_secret("shared by the proxies of a cluster");
  EXPECT_EQ(a.k0, b.k0);
  EXPECT_EQ(a.k1, b.k1);
  const RouteKey c = RouteKey::from_secret("shared by the proxies of a cluster.");
  EXPECT_NE(signature(a, "x"), signature(c, "x"));
  const RouteKey r1 = RouteKey::random(), r2 = RouteKey::random();
  EXPECT_FALSE(r1.k0 == r2.k0 && r1.k1 == r2.k1);
}

}  // namespace
}  // namespace sipwire
