// Probing destination-set hops with OPTIONS through the engine: probes go out on time, an
// answer counts, silence takes a hop down, answers bring it back.
#include "health_prober.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_outbox.h"
#include "sipwire/engine/proxy_core.h"

namespace sipwire {
namespace {

using testing::FakeOutbox;

const NetAddress kHopA = NetAddress::ipv4(192, 0, 2, 51, 5060);
const NetAddress kHopB = NetAddress::ipv4(192, 0, 2, 52, 5070);

// A server's 200 to a probe: Via, From, To, Call-ID and CSeq copied.
std::string answer(const std::string& probe, int code = 200) {
  auto line = [&](const std::string& name) {
    const std::size_t at = probe.find("\r\n" + name + ": ");
    return probe.substr(at + 2, probe.find("\r\n", at + 2) - at - 2);
  };
  return "SIP/2.0 " + std::to_string(code) + " OK\r\n" + line("Via") + "\r\n" + line("From") +
         "\r\n" + line("To") + ";tag=srv\r\n" + line("Call-ID") + "\r\n" + line("CSeq") +
         "\r\nContent-Length: 0\r\n\r\n";
}

class HealthProberTest : public ::testing::Test {
 protected:
  HealthProberTest() : qsbr_(1), table_(64, qsbr_) {
    set_ = std::make_shared<DestinationSet>(
        "pbx", DestinationAlgorithm::kRoundRobin,
        std::vector<DestinationHop>{{kHopA, 1, 0}, {kHopB, 1, 0}}, HealthSettings{1000, 2, 1});
    settings_.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
    settings_.destinations = {set_};
    settings_.probe_destinations = true;
    qsbr_.online(0);
    core_ = std::make_unique<ProxyCore>(settings_, table_);
  }
  std::vector<FakeOutbox::Sent> tick(uint64_t now) {
    out_.clear();
    out_.batch([&] { core_->tick(out_, now); });
    return out_.sent;
  }
  std::vector<FakeOutbox::Sent> deliver(const std::string& msg, const NetAddress& from) {
    out_.clear();
    out_.batch([&] { core_->handle(msg, from, out_, 0); });
    return out_.sent;
  }

  Qsbr qsbr_;
  LocationTable table_;
  std::shared_ptr<DestinationSet> set_;
  EngineSettings settings_;
  std::unique_ptr<ProxyCore> core_;
  FakeOutbox out_;
};

TEST_F(HealthProberTest, EveryHopIsProbedWithOptionsEachInterval) {
  const auto sent = tick(10'000);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, kHopA);
  EXPECT_EQ(sent[0].bytes.substr(0, sent[0].bytes.find("\r\n")),
            "OPTIONS sip:192.0.2.51:5060 SIP/2.0");
  EXPECT_NE(sent[0].bytes.find("Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsw00ff"),
            std::string::npos);
  EXPECT_EQ(sent[1].to, kHopB);
  EXPECT_TRUE(tick(10'999).empty());
  EXPECT_EQ(tick(11'000).size(), 2u);
  EXPECT_EQ(core_->prober()->counters().probes_sent, 4u);
}

TEST_F(HealthProberTest, SilenceTakesAHopDownAndAnAnswerBringsItBack) {
  auto probes = tick(10'000);
  EXPECT_TRUE(deliver(answer(probes[0].bytes), kHopA).empty());  // consumed, not relayed
  probes = tick(11'000);                                         // B missed once
  EXPECT_TRUE(set_->is_up(1));
  deliver(answer(probes[0].bytes), kHopA);
  probes = tick(12'000);  // B missed twice: down
  EXPECT_TRUE(set_->is_up(0));
  EXPECT_FALSE(set_->is_up(1));
  EXPECT_EQ(core_->prober()->counters().missed, 2u);
  // Any answer counts (a 404 is still a live server); up_after = 1.
  deliver(answer(probes[1].bytes, 404), kHopB);
  EXPECT_TRUE(set_->is_up(1));
  EXPECT_EQ(core_->prober()->counters().state_changes, 2u);
}

TEST_F(HealthProberTest, AnAnswerToAnOldProbeDoesNotCount) {
  const auto first = tick(10'000);
  tick(11'000);  // new probes: the first ones are stale now
  deliver(answer(first[1].bytes), kHopB);
  EXPECT_EQ(core_->prober()->counters().answered, 0u);
}

// Listening on both IP families: a probe to an IPv6 hop names our IPv6 address, where it
// leaves from, so the hop's answer can come back (and counts).
TEST(HealthProberFamilies, AProbeNamesOurAddressOfItsHopsFamily) {
  const NetAddress hop6 = *NetAddress::parse("2001:db8::51", 5060);
  auto set = std::make_shared<DestinationSet>("pbx6", DestinationAlgorithm::kRoundRobin,
                                              std::vector<DestinationHop>{{hop6, 1, 0}},
                                              HealthSettings{1000, 2, 1});
  EngineSettings settings;
  settings.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
  settings.local_other_family = *NetAddress::parse("2001:db8::1", 5062);
  settings.destinations = {set};
  settings.probe_destinations = true;
  Qsbr qsbr(1);
  LocationTable table(64, qsbr);
  qsbr.online(0);
  ProxyCore core(settings, table);
  FakeOutbox out;
  out.batch([&] { core.tick(out, 10'000); });
  ASSERT_EQ(out.sent.size(), 1u);
  EXPECT_EQ(out.sent[0].to, hop6);
  EXPECT_NE(out.sent[0].bytes.find("\r\nVia: SIP/2.0/UDP [2001:db8::1]:5062;branch="),
            std::string::npos)
      << out.sent[0].bytes;
  const std::string probe = out.sent[0].bytes;
  out.clear();
  out.batch([&] { core.handle(answer(probe), hop6, out, 10'001); });
  EXPECT_TRUE(out.sent.empty());
  EXPECT_EQ(core.prober()->counters().answered, 1u);
}

}  // namespace
}  // namespace sipwire
