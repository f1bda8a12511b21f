// The shard router's light scan: which shard a datagram belongs to, without a parse.
#include "dataplane/shard_router.h"

#include <gtest/gtest.h>

#include "sipwire/siphash.h"

#include <set>
#include <string>
#include <string_view>

namespace sipwire::dataplane {
namespace {

// A branch this proxy would create on shard `shard` (see branch_shard in proxy_core.h).
std::string OurBranch(unsigned shard) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b = "z9hG4bKsw";
  b += kHex[shard >> 4];
  b += kHex[shard & 15];
  b += "0123456789abcd-89abcdef";
  return b;
}

std::string Request(std::string_view method, std::string_view via, std::string_view call_id) {
  std::string m(method);
  m += " sip:bob@example.com SIP/2.0\r\n";
  if (!via.empty()) m += "Via: " + std::string(via) + "\r\n";
  m += "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n";
  if (!call_id.empty()) m += "Call-ID: " + std::string(call_id) + "\r\n";
  m += "CSeq: 1 " + std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
  return m;
}

std::string Response(std::string_view vias) {
  return "SIP/2.0 200 OK\r\n" + std::string(vias) +
         "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\n"
         "Call-ID: resp-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
}

unsigned Mod(std::string_view key, unsigned shards) {
  return static_cast<unsigned>(route_hash(key) % shards);
}

TEST(ShardRouterTest, RouteHashIsSipHashUnderTheProcesssRandomKey) {
  // One key for the whole process, so every worker sends a Call-ID to the same shard; drawn
  // at random, so a sender cannot choose Call-IDs that all land on one worker.
  const RouteHashKey& key = route_hash_key();
  EXPECT_NE(key.k0 | key.k1, 0u);
  EXPECT_EQ(&route_hash_key(), &key);
  for (const std::string_view call_id : {"", "a", "foobar", "3848276298220188511@192.0.2.1"}) {
    EXPECT_EQ(route_hash(call_id), detail::SipHash13::of(key.k0, key.k1, call_id)) << call_id;
    EXPECT_EQ(route_hash(call_id), route_hash(std::string(call_id))) << call_id;
  }
  // Not the unkeyed FNV-1a it replaced (its published vectors).
  EXPECT_NE(route_hash(""), 0xcbf29ce484222325ull);
  EXPECT_NE(route_hash("foobar"), 0x85944171f73967e8ull);
}

TEST(ShardRouterTest, RequestGoesToTheHashOfItsCallId) {
  const std::string m =
      Request("INVITE", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-abc-1", "call-1@host");
  const RouteKeys keys = scan_route_keys(m);
  EXPECT_TRUE(keys.readable);
  EXPECT_FALSE(keys.response);
  EXPECT_EQ(keys.branch, "z9hG4bK-abc-1");
  EXPECT_EQ(keys.call_id, "call-1@host");
  for (unsigned shards = 2; shards <= 8; ++shards)
    EXPECT_EQ(route_datagram(m, shards, 0), Mod("call-1@host", shards)) << shards;
}

TEST(ShardRouterTest, EveryRequestOfACallGoesToOneShardWhateverItsBranch) {
  // The ACK of a 2xx and the BYE after it have branches of their own: on different shards,
  // a BYE could overtake its ACK while that waited in a handover ring.
  for (int i = 0; i < 50; ++i) {
    const std::string call = "dialog-" + std::to_string(i) + "@192.0.2.1";
    const std::string invite =
        Request("INVITE", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-inv-" + std::to_string(i), call);
    const std::string ack =
        Request("ACK", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-ack-" + std::to_string(i), call);
    const std::string bye =
        Request("BYE", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-bye-" + std::to_string(i), call);
    for (unsigned shards = 2; shards <= 6; ++shards) {
      const unsigned want = route_datagram(invite, shards, 0);
      EXPECT_EQ(route_datagram(ack, shards, 1), want) << call << " / " << shards;
      EXPECT_EQ(route_datagram(bye, shards, shards - 1), want) << call << " / " << shards;
    }
  }
}

TEST(ShardRouterTest, CopiesOfOneRequestByTwoPathsShareAShard) {
  // A merged request (RFC 3261 §8.2.2.2): one Call-ID, two top Via branches.
  const std::string a =
      Request("INVITE", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpath-a", "merged@host");
  const std::string b =
      Request("INVITE", "SIP/2.0/TCP other.example.com;rport;branch=z9hG4bKpath-b", "merged@host");
  for (unsigned shards = 2; shards <= 16; ++shards)
    EXPECT_EQ(route_datagram(a, shards, 0), route_datagram(b, shards, 1)) << shards;
}

TEST(ShardRouterTest, RequestsSpreadOverEveryShard) {
  std::set<unsigned> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(route_datagram(
        Request("INVITE", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx", std::to_string(i) + "@c"), 4,
        0));
  EXPECT_EQ(seen, (std::set<unsigned>{0, 1, 2, 3}));
}

TEST(ShardRouterTest, RequestWithoutACallIdGoesToTheHashOfItsCookieBranch) {
  const std::string m = Request("OPTIONS", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKlonely", "");
  EXPECT_TRUE(scan_route_keys(m).call_id.empty());
  for (unsigned shards = 2; shards <= 8; ++shards)
    EXPECT_EQ(route_datagram(m, shards, 0), Mod("z9hG4bKlonely", shards)) << shards;
  // Neither a Call-ID nor an RFC 3261 branch: the current worker's engine answers it (400).
  const std::string neither = Request("OPTIONS", "SIP/2.0/UDP 192.0.2.1;branch=old", "");
  EXPECT_EQ(route_datagram(neither, 5, 3), 3u);
}

TEST(ShardRouterTest, CallIdIsFoundWhereverItSits) {
  const std::string rfc2543 = Request("INVITE", "SIP/2.0/UDP 192.0.2.1;branch=1234", "old-call@h");
  const std::string no_branch = Request("INVITE", "SIP/2.0/UDP 192.0.2.1", "old-call@h");
  EXPECT_EQ(scan_route_keys(rfc2543).branch, "1234");
  EXPECT_EQ(scan_route_keys(rfc2543).call_id, "old-call@h");
  for (unsigned shards = 2; shards <= 8; ++shards) {
    EXPECT_EQ(route_datagram(rfc2543, shards, 0), Mod("old-call@h", shards)) << shards;
    EXPECT_EQ(route_datagram(no_branch, shards, 0), Mod("old-call@h", shards)) << shards;
  }
  // The Call-ID may come before the Via, and in its compact form.
  const std::string first =
      "INVITE sip:b@h SIP/2.0\r\nCall-ID: early@h\r\nVia: SIP/2.0/UDP h;branch=77\r\n\r\n";
  EXPECT_EQ(route_datagram(first, 5, 0), Mod("early@h", 5));
  const std::string compact =
      "BYE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKc\r\ni:  short@h \r\n\r\n";
  EXPECT_EQ(route_datagram(compact, 7, 0), Mod("short@h", 7));
}

TEST(ShardRouterTest, CancelAndNon2xxAckLandOnTheirInvitesShard) {
  for (int i = 0; i < 50; ++i) {
    const std::string via = "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKinv" + std::to_string(i);
    const std::string invite = Request("INVITE", via, "call-" + std::to_string(i));
    const std::string cancel = Request("CANCEL", via, "call-" + std::to_string(i));
    const std::string ack = Request("ACK", via, "call-" + std::to_string(i));
    for (unsigned shards = 2; shards <= 6; ++shards) {
      EXPECT_EQ(route_datagram(cancel, shards, 0), route_datagram(invite, shards, 1));
      EXPECT_EQ(route_datagram(ack, shards, 0), route_datagram(invite, shards, 1));
    }
  }
  // Without the cookie, by the Call-ID, which the CANCEL shares too.
  const std::string invite = Request("INVITE", "SIP/2.0/UDP h;branch=old", "c2543");
  const std::string cancel = Request("CANCEL", "SIP/2.0/UDP h;branch=old", "c2543");
  EXPECT_EQ(route_datagram(cancel, 5, 0), route_datagram(invite, 5, 3));
}

TEST(ShardRouterTest, ResponseGoesToTheShardItsBranchNames) {
  for (unsigned shard = 0; shard < 4; ++shard) {
    const std::string r = Response("Via: SIP/2.0/UDP 192.0.2.1;branch=" + OurBranch(shard) +
                                   "\r\nVia: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKclient\r\n");
    EXPECT_TRUE(scan_route_keys(r).response);
    for (unsigned current = 0; current < 4; ++current)
      EXPECT_EQ(route_datagram(r, 4, current), shard) << shard << " " << current;
  }
  const std::string r = Response("Via: SIP/2.0/UDP 192.0.2.1;branch=" + OurBranch(200) + "\r\n");
  EXPECT_EQ(route_datagram(r, 256, 3), 200u);
}

TEST(ShardRouterTest, ResponseWithoutABranchOfAnExistingShardStaysWhereItIs) {
  // A shard this process does not have.
  const std::string r = Response("Via: SIP/2.0/UDP 192.0.2.1;branch=" + OurBranch(5) + "\r\n");
  EXPECT_EQ(route_datagram(r, 4, 2), 2u);
  EXPECT_EQ(route_datagram(r, 6, 2), 5u);
  // Not our branch: the engine drops or relays it where it is; it is not hashed.
  const std::string foreign = Response("Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKsomeone\r\n");
  EXPECT_EQ(route_datagram(foreign, 4, 3), 3u);
  EXPECT_EQ(route_datagram(foreign, 4, 1), 1u);
  // Only the top Via counts: ours second is not ours to route by.
  const std::string second = Response(
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother\r\n"
      "Via: SIP/2.0/UDP 192.0.2.2;branch=" +
      OurBranch(1) + "\r\n");
  EXPECT_EQ(route_datagram(second, 4, 3), 3u);
  // No Via at all.
  EXPECT_EQ(route_datagram(Response(""), 4, 2), 2u);
  // Bad hex in the shard digits.
  const std::string bad =
      Response("Via: SIP/2.0/UDP h;branch=z9hG4bKswzz0123456789abcd-89abcdef\r\n");
  EXPECT_EQ(route_datagram(bad, 4, 1), 1u);
}

TEST(ShardRouterTest, CompactFormsAndAnyCaseOfHeaderNames) {
  const std::string compact =
      "INVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKcompact\r\ni: cid\r\n\r\n";
  EXPECT_EQ(scan_route_keys(compact).branch, "z9hG4bKcompact");
  EXPECT_EQ(scan_route_keys(compact).call_id, "cid");
  EXPECT_EQ(route_datagram(compact, 8, 0), Mod("cid", 8));

  const std::string compact_call_id =
      "MESSAGE sip:b@h SIP/2.0\r\nV: SIP/2.0/UDP h\r\nI: the-call-id\r\n\r\n";
  EXPECT_EQ(route_datagram(compact_call_id, 8, 0), Mod("the-call-id", 8));

  // The Call-ID first: the scan still reads the top Via, for a response's sake.
  const std::string upper =
      "BYE sip:b@h SIP/2.0\r\nCALL-ID: Up@H\r\nVIA: SIP/2.0/UDP h;BRANCH=z9hG4bKUP\r\n\r\n";
  EXPECT_EQ(scan_route_keys(upper).branch, "z9hG4bKUP");  // values keep their case
  EXPECT_EQ(scan_route_keys(upper).call_id, "Up@H");
  EXPECT_EQ(route_datagram(upper, 8, 0), Mod("Up@H", 8));

  const std::string response =
      "SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP h;branch=" + OurBranch(2) + "\r\ni: x\r\n\r\n";
  EXPECT_EQ(route_datagram(response, 3, 0), 2u);
}

TEST(ShardRouterTest, HeaderNamesMustMatchWhole) {
  // "Vias" and "Call-IDs" are other headers; "v" alone is Via, "vv" is not.
  const std::string m =
      "INVITE sip:b@h SIP/2.0\r\nVias: SIP/2.0/UDP h;branch=z9hG4bKwrong\r\n"
      "vv: SIP/2.0/UDP h;branch=z9hG4bKwrong2\r\nCall-IDs: wrong\r\n"
      "Via: SIP/2.0/UDP h;branch=1\r\nCall-ID: right\r\n\r\n";
  const RouteKeys keys = scan_route_keys(m);
  EXPECT_EQ(keys.branch, "1");
  EXPECT_EQ(keys.call_id, "right");
  EXPECT_EQ(route_datagram(m, 9, 0), Mod("right", 9));
}

TEST(ShardRouterTest, WhiteSpaceAroundColonSemicolonAndEquals) {
  const std::string m =
      "INVITE sip:b@h SIP/2.0\r\n"
      "Via \t:  SIP / 2.0 / UDP   h:5060 ;  rport ; branch \t=  z9hG4bKspaced  ; lr\r\n"
      "Call-ID   :   spaced-call   \r\n\r\n";
  const RouteKeys keys = scan_route_keys(m);
  EXPECT_EQ(keys.branch, "z9hG4bKspaced");
  EXPECT_EQ(keys.call_id, "spaced-call");
  EXPECT_EQ(route_datagram(m, 5, 0), Mod("spaced-call", 5));

  const std::string cid = "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID:\tx-1 \r\n\r\n";
  EXPECT_EQ(scan_route_keys(cid).call_id, "x-1");
}

TEST(ShardRouterTest, FoldedHeadersAndBareLineFeeds) {
  const std::string folded =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n  ;rport\r\n\t;branch=z9hG4bKfolded\r\n"
      "Call-ID: c\r\n\r\n";
  EXPECT_EQ(scan_route_keys(folded).branch, "z9hG4bKfolded");
  const std::string folded_call_id =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID:\r\n  folded-cid\r\n\r\n";
  EXPECT_EQ(scan_route_keys(folded_call_id).call_id, "folded-cid");
  const std::string lf =
      "INVITE sip:b@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKlf\nCall-ID: lf-call\n\n";
  EXPECT_EQ(scan_route_keys(lf).branch, "z9hG4bKlf");
  EXPECT_EQ(route_datagram(lf, 3, 0), Mod("lf-call", 3));
}

TEST(ShardRouterTest, SeveralViasInOneLineTakeTheFirst) {
  const std::string m =
      "INVITE sip:b@h SIP/2.0\r\n"
      "Via: SIP/2.0/UDP a;branch=z9hG4bKfirst, SIP/2.0/UDP b;branch=z9hG4bKsecond\r\n"
      "Via: SIP/2.0/UDP c;branch=z9hG4bKthird\r\nCall-ID: c\r\n\r\n";
  EXPECT_EQ(scan_route_keys(m).branch, "z9hG4bKfirst");
  // The first via-parm has no branch: the second's does not count.
  const std::string none =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;rport, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
      "Call-ID: by-call-id\r\n\r\n";
  EXPECT_EQ(scan_route_keys(none).branch, "");
  EXPECT_EQ(route_datagram(none, 7, 0), Mod("by-call-id", 7));
  // An IPv6 sent-by.
  const std::string v6 =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKv6\r\n\r\n";
  EXPECT_EQ(scan_route_keys(v6).branch, "z9hG4bKv6");
}

TEST(ShardRouterTest, BranchAnywhereAmongViaParameters) {
  const std::string m =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;received=192.0.2.1;x=\"a;branch=no,\\\"q\";"
      "branch=z9hG4bKlate;rport=5060\r\nCall-ID: c\r\n\r\n";
  EXPECT_EQ(scan_route_keys(m).branch, "z9hG4bKlate");
  const std::string quoted_branch =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=\"z9hG4bKq\"\r\n\r\n";
  EXPECT_EQ(scan_route_keys(quoted_branch).branch, "z9hG4bKq");
  // A parameter merely ending in "branch" is not it.
  const std::string suffix =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;xbranch=z9hG4bKno\r\nCall-ID: cc\r\n\r\n";
  EXPECT_EQ(scan_route_keys(suffix).branch, "");
  EXPECT_EQ(route_datagram(suffix, 7, 0), Mod("cc", 7));
}

TEST(ShardRouterTest, OnlyTheHeaderSectionIsScanned) {
  const std::string m =
      "MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 40\r\n\r\n"
      "Call-ID: in-body\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKbody\r\n";
  const RouteKeys keys = scan_route_keys(m);
  EXPECT_EQ(keys.branch, "");
  EXPECT_EQ(keys.call_id, "");
  EXPECT_EQ(route_datagram(m, 4, 3), 3u);
}

TEST(ShardRouterTest, WhatItCannotReadStaysOnTheCurrentWorker) {
  const std::string unterminated_quote =
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;x=\"open;branch=z9hG4bKno\r\n\r\n";
  const std::string cases[] = {
      "",
      "hello",
      "\r\n\r\n",
      "\r\n",
      std::string("\0\xff\x01INVITE\r\n", 10),
      "INVITE sip:b@h SIP/2.0\r\nMax-Forwards: 70\r\n\r\n",  // neither Via nor Call-ID
      "INVITE sip:b@h SIP/2.0\r\nno colon here\r\n: empty name\r\n\r\n",
      unterminated_quote,
      "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=",
      "SIP/2.0 200 OK\r\nVia: garbage;;;;,,,\r\n\r\n",
      std::string(5000, ';'),
  };
  for (const std::string& c : cases) {
    for (unsigned current = 0; current < 5; ++current)
      EXPECT_EQ(route_datagram(c, 5, current), current) << "case: " << c;
  }
}

TEST(ShardRouterTest, OneShardOrAnUnknownCurrentWorkerLeavesItWhereItIs) {
  const std::string m = Request("INVITE", "SIP/2.0/UDP h;branch=z9hG4bKabc", "c");
  EXPECT_EQ(route_datagram(m, 1, 0), 0u);
  EXPECT_EQ(route_datagram(m, 0, 0), 0u);
  EXPECT_EQ(route_datagram(m, 4, 9), 9u);
}

}  // namespace
}  // namespace sipwire::dataplane
