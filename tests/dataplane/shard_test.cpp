// A shard and the shard router together: the branch a shard writes when it forwards names
// the shard's own index, and brings the response back to it, whichever worker reads it.
#include "dataplane/shard.h"

#include <gtest/gtest.h>

#include <deque>
#include <iterator>
#include <string>
#include <vector>

#include "dataplane/shard_router.h"

namespace sipwire::dataplane {
namespace {

class KeepingOutbox : public Outbox {
 public:
  char* scratch(std::size_t bytes) override { return arenas_.emplace_back(bytes, '\0').data(); }
  bool send_from(const NetAddress&, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
    std::string joined;
    for (const std::string_view s : segments) joined += s;
    sent.push_back({to, std::move(joined)});
    return true;
  }
  struct Sent {
    NetAddress to;
    std::string bytes;
  };
  std::vector<Sent> sent;

 private:
  std::deque<std::string> arenas_;  // stable addresses
};

// The response a downstream UAS sends back for `request`: its Via lines, in order.
std::string ResponseTo(const std::string& request) {
  std::string r = "SIP/2.0 180 Ringing\r\n";
  std::size_t at = 0;
  while ((at = request.find("\r\nVia:", at)) != std::string::npos) {
    const std::size_t end = request.find("\r\n", at + 2);
    r += request.substr(at + 2, end - at);
    at = end;
  }
  return r +
         "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@192.0.2.99>;tag=b2\r\n"
         "Call-ID: shard-test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
}

TEST(ShardTest, AResponseToWhatAShardForwardedIsRoutedBackToThatShard) {
  constexpr unsigned kShards = 4;
  Qsbr qsbr(kShards);
  LocationTable location(64, qsbr);
  for (unsigned i = 0; i < kShards; ++i) {
    EngineSettings settings;
    settings.mode = ProxyMode::kStateless;
    settings.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
    settings.shard = 7;  // the Shard writes its own index, whatever this says
    Shard shard(i, settings, location, qsbr);
    KeepingOutbox out;
    const std::string invite =
        "INVITE sip:bob@192.0.2.99:5070 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcaller-" +
        std::to_string(i) +
        "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
        "To: <sip:bob@192.0.2.99>\r\nCall-ID: shard-test\r\nCSeq: 1 INVITE\r\n"
        "Content-Length: 0\r\n\r\n";
    shard.on_datagram(invite, NetAddress::ipv4(192, 0, 2, 20, 5064), settings.local, out);
    shard.on_tick(out);
    ASSERT_EQ(out.sent.size(), 1u) << "shard " << i;
    EXPECT_EQ(out.sent[0].to, NetAddress::ipv4(192, 0, 2, 99, 5070));
    const std::string response = ResponseTo(out.sent[0].bytes);
    for (unsigned current = 0; current < kShards; ++current)
      EXPECT_EQ(route_datagram(response, kShards, current), i) << response;
  }
}

uint64_t g_now_ms = 0;
uint64_t fake_clock() {
  return g_now_ms;
}

EngineSettings stateless_settings() {
  EngineSettings settings;
  settings.mode = ProxyMode::kStateless;
  settings.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
  return settings;
}

// A REGISTER of sip:USER@127.0.0.1 from 192.0.2.20:5064, for `expires` seconds.
std::string register_user(const std::string& user, int expires) {
  return "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKreg-" +
         user + "\r\nMax-Forwards: 70\r\nFrom: <sip:" + user +
         "@127.0.0.1>;tag=r1\r\nTo: <sip:" + user + "@127.0.0.1>\r\nCall-ID: reg-" + user +
         "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user +
         "@192.0.2.20:5064>;expires=" + std::to_string(expires) + "\r\nContent-Length: 0\r\n\r\n";
}

const NetAddress kPhone = NetAddress::ipv4(192, 0, 2, 20, 5064);

// The shard's tick sweeps its slice of the location service: a registration that is not
// refreshed leaves the table, entry and all, once it has expired, and not before.
TEST(ShardTest, ItsTickSweepsAnExpiredRegistrationOutOfTheLocationService) {
  Qsbr qsbr(1);
  LocationTable location(16, qsbr);  // one tick's slice covers every bucket
  const EngineSettings settings = stateless_settings();
  g_now_ms = 5'000'000;
  Shard shard(0, settings, location, qsbr, nullptr, fake_clock);
  KeepingOutbox out;
  shard.on_burst();
  shard.on_datagram(register_user("alice", 60), kPhone, settings.local, out);
  shard.on_tick(out);
  ASSERT_EQ(out.sent.size(), 1u);
  EXPECT_EQ(out.sent[0].bytes.substr(0, 15), "SIP/2.0 200 OK\r");
  EXPECT_EQ(location.binding_count(), 1u);

  g_now_ms += 59'900;  // not yet expired
  shard.on_tick(out);
  EXPECT_EQ(location.binding_count(), 1u);
  EXPECT_NE(location.find("sip:alice@127.0.0.1"), nullptr);

  g_now_ms += 200;  // past its 60 s
  shard.on_tick(out);
  EXPECT_EQ(location.binding_count(), 0u);
  EXPECT_EQ(location.aor_count(), 0u);
  EXPECT_EQ(location.find("sip:alice@127.0.0.1"), nullptr);
}

// `message` without its Date header line, which the registrar's 200 takes from the wall clock.
std::string without_date(std::string message) {
  const std::size_t at = message.find("\r\nDate: ");
  if (at != std::string::npos) message.erase(at, message.find("\r\n", at + 2) - at);
  return message;
}

// A burst given in two passes (every datagram prepared, i.e. parsed, then every one handled)
// gets what the same datagrams get one by one: the same sends, in the same order. The burst
// mixes what each pass must keep apart: an INVITE for a user the REGISTER before it in the
// same burst registers (handled after it, so it finds the binding), an OPTIONS for us, a
// malformed request (400, from the parse the first pass made) and a keepalive (nothing).
TEST(ShardTest, ABurstInTwoPassesGetsWhatItGetsOneDatagramAtATime) {
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    const std::string burst[] = {
        register_user("bob", 600),
        "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKinv-1\r\nMax-Forwards: 70\r\n"
        "From: <sip:carol@example.com>;tag=c1\r\nTo: <sip:bob@127.0.0.1>\r\n"
        "Call-ID: burst-1\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@192.0.2.30>\r\n"
        "Content-Length: 0\r\n\r\n",
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKopt-1\r\nMax-Forwards: 70\r\n"
        "From: <sip:carol@example.com>;tag=c2\r\nTo: <sip:127.0.0.1>\r\n"
        "Call-ID: burst-2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKbad-1\r\nMax-Forwards: 70\r\n"
        "From: <sip:carol@example.com>;tag=c3\r\nTo: <sip:bob@127.0.0.1\r\n"
        "Call-ID: burst-3\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        "\r\n\r\n",
    };
    const NetAddress sources[] = {
        kPhone, NetAddress::ipv4(192, 0, 2, 30, 5060), NetAddress::ipv4(192, 0, 2, 30, 5060),
        NetAddress::ipv4(192, 0, 2, 30, 5060), NetAddress::ipv4(192, 0, 2, 30, 5060)};
    EngineSettings settings = stateless_settings();
    settings.mode = mode;
    g_now_ms = 7'000'000;
    auto run = [&](bool two_pass) {
      Qsbr qsbr(1);
      LocationTable location(16, qsbr);
      Shard shard(0, settings, location, qsbr, nullptr, fake_clock);
      KeepingOutbox out;
      shard.on_burst();
      if (two_pass) {
        for (unsigned i = 0; i < std::size(burst); ++i) shard.prepare(i, burst[i]);
        for (unsigned i = 0; i < std::size(burst); ++i)
          shard.on_prepared(i, burst[i], sources[i], settings.local, out);
      } else {
        for (unsigned i = 0; i < std::size(burst); ++i)
          shard.on_datagram(burst[i], sources[i], settings.local, out);
      }
      shard.on_tick(out);
      return out.sent;
    };
    const auto one_by_one = run(false);
    const auto two_pass = run(true);
    // 200 to the REGISTER, (stateful: 100 Trying,) the INVITE, 200 to OPTIONS, 400.
    const std::size_t trying = mode == ProxyMode::kStateful ? 1 : 0;
    ASSERT_EQ(one_by_one.size(), 4u + trying);
    EXPECT_EQ(one_by_one[0].bytes.rfind("SIP/2.0 200 OK\r\n", 0), 0u);
    if (trying != 0) {
      EXPECT_EQ(one_by_one[1].bytes.rfind("SIP/2.0 100 Trying\r\n", 0), 0u);
    }
    EXPECT_EQ(one_by_one[1 + trying].bytes.rfind("INVITE sip:bob@192.0.2.20:5064 SIP/2.0\r\n", 0),
              0u);
    EXPECT_EQ(one_by_one[1 + trying].to, kPhone);
    EXPECT_EQ(one_by_one[2 + trying].bytes.rfind("SIP/2.0 200 OK\r\n", 0), 0u);
    EXPECT_EQ(one_by_one[3 + trying].bytes.rfind("SIP/2.0 400 ", 0), 0u);
    ASSERT_EQ(two_pass.size(), one_by_one.size());
    for (std::size_t i = 0; i < two_pass.size(); ++i) {
      EXPECT_EQ(two_pass[i].to, one_by_one[i].to) << i;
      // (The registrar's Date is the wall clock's: the two runs may straddle a second.)
      EXPECT_EQ(without_date(two_pass[i].bytes), without_date(one_by_one[i].bytes)) << i;
    }
  }
}

// However large the location table is made ([registrar] expected_aors), the workers' sweeps
// pass over all of it in 256 ticks (25.6 s): an expired registration leaves within that.
TEST(ShardTest, ItsSweepsCoverALargeTableIn256Ticks) {
  Qsbr qsbr(1);
  LocationTable location(1 << 18, qsbr);  // 262,144 buckets: 1,024 a tick
  const EngineSettings settings = stateless_settings();
  g_now_ms = 7'000'000;
  Shard shard(0, settings, location, qsbr, nullptr, fake_clock);
  KeepingOutbox out;
  shard.on_burst();
  for (int i = 0; i < 8; ++i)  // AORs in buckets all over the table
    shard.on_datagram(register_user("user" + std::to_string(i), 60), kPhone, settings.local, out);
  EXPECT_EQ(location.binding_count(), 8u);
  g_now_ms += 61'000;  // every one expired
  for (int tick = 0; tick < 256; ++tick) {
    shard.on_tick(out);
    g_now_ms += 100;
  }
  EXPECT_EQ(location.binding_count(), 0u);
  EXPECT_EQ(location.aor_count(), 0u);
}

// A tick sweeps at most 4,096 buckets, so that it pauses its worker well under a millisecond:
// a table of more than a million buckets per worker takes longer than 256 ticks to pass over.
TEST(ShardTest, ATickSweepsAtMost4096Buckets) {
  Qsbr qsbr(1);
  LocationTable location(1 << 21, qsbr);  // 2,097,152 buckets: 512 ticks of 4,096
  const EngineSettings settings = stateless_settings();
  g_now_ms = 7'000'000;
  Shard shard(0, settings, location, qsbr, nullptr, fake_clock);
  KeepingOutbox out;
  shard.on_burst();
  // 64 AORs under a random hash key: all of them in the half swept first has odds of 2^-64.
  for (int i = 0; i < 64; ++i)
    shard.on_datagram(register_user("user" + std::to_string(i), 60), kPhone, settings.local, out);
  EXPECT_EQ(location.binding_count(), 64u);
  g_now_ms += 61'000;  // every one expired
  auto ticks = [&](int n) {
    for (int tick = 0; tick < n; ++tick) {
      shard.on_tick(out);
      g_now_ms += 100;
    }
  };
  ticks(256);
  EXPECT_GT(location.binding_count(), 0u);  // half the table is still to come
  EXPECT_LT(location.binding_count(), 64u);
  ticks(256);
  EXPECT_EQ(location.binding_count(), 0u);
  EXPECT_EQ(location.aor_count(), 0u);
}

}  // namespace
}  // namespace sipwire::dataplane
