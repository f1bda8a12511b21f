// Benchmark message corpus; see bench_messages.h.
//
// Addresses come from the documentation ranges (RFC 5737 / RFC 3849) and
// example.com. Each Content-Length equals its body size in bytes; recompute
// it if you edit a body (a value that is too small is not an error for
// datagrams: the peers silently drop the excess bytes).
//
// The constants are constexpr so that kAllMessages is constant-initialised
// and safe to use from other translation units' static initialisers
// (e.g. benchmark registration).
#include "bench_messages.h"

namespace sipwire::bench {

// One literal per protocol line keeps the wire format readable; don't let
// clang-format re-split them.
// clang-format off

// A desk phone refreshing its binding: rport in Via, expires and an
// RFC 5626 +sip.instance on the Contact, and no body.
constexpr std::string_view kRegister =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.45:5060;branch=z9hG4bK1873403928;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=1262810843\r\n"
    "To: \"Alice\" <sip:alice@example.com>\r\n"
    "Call-ID: 0_1938305642@192.0.2.45\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:alice@192.0.2.45:5060>;expires=3600;+sip.instance=\"<urn:uuid:00100000-0001-1000-8000-805ec0a1b2c3>\"\r\n"
    "Expires: 3600\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, SUBSCRIBE, MESSAGE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// A typical softphone (pjsip-based) call setup with an audio-only SDP offer.
constexpr std::string_view kInviteSdp =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.45:5060;rport;branch=z9hG4bKPj9c6d1b0a3e2f4f67a8b59c0d1e2f3a4b\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Contact: \"Alice\" <sip:alice@192.0.2.45:5060;ob>\r\n"
    "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10\r\n"
    "CSeq: 23011 INVITE\r\n"
    "Allow: PRACK, INVITE, ACK, BYE, CANCEL, UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, OPTIONS\r\n"
    "Supported: replaces, 100rel, timer, norefersub\r\n"
    "User-Agent: MicroSIP/3.21.3\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 264\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 3916294563 3916294563 IN IP4 192.0.2.45\r\n"
    "s=pjmedia\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 9 101\r\n"
    "c=IN IP4 192.0.2.45\r\n"
    "a=rtcp:4001\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n";

// The callee's 200 OK as it leaves the UAS towards two proxies: each proxy
// still has its Via on top, and the first hop stamped received/rport on
// the UAC's Via. Both proxies record-routed.
constexpr std::string_view kOk200RecordRoute =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK1f0e.7c3a5b2d000000000000000000000000.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK8a4c.2e1f0d3b000000000000000000000000.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.45:5060;received=203.0.113.17;rport=31877;branch=z9hG4bKPj9c6d1b0a3e2f4f67a8b59c0d1e2f3a4b\r\n"
    "Record-Route: <sip:198.51.100.20;lr;ftag=c3a91f0b5d4e4b2a9e1c>\r\n"
    "Record-Route: <sip:198.51.100.10;lr;ftag=c3a91f0b5d4e4b2a9e1c;did=2e1.4b82>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
    "To: <sip:bob@example.com>;tag=as6a1d8f0c\r\n"
    "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10\r\n"
    "CSeq: 23011 INVITE\r\n"
    "Server: Asterisk PBX 18.20.0\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE\r\n"
    "Supported: replaces, timer\r\n"
    "Contact: <sip:bob@203.0.113.80:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 326\r\n"
    "\r\n"
    "v=0\r\n"
    "o=root 1738291623 1738291624 IN IP4 203.0.113.80\r\n"
    "s=Asterisk PBX 18.20.0\r\n"
    "c=IN IP4 203.0.113.80\r\n"
    "t=0 0\r\n"
    "m=audio 17562 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=ssrc:2932718123 cname:7f0e3a1c-2b4d-4e5f-8a9b-0c1d2e3f4a5b\r\n";

// The smallest message a proxy sees in bulk: an OPTIONS keepalive ping.
constexpr std::string_view kOptions =
    "OPTIONS sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.45:5060;rport;branch=z9hG4bKPj0f2a7c9e41d34b5e\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=e7b3d1a9\r\n"
    "To: <sip:example.com>\r\n"
    "Call-ID: 7c2e9a1f4b6d4e8a\r\n"
    "CSeq: 3117 OPTIONS\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// An IMS originating INVITE deep in the core (4 Vias, a pre-loaded Route
// set of 4, three Record-Routes, the usual P- headers, a few vendor X-
// headers) with an audio+video SDP offer using preconditions. It
// stresses header-count and long-line handling; ~4 KB.
constexpr std::string_view kInviteLarge =
    "INVITE tel:+14155550123;phone-context=ims.mnc001.mcc310.3gppnetwork.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8:0:100::14]:5060;branch=z9hG4bK5a2f.83c1e0b7d94a2f6c1e.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8:0:100::12]:5060;branch=z9hG4bKd91e.46a0b3c72e5f8d1a9b.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8:0:100::10]:5060;branch=z9hG4bK7c3b.0e9f1d2a6b4c8e3f5a.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8:0:12::45]:5060;received=2001:db8:0:12::45;rport=5060;branch=z9hG4bK1766231095smg;transport=UDP\r\n"
    "Max-Forwards: 66\r\n"
    "Route: <sip:[2001:db8:0:100::20]:5060;lr;transport=udp>\r\n"
    "Route: <sip:scscf.ims.mnc001.mcc310.3gppnetwork.org:6060;lr;orig>\r\n"
    "Route: <sip:mmtel-as.ims.mnc001.mcc310.3gppnetwork.org:5060;lr>, <sip:bgcf.ims.mnc001.mcc310.3gppnetwork.org:5060;lr>\r\n"
    "Record-Route: <sip:[2001:db8:0:100::14]:5060;lr>\r\n"
    "Record-Route: <sip:[2001:db8:0:100::12]:5060;lr>\r\n"
    "Record-Route: <sip:mo@[2001:db8:0:100::10]:5060;lr>\r\n"
    "From: <sip:+14155550199@ims.mnc001.mcc310.3gppnetwork.org>;tag=1766231095\r\n"
    "To: <tel:+14155550123;phone-context=ims.mnc001.mcc310.3gppnetwork.org>\r\n"
    "Call-ID: 1766231094_2864398576@2001:db8:0:12::45\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:+14155550199@[2001:db8:0:12::45]:5060>;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\";+g.3gpp.mid-call;+g.3gpp.srvcc-alerting;+g.3gpp.ps2cs-srvcc-orig-pre-alerting;video\r\n"
    "Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"\r\n"
    "P-Asserted-Identity: <sip:+14155550199@ims.mnc001.mcc310.3gppnetwork.org>, <tel:+14155550199>\r\n"
    "P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel\r\n"
    "P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.mmtel\r\n"
    "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=3100010a1b2c3d04;network-provided\r\n"
    "P-Visited-Network-ID: \"ims.mnc001.mcc310.3gppnetwork.org\"\r\n"
    "P-Charging-Vector: icid-value=\"ims.mnc001.mcc310-1766-231095-0042\";icid-generated-at=2001:db8:0:100::10;orig-ioi=ims.mnc001.mcc310.3gppnetwork.org\r\n"
    "P-Charging-Function-Addresses: ccf=\"aaa://ocs.ims.mnc001.mcc310.3gppnetwork.org\";ecf=\"aaa://ocs.ims.mnc001.mcc310.3gppnetwork.org\"\r\n"
    "P-Early-Media: supported\r\n"
    "P-Called-Party-ID: <tel:+14155550123>\r\n"
    "P-Served-User: <sip:+14155550199@ims.mnc001.mcc310.3gppnetwork.org>;sescase=orig;regstate=reg\r\n"
    "Privacy: none\r\n"
    "Supported: 100rel, histinfo, join, norefersub, replaces, timer, sec-agree\r\n"
    "Require: precondition\r\n"
    "Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, UPDATE, INFO, REFER, NOTIFY, MESSAGE, PRACK\r\n"
    "Accept: application/sdp, application/3gpp-ims+xml\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "Min-SE: 90\r\n"
    "Allow-Events: conference, talk, hold, refer\r\n"
    "User-Agent: Samsung IMS 6.0\r\n"
    "X-Carrier-Trace: 6f2a9c1e-48b7-4d35-9e0a-7b1c2d3e4f50\r\n"
    "X-Tenant-ID: 0042\r\n"
    "X-Original-Caller-IP: [2001:db8:0:12::45]\r\n"
    "X-Route-Policy: least-cost;carrier=north\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 1333\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1738291700 1738291700 IN IP6 2001:db8:0:12::45\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8:0:12::45\r\n"
    "b=AS:1146\r\n"
    "t=0 0\r\n"
    "m=audio 49152 RTP/AVP 116 107 118 96 111 110\r\n"
    "b=AS:49\r\n"
    "b=RS:0\r\n"
    "b=RR:1537\r\n"
    "a=rtpmap:116 AMR-WB/16000/1\r\n"
    "a=fmtp:116 mode-change-capability=2;max-red=0\r\n"
    "a=rtpmap:107 AMR-WB/16000/1\r\n"
    "a=fmtp:107 octet-align=1;mode-change-capability=2;max-red=0\r\n"
    "a=rtpmap:118 AMR/8000/1\r\n"
    "a=fmtp:118 mode-change-capability=2;max-red=0\r\n"
    "a=rtpmap:96 AMR/8000/1\r\n"
    "a=fmtp:96 octet-align=1;mode-change-capability=2;max-red=0\r\n"
    "a=rtpmap:111 telephone-event/16000\r\n"
    "a=fmtp:111 0-15\r\n"
    "a=rtpmap:110 telephone-event/8000\r\n"
    "a=fmtp:110 0-15\r\n"
    "a=curr:qos local none\r\n"
    "a=curr:qos remote none\r\n"
    "a=des:qos mandatory local sendrecv\r\n"
    "a=des:qos optional remote sendrecv\r\n"
    "a=sendrecv\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:240\r\n"
    "m=video 49154 RTP/AVP 112 113\r\n"
    "b=AS:1090\r\n"
    "b=RS:8000\r\n"
    "b=RR:6000\r\n"
    "a=rtpmap:112 H264/90000\r\n"
    "a=fmtp:112 profile-level-id=42C01F;packetization-mode=1;sprop-parameter-sets=Z0LAH9oBQBbpqAgICgAAAwACAAADAHkeMGVA,aM4G4g==\r\n"
    "a=rtpmap:113 H264/90000\r\n"
    "a=fmtp:113 profile-level-id=42C01F;packetization-mode=0\r\n"
    "a=imageattr:112 send [x=640,y=480] recv [x=640,y=480]\r\n"
    "a=rtcp-fb:* nack\r\n"
    "a=rtcp-fb:* nack pli\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=rtcp-fb:* ccm tmmbr\r\n"
    "a=curr:qos local none\r\n"
    "a=curr:qos remote none\r\n"
    "a=des:qos mandatory local sendrecv\r\n"
    "a=des:qos optional remote sendrecv\r\n"
    "a=sendrecv\r\n";

// clang-format on

constexpr std::array<NamedMessage, 5> kAllMessages{{
    {"register", kRegister},
    {"invite_sdp", kInviteSdp},
    {"ok200_record_route", kOk200RecordRoute},
    {"options", kOptions},
    {"invite_large", kInviteLarge},
}};

std::string callee_answer(bool ok, std::string_view vias, std::string_view call_id,
                          std::string_view contact) {
  static const std::string body(kOk200RecordRoute.substr(kOk200RecordRoute.find("\r\n\r\n") + 4));
  std::string s = ok ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 180 Ringing\r\n";
  s += vias;
  s += "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
       "To: <sip:bob@example.com>;tag=as6a1d8f0c\r\n"
       "Call-ID: ";
  s += call_id;
  s += "\r\n"
       "CSeq: 23011 INVITE\r\n"
       "Server: Asterisk PBX 18.20.0\r\n"
       "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, "
       "MESSAGE\r\n"
       "Supported: replaces, timer\r\n"
       "Contact: ";
  s += contact;
  s += "\r\n";
  if (ok) {
    s += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
  } else {
    s += "Content-Length: 0\r\n\r\n";
  }
  return s;
}

}  // namespace sipwire::bench
