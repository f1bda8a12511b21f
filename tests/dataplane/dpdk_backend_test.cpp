// The DPDK backend on a port made of rings (rte_eth_from_rings): frames go in through the RX
// ring exactly as a NIC would hand them over, the worker is driven one pass at a time
// (DpdkBackend::poll) with a real shard, and what the port transmits is read back from the TX
// ring and checked byte by byte: addresses, checksums, ARP, fragmentation, reassembly, zero
// copy, the exception-path drops and the shard-affinity handover. EAL runs with --no-huge, so
// no hugepages and no root are needed.
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/dpdk/packet_frame.h"
#include "dataplane/shard.h"
#include "dataplane/shard_router.h"
#include "tests/dataplane/reference_checksum.h"

namespace sipwire::dataplane {
namespace {

using net::MacAddress;
using sipwire::testing::fold;
using sipwire::testing::l4_checksum_ok;
using sipwire::testing::sum16;

const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kUasMac{{0x02, 0, 0, 0, 0, 0x03}};
const NetAddress kProxy = NetAddress::ipv4(10, 0, 0, 2, 5060);
const NetAddress kPeer = NetAddress::ipv4(10, 0, 0, 1, 5062);
const NetAddress kUas = NetAddress::ipv4(10, 0, 0, 3, 5070);

bool g_eal_ok = false;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    std::vector<std::string> args{
        "dpdk_backend_tests", "--no-pci",         "--no-huge",        "-m", "256",
        "--no-shconf",        "--lcores=(0-2)@0", "--log-level=error"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    g_eal_ok = rte_eal_init(static_cast<int>(args.size()), argv.data()) >= 0;
  }
  void TearDown() override {
    if (g_eal_ok) rte_eal_cleanup();
  }
};
const auto* const kEal = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

// A port whose queue q reads rx[q] and writes tx[q]. The ring PMD names it "net_ring_" + the
// name given.
struct RingPort {
  std::vector<rte_ring*> rx, tx;
  std::string name;
  int port = -1;

  RingPort(const std::string& port_name, unsigned queues) : name(port_name) {
    for (unsigned q = 0; q < queues; ++q) {
      rx.push_back(rte_ring_create((name + "_rx" + std::to_string(q)).c_str(), 1024, 0,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ));
      tx.push_back(rte_ring_create((name + "_tx" + std::to_string(q)).c_str(), 1024, 0,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ));
    }
    port = rte_eth_from_rings(name.c_str(), rx.data(), queues, tx.data(), queues, 0);
    name = "net_ring_" + name;
  }
  ~RingPort() {
    for (rte_ring* r : rx) rte_ring_free(r);
    for (rte_ring* r : tx) rte_ring_free(r);
  }
};

struct Frame {
  std::vector<uint8_t> bytes;
};

// Ethernet + IPv4/IPv6 + UDP around `payload`, with correct checksums.
Frame udp_frame(const MacAddress& src_mac, const MacAddress& dst_mac, const NetAddress& from,
                const NetAddress& to, std::string_view payload) {
  const std::size_t header = from.is_ipv6() ? net::kUdpIpv6HeaderBytes : net::kUdpIpv4HeaderBytes;
  Frame f;
  f.bytes.resize(header + payload.size());
  net::write_udp_headers(f.bytes.data(), src_mac, dst_mac, from, to, payload.size(), 7);
  std::copy(payload.begin(), payload.end(), f.bytes.begin() + static_cast<long>(header));
  const std::string_view segments[] = {payload};
  net::store_be16(f.bytes.data() + header - 2,
                  net::udp_checksum(from, to, f.bytes.data() + header - 8, segments));
  return f;
}

// An independent check of a received frame's checksums (IPv4 header and UDP).
bool ipv4_udp_checksums_ok(const std::vector<uint8_t>& f) {
  const uint8_t* ip = f.data() + 14;
  if (fold(sum16(ip, 20)) != 0xFFFF) return false;
  const std::size_t udp_len = static_cast<std::size_t>(ip[20 + 4] << 8 | ip[20 + 5]);
  return l4_checksum_ok(ip + 12, ip + 16, 4, 17, ip + 20, udp_len);
}

std::string register_request(const std::string& user, const NetAddress& contact);

class DpdkBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_eal_ok) GTEST_SKIP() << "EAL did not start (--no-huge)";
  }

  // Opens a backend of `workers` on a fresh ring port; settings for its shards.
  // `local`: the shards' own address (the engine answers for one; see main.cpp). `port`: an
  // existing port's name instead of a new ring port.
  void open(unsigned workers, ProxyMode mode, bool affinity = false,
            const NetAddress& local = kProxy, const std::string& port = "") {
    static int serial = 0;
    if (port.empty()) {
      port_ = std::make_unique<RingPort>("sw" + std::to_string(serial++), workers);
      ASSERT_GE(port_->port, 0) << "rte_eth_from_rings failed";
    } else {
      ++serial;
    }
    DpdkBackendOptions options;
    options.eal_initialised = true;
    options.port = port.empty() ? port_->name : port;
    options.listen = {kProxy, NetAddress::parse("2001:db8::2", 5060).value()};
    options.listen.insert(options.listen.end(), listen_more_.begin(), listen_more_.end());
    options.workers = workers;
    options.shard_affinity = affinity;
    options.mbufs_per_worker = 2047;
    options.queue_size = 256;
    options.reassembly_flows = 64;
    options.idle_sleep_us = 0;
    options.multi_segment_tx = multi_segment_tx_;
    options.neighbor_hold_ms = neighbor_hold_ms_;
    options.neighbor_reachable_ms = neighbor_reachable_ms_;
    options.verify_udp_checksums = verify_udp_checksums_;
    options.burst = burst_;
    options.networks = networks_;
    options.gateways = gateways_;
    options.vlan = vlan_;
    std::string error;
    backend_ = DpdkBackend::open(options, error);
    ASSERT_NE(backend_, nullptr) << error;
    pool_ = rte_pktmbuf_pool_create(("sw_feed" + std::to_string(serial)).c_str(), 1023, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
    qsbr_ = std::make_unique<Qsbr>(workers);
    location_ = std::make_unique<LocationTable>(64, *qsbr_);
    EngineSettings settings;
    settings.mode = mode;
    settings.local = local;
    for (const NetAddress& a : listen_more_) settings.local_more.push_back({a, {}});
    // As the configuration does: our domains, then every listen address.
    settings.domains = {"localhost", "10.0.0.2", "2001:db8::2"};
    settings.message_store_bytes = 1 << 20;
    settings.transactions.capacity = 1024;
    // One flat private network: some tests register a contact from another host (the peer
    // registers the UAS), which is to be reached at its own address, not the REGISTER's.
    settings.registrar.private_contacts_at_source = false;
    for (unsigned i = 0; i < workers; ++i)
      shards_.push_back(std::make_unique<Shard>(i, settings, *location_, *qsbr_));
    // On its first pass the backend announces our MAC (ARP announcement, unsolicited neighbour
    // advertisement): taken here, so that each test sees only what it provokes.
    run();
    if (port_ != nullptr) {
      announced_ = sent();
      announced_vlans_ = sent_vlans_;
    }
  }

  void TearDown() override {
    shards_.clear();
    backend_.reset();
    port_.reset();
    if (pool_ != nullptr) rte_mempool_free(pool_);
  }

  // `ol_flags`: what a port with RX checksum offload would have found (net_ring passes the
  // mbuf on as it is).
  // On the wire with an 802.1Q tag of VLAN `wire_vlan_` when that is set. `vlan_tci`: what a
  // port that strips tags would have found (with RTE_MBUF_F_RX_VLAN_STRIPPED in `ol_flags`).
  void feed(const Frame& f, unsigned queue = 0, uint64_t ol_flags = 0, uint16_t vlan_tci = 0) {
    std::vector<uint8_t> bytes = f.bytes;
    if (wire_vlan_ >= 0) {
      const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(wire_vlan_ >> 8),
                              static_cast<uint8_t>(wire_vlan_)};
      bytes.insert(bytes.begin() + 12, tag, tag + 4);
    }
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(m, nullptr);
    ASSERT_NE(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), nullptr);
    std::copy(bytes.begin(), bytes.end(), rte_pktmbuf_mtod(m, uint8_t*));
    m->ol_flags = ol_flags;
    m->vlan_tci = vlan_tci;
    ASSERT_EQ(rte_ring_enqueue(port_->rx[queue], m), 0);
  }

  // bob registers at the UAS's address (10.0.0.3:5070) on queue 0, sent from there (default)
  // or from `from` (then nothing has come from 10.0.0.3 and its MAC is unknown). Its 200 is
  // read and dropped, so what the port sends next is what the test provokes.
  void register_bob(const NetAddress& from = kUas, const MacAddress& from_mac = kUasMac) {
    feed(udp_frame(from_mac, our_mac(), from, kProxy, register_request("bob", kUas)));
    run();
    const auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_EQ(payload_of(frames[0]).rfind("SIP/2.0 200 OK\r\n", 0), 0u);
  }

  // `whole` (an IPv4 UDP frame) as fragments of up to 1,480 bytes of IP payload each.
  void feed_fragmented(const Frame& whole, unsigned queue = 0) {
    const std::size_t ip_payload = whole.bytes.size() - 34;
    for (std::size_t offset = 0; offset < ip_payload; offset += 1480) {
      const std::size_t n = std::min<std::size_t>(1480, ip_payload - offset);
      Frame frag;
      frag.bytes.assign(whole.bytes.begin(), whole.bytes.begin() + 34);
      frag.bytes.insert(frag.bytes.end(), whole.bytes.begin() + 34 + static_cast<long>(offset),
                        whole.bytes.begin() + 34 + static_cast<long>(offset + n));
      uint8_t* ip = frag.bytes.data() + 14;
      net::store_be16(ip + 2, static_cast<uint16_t>(20 + n));
      const bool more = offset + n < ip_payload;
      net::store_be16(ip + 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
      net::store_be16(ip + 10, 0);
      net::store_be16(ip + 10, net::ipv4_header_checksum(ip, 20));
      feed(frag, queue);
    }
  }

  // IPv4 fragments the port sent, put together again as one frame (the first fragment's
  // headers, total length and header checksum redone). Each fragment must fit the MTU and
  // carry a valid header checksum, and the datagram its valid UDP checksum.
  static std::vector<uint8_t> reassemble(const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<uint8_t> rebuilt(frames.at(0).begin(), frames.at(0).begin() + 34);
    for (const auto& f : frames) {
      EXPECT_LE(f.size() - 14, 1500u);
      const uint8_t* ip = f.data() + 14;
      EXPECT_EQ(fold(sum16(ip, 20)), 0xFFFF);
      const std::size_t offset = static_cast<std::size_t>((ip[6] & 0x1F) << 8 | ip[7]) * 8;
      const std::size_t len = static_cast<std::size_t>(ip[2] << 8 | ip[3]) - 20;
      EXPECT_EQ(f.size(), std::max<std::size_t>(34 + len, net::kMinFrameBytes));  // padded
      if (rebuilt.size() < 34 + offset + len) rebuilt.resize(34 + offset + len);
      std::copy(f.begin() + 34, f.begin() + 34 + static_cast<long>(len),
                rebuilt.begin() + 34 + static_cast<long>(offset));
    }
    net::store_be16(rebuilt.data() + 16, static_cast<uint16_t>(rebuilt.size() - 14));
    net::store_be16(rebuilt.data() + 20, 0);
    net::store_be16(rebuilt.data() + 24, 0);
    net::store_be16(rebuilt.data() + 24, net::ipv4_header_checksum(rebuilt.data() + 14, 20));
    EXPECT_TRUE(ipv4_udp_checksums_ok(rebuilt));
    return rebuilt;
  }

  // Runs every worker's loop a few passes (handovers take one more).
  void run() {
    for (int pass = 0; pass < 3; ++pass)
      for (unsigned w = 0; w < shards_.size(); ++w) backend_->poll(w, *shards_[w]);
  }

  // What the port sent on `queue`, each frame flattened (its mbuf count in sent_segments_).
  // An 802.1Q tag is taken off: its VLAN goes to sent_vlans_ (-1 for an untagged frame).
  std::vector<std::vector<uint8_t>> sent(unsigned queue = 0) {
    std::vector<std::vector<uint8_t>> out;
    sent_segments_.clear();
    sent_tail_received_.clear();
    sent_vlans_.clear();
    void* m = nullptr;
    while (rte_ring_dequeue(port_->tx[queue], &m) == 0) {
      auto* mbuf = static_cast<rte_mbuf*>(m);
      sent_segments_.push_back(mbuf->nb_segs);
      const rte_mbuf* last = rte_pktmbuf_lastseg(mbuf);
      sent_tail_received_.push_back(mbuf->nb_segs > 1 && last->pool == pool_ &&
                                    RTE_MBUF_DIRECT(last));
      std::vector<uint8_t> bytes(mbuf->pkt_len);
      const void* p = rte_pktmbuf_read(mbuf, 0, mbuf->pkt_len, bytes.data());
      if (p != bytes.data()) std::memcpy(bytes.data(), p, mbuf->pkt_len);
      // (A port that inserts tags itself would have been asked to by RTE_MBUF_F_TX_VLAN.)
      EXPECT_EQ(mbuf->ol_flags & RTE_MBUF_F_TX_VLAN, 0u);
      if (bytes.size() >= 18 && bytes[12] == 0x81 && bytes[13] == 0x00) {
        sent_vlans_.push_back((bytes[14] << 8 | bytes[15]) & 0xfff);
        bytes.erase(bytes.begin() + 12, bytes.begin() + 16);
      } else {
        sent_vlans_.push_back(-1);
      }
      out.push_back(std::move(bytes));
      rte_pktmbuf_free(mbuf);
    }
    return out;
  }

  static std::string payload_of(const std::vector<uint8_t>& f) {
    const std::size_t header =
        (f[12] == 0x86) ? net::kUdpIpv6HeaderBytes : net::kUdpIpv4HeaderBytes;
    return std::string(f.begin() + static_cast<long>(header), f.end());
  }

  // The MAC of `port` (default: this test's ring port), which frames for us are sent to.
  MacAddress our_mac(const std::string& port = "") const {
    rte_ether_addr a{};
    uint16_t id = 0;
    rte_eth_dev_get_port_by_name((port.empty() ? port_->name : port).c_str(), &id);
    rte_eth_macaddr_get(id, &a);
    MacAddress m;
    std::copy(std::begin(a.addr_bytes), std::end(a.addr_bytes), m.bytes.begin());
    return m;
  }

  DpdkStats totals() const {
    DpdkStats s;
    for (unsigned w = 0; w < backend_->workers(); ++w) s += backend_->dpdk_stats(w);
    return s;
  }

  bool multi_segment_tx_ = true;                 // DpdkBackendOptions::multi_segment_tx for open()
  unsigned neighbor_hold_ms_ = 1000;             // DpdkBackendOptions::neighbor_hold_ms for open()
  unsigned neighbor_reachable_ms_ = 60'000;      // DpdkBackendOptions::neighbor_reachable_ms
  unsigned burst_ = 32;                          // DpdkBackendOptions::burst for open()
  bool verify_udp_checksums_ = true;             // DpdkBackendOptions::verify_udp_checksums
  unsigned vlan_ = 0;                            // DpdkBackendOptions::vlan for open()
  int wire_vlan_ = -1;                           // the tag feed() puts on frames; -1: none
  std::vector<int> sent_vlans_;                  // per frame of the last sent(): its tag or -1
  std::vector<std::vector<uint8_t>> announced_;  // what open()'s first pass sent
  std::vector<int> announced_vlans_;
  std::vector<OnLinkNetwork> networks_;  // DpdkBackendOptions::networks for open()
  std::vector<NetAddress> gateways_;     // DpdkBackendOptions::gateways for open()
  std::vector<NetAddress> listen_more_;  // listen addresses after the first two, for open()
  std::vector<unsigned> sent_segments_;
  // Per frame of the last sent(): whether its last segment is a received mbuf itself (one
  // feed() put on the RX ring), not a copy or an indirect mbuf.
  std::vector<bool> sent_tail_received_;
  std::unique_ptr<RingPort> port_;
  std::unique_ptr<DpdkBackend> backend_;
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<Qsbr> qsbr_;
  std::unique_ptr<LocationTable> location_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

std::string options_request(const std::string& branch, const NetAddress& from) {
  return "OPTIONS sip:" + std::string(from.is_ipv6() ? "[2001:db8::2]" : "10.0.0.2") +
         " SIP/2.0\r\nVia: SIP/2.0/UDP " + from.to_string() + ";branch=" + branch +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: <sip:localhost>\r\n"
         "Call-ID: " +
         branch + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

std::string register_request(const std::string& user, const NetAddress& contact) {
  return "REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP " + contact.to_string() +
         ";branch=z9hG4bKreg" + user + "\r\nMax-Forwards: 70\r\nFrom: <sip:" + user +
         "@localhost>;tag=r\r\nTo: <sip:" + user + "@localhost>\r\nCall-ID: reg-" + user +
         "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user + "@" + contact.to_string() +
         ">\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n";
}

std::string invite_request(const std::string& branch, std::size_t body_bytes,
                           const std::string& user = "bob") {
  const std::string body(body_bytes, 'x');
  return "INVITE sip:" + user +
         "@localhost SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;branch=" + branch +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@localhost>;tag=a\r\nTo: <sip:bob@localhost>"
         "\r\nCall-ID: " +
         branch +
         "\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.1:5062>"
         "\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(DpdkBackendTest, AnswersOptionsToTheSenderWithCorrectAddressesAndChecksums) {
  open(1, ProxyMode::kStateless);
  const MacAddress other{{0x02, 0, 0, 0, 0, 0x99}};
  feed(udp_frame(kPeerMac, other, kPeer, kProxy, options_request("z9hG4bKo1", kPeer)));
  // The frame above is to another host's MAC: not ours, dropped.
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_not_ours, 1u);

  const MacAddress ours = our_mac();
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKo2", kPeer)));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const std::vector<uint8_t>& f = frames[0];
  EXPECT_TRUE(std::equal(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), f.begin()));
  EXPECT_TRUE(std::equal(ours.bytes.begin(), ours.bytes.end(), f.begin() + 6));
  EXPECT_EQ(f[14 + 12], 10);  // source 10.0.0.2
  EXPECT_EQ(f[14 + 15], 2);
  EXPECT_EQ(f[14 + 19], 1);             // destination 10.0.0.1
  EXPECT_EQ(f[34] << 8 | f[35], 5060);  // from our port
  EXPECT_EQ(f[36] << 8 | f[37], 5062);  // to the sender's
  EXPECT_TRUE(ipv4_udp_checksums_ok(f));
  EXPECT_EQ(payload_of(f).rfind("SIP/2.0 200 OK\r\n", 0), 0u) << payload_of(f);
  EXPECT_EQ(backend_->stats(0).rx_datagrams, 1u);
}

TEST_F(DpdkBackendTest, EveryRequestOfALargeBurstIsAnswered) {
  // 200 OPTIONS arrive in one burst (burst = 256, the scratch space at its default 256 KiB).
  // Each answer takes room for 4 KiB while it is written and keeps what it used: before, the
  // 65th answer of a burst found the scratch space gone and was dropped.
  burst_ = 256;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  for (int i = 0; i < 200; ++i)
    feed(udp_frame(kPeerMac, ours, kPeer, kProxy,
                   options_request("z9hG4bKburst" + std::to_string(i), kPeer)));
  backend_->poll(0, *shards_[0]);
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 200u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::string p = payload_of(frames[i]);
    EXPECT_EQ(p.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << i;
    EXPECT_NE(p.find("branch=z9hG4bKburst" + std::to_string(i) + "\r\n"), std::string::npos) << i;
  }
  EXPECT_EQ(backend_->stats(0).scratch_exhausted, 0u);
}

using DpdkBackendFrames = DpdkBackendTest;

// An ARP request from 10.0.0.1 (kPeerMac) for 10.0.0.2, to broadcast.
Frame arp_request_for_us() {
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,  1, 0x08, 0x06,
                              0,    1,    0x08, 0,    6,    4,    0, 1, 2, 0, 0,  0, 0,    1,
                              10,   0,    0,    1,    0,    0,    0, 0, 0, 0, 10, 0, 0,    2};
  arp.resize(60, 0);
  return Frame{arp};
}

TEST_F(DpdkBackendFrames, AnswersArpForOurAddressWithoutATap) {
  open(1, ProxyMode::kStateless);
  feed(arp_request_for_us());
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto& r = frames[0];
  EXPECT_EQ(r[12], 0x08);
  EXPECT_EQ(r[13], 0x06);
  EXPECT_EQ(r[21], 2);  // a reply
  const MacAddress ours = our_mac();
  EXPECT_TRUE(std::equal(ours.bytes.begin(), ours.bytes.end(), r.begin() + 22));  // sender MAC
  EXPECT_EQ(r[28], 10);
  EXPECT_EQ(r[31], 2);  // sender IP 10.0.0.2
  EXPECT_EQ(totals().arp_answered, 1u);
}

TEST_F(DpdkBackendFrames, WithoutATapNonSipTrafficIsDroppedAndCounted) {
  open(1, ProxyMode::kStateless);
  // UDP to another port of ours: the kernel's, but there is no exception path.
  feed(udp_frame(kPeerMac, our_mac(), kPeer, NetAddress::ipv4(10, 0, 0, 2, 9999), "hello"));
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_kernel, 1u);
}

TEST_F(DpdkBackendFrames, ADatagramWhoseChecksumThePortFlagsAsBadIsDropped) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  const uint64_t bad[] = {RTE_MBUF_F_RX_L4_CKSUM_BAD, RTE_MBUF_F_RX_IP_CKSUM_BAD,
                          RTE_MBUF_F_RX_L4_CKSUM_BAD | RTE_MBUF_F_RX_IP_CKSUM_GOOD};
  for (const uint64_t flags : bad)
    feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKbad", kPeer)), 0, flags);
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_malformed, 3u);
  EXPECT_EQ(backend_->stats(0).rx_datagrams, 0u);
  // Verified good, or not verified by the port (then summed here, and good): answered.
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKgood", kPeer)), 0,
       RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD);
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKunknown", kPeer)));
  run();
  EXPECT_EQ(sent().size(), 2u);
  EXPECT_EQ(totals().drop_malformed, 3u);
}

// An OPTIONS whose payload is changed after its UDP checksum was computed (a byte of the
// Call-ID: it still parses, and would be answered).
Frame corrupted_options(const MacAddress& ours, const std::string& branch) {
  Frame f = udp_frame(kPeerMac, ours, kPeer, kProxy, options_request(branch, kPeer));
  const std::string payload(f.bytes.begin() + net::kUdpIpv4HeaderBytes, f.bytes.end());
  f.bytes[net::kUdpIpv4HeaderBytes + payload.find("Call-ID: ") + 9] ^= 0x01;
  return f;
}

TEST_F(DpdkBackendFrames, WhereThePortGivesNoVerdictTheUdpChecksumIsSummedHere) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  // net_ring verifies nothing (the flags say unknown): a corrupted datagram is dropped, as the
  // kernel drops it before a socket sees it.
  feed(corrupted_options(ours, "z9hG4bKcorrupt"));
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_malformed, 1u);
  EXPECT_EQ(backend_->stats(0).rx_datagrams, 0u);
  // The port's verdict stands where it gives one: GOOD, or NONE (verified, the field left
  // unfinished, as virtio hands over a local sender's datagram).
  feed(corrupted_options(ours, "z9hG4bKgood"), 0, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
  feed(corrupted_options(ours, "z9hG4bKnone"), 0, RTE_MBUF_F_RX_L4_CKSUM_NONE);
  // Over IPv4 a checksum of 0 means the sender computed none (RFC 768): accepted.
  Frame unsummed = udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKz", kPeer));
  net::store_be16(unsummed.bytes.data() + net::kUdpIpv4HeaderBytes - 2, 0);
  feed(unsummed);
  run();
  EXPECT_EQ(sent().size(), 3u);
  EXPECT_EQ(totals().drop_malformed, 1u);
}

TEST_F(DpdkBackendFrames, AReassembledDatagramsUdpChecksumIsSummedHere) {
  // No port verifies a checksum that spans fragments: it is summed once the datagram is whole.
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob();
  Frame f = udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKfragbad", 2600));
  f.bytes.back() ^= 0x01;  // a byte of the body, in the last fragment
  feed_fragmented(f);
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().reassembled, 1u);
  EXPECT_EQ(totals().drop_malformed, 1u);
}

TEST_F(DpdkBackendFrames, WithUdpChecksumVerificationOffAnUnverifiedDatagramIsAccepted) {
  verify_udp_checksums_ = false;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  feed(corrupted_options(ours, "z9hG4bKunchecked"));
  // The port's own verdict still counts.
  feed(corrupted_options(ours, "z9hG4bKflagged"), 0, RTE_MBUF_F_RX_L4_CKSUM_BAD);
  run();
  EXPECT_EQ(sent().size(), 1u);
  EXPECT_EQ(totals().drop_malformed, 1u);
}

TEST_F(DpdkBackendFrames, AnIpv6DatagramWithoutAUdpChecksumIsDropped) {
  // RFC 8200 §8.1: over IPv6 a UDP checksum of 0 means none, which is not allowed.
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 5060).value();
  open(1, ProxyMode::kStateless, false, proxy6);
  Frame f = udp_frame(kPeerMac, our_mac(), peer6, proxy6, options_request("z9hG4bKv6z", peer6));
  net::store_be16(f.bytes.data() + net::kUdpIpv6HeaderBytes - 2, 0);
  feed(f);
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_malformed, 1u);
}

TEST_F(DpdkBackendFrames, AnswersOverIpv6) {
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 5060).value();
  open(1, ProxyMode::kStateless, false, proxy6);
  feed(udp_frame(kPeerMac, our_mac(), peer6, proxy6, options_request("z9hG4bKv6", peer6)));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0][12], 0x86);
  EXPECT_EQ(frames[0][13], 0xDD);
  EXPECT_EQ(payload_of(frames[0]).rfind("SIP/2.0 200 OK\r\n", 0), 0u) << payload_of(frames[0]);
  // The UDP checksum over the IPv6 pseudo-header verifies.
  const auto& f = frames[0];
  const uint8_t* ip = f.data() + 14;
  const std::size_t udp_len = static_cast<std::size_t>(ip[44] << 8 | ip[45]);
  const uint32_t pseudo = sum16(ip + 8, 32) + 17 + static_cast<uint32_t>(udp_len);
  EXPECT_EQ(fold(sum16(ip + 40, udp_len, pseudo)), 0xFFFF);
}

TEST_F(DpdkBackendFrames, AnswersOverIpv6BehindAHopByHopHeader) {
  // A router alert in a hop-by-hop header ("skip if unknown") before UDP: the request is
  // answered as if the header were not there (before, it went to the kernel, which has no SIP
  // socket: a port unreachable).
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 5060).value();
  open(1, ProxyMode::kStateless, false, proxy6);
  Frame f = udp_frame(kPeerMac, our_mac(), peer6, proxy6, options_request("z9hG4bKhbh", peer6));
  const uint8_t hop_by_hop[] = {17, 0, 5, 2, 0, 0, 1, 0};  // router alert, PadN
  f.bytes.insert(f.bytes.begin() + 54, std::begin(hop_by_hop), std::end(hop_by_hop));
  f.bytes[20] = 0;  // next header: hop-by-hop
  net::store_be16(f.bytes.data() + 18,
                  static_cast<uint16_t>(net::load_be16(f.bytes.data() + 18) + sizeof hop_by_hop));
  feed(f);
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(payload_of(frames[0]).rfind("SIP/2.0 200 OK\r\n", 0), 0u) << payload_of(frames[0]);
  EXPECT_NE(payload_of(frames[0]).find("branch=z9hG4bKhbh"), std::string::npos);
  EXPECT_EQ(totals().drop_kernel, 0u);
}

TEST_F(DpdkBackendFrames, ForwardsByReferenceToTheReceivedFrame) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  feed(udp_frame(kUasMac, ours, kUas, kProxy, register_request("bob", kUas)));
  run();
  ASSERT_EQ(sent().size(), 1u);  // 200 to the REGISTER
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKinv1", 600)));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto& f = frames[0];
  EXPECT_TRUE(std::equal(kUasMac.bytes.begin(), kUasMac.bytes.end(), f.begin()));  // learnt
  EXPECT_EQ(f[14 + 19], 3);                                                        // to 10.0.0.3
  EXPECT_TRUE(ipv4_udp_checksums_ok(f));
  const std::string forwarded = payload_of(f);
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find(std::string(600, 'x')), std::string::npos);
  // The body and most headers went by reference, not copied: a chain of mbufs.
  const DpdkStats s = totals();
  EXPECT_GE(s.referenced_bytes, 600u);
  EXPECT_LT(s.copied_bytes, forwarded.size());
  EXPECT_GT(sent_segments_.at(0), 1u);
  EXPECT_NE(backend_->describe().find("chained mbufs"), std::string::npos);
  // The body left in the received mbuf itself (no indirect mbuf), which went back to its pool
  // once sent: every mbuf fed is free again.
  EXPECT_TRUE(sent_tail_received_.at(0));
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

TEST_F(DpdkBackendFrames, AStatefulForwardLeavesByReferenceAndIsResentFromItsStoredCopy) {
  // The transaction-stateful proxy keeps one copy of a forwarded request, for Timer A's
  // retransmissions. Its first transmission leaves as a stateless forward does, the body by
  // reference to the received frame (it used to be copied again, from that stored copy).
  open(1, ProxyMode::kStateful);
  register_bob();
  feed(udp_frame(kPeerMac, our_mac(), kPeer, kProxy, invite_request("z9hG4bKsf1", 600)));
  run();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 2u);  // 100 Trying to the caller, the INVITE to bob
  EXPECT_EQ(payload_of(frames[0]).rfind("SIP/2.0 100 Trying\r\n", 0), 0u);
  const std::string forwarded = payload_of(frames[1]);
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find(std::string(600, 'x')), std::string::npos);
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[1]));
  EXPECT_GE(totals().referenced_bytes, 600u);
  EXPECT_TRUE(sent_tail_received_.at(1));
  // Timer A (T1, 500 ms): the same bytes again, from the stored copy, and all of them copied.
  const uint64_t referenced = totals().referenced_bytes;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  run();
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(payload_of(frames[0]), forwarded);
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[0]));
  EXPECT_EQ(totals().referenced_bytes, referenced);
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);  // every mbuf fed is free again
}

// With a second IPv4 address, a request that came in at it is forwarded from it, and its
// retransmission (Timer A, sent from a timer, no datagram in hand) leaves from it as well.
TEST_F(DpdkBackendFrames, ARetransmissionLeavesFromTheAddressItsRequestCameIn) {
  const NetAddress second = NetAddress::ipv4(10, 0, 0, 4, 5070);
  listen_more_ = {second};
  open(1, ProxyMode::kStateful);
  register_bob();
  feed(udp_frame(kPeerMac, our_mac(), kPeer, second, invite_request("z9hG4bKsf2", 0)));
  run();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 2u);  // 100 Trying to the caller, the INVITE to bob
  const std::string forwarded = payload_of(frames[1]);
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find("\r\nVia: SIP/2.0/UDP 10.0.0.4:5070;branch="), std::string::npos)
      << forwarded;
  EXPECT_EQ(frames[1][14 + 15], 4);  // from 10.0.0.4
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  run();
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(payload_of(frames[0]), forwarded);
  EXPECT_EQ(frames[0][14 + 15], 4);  // from 10.0.0.4 again
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[0]));
}

TEST_F(DpdkBackendFrames, SeveralFramesFromOneReceivedDatagramEachKeepTheirBytes) {
  // A handler that sends the tail of the datagram it got three times, as a forked request's
  // branches would. The received mbuf itself can be only the last segment of one frame: not of
  // the first, where text follows the tail (the worker's free of the received mbuf would take
  // an mbuf chained after it along); of the second, which ends with the tail; the third refers
  // to the same bytes through an indirect mbuf. Each frame must carry exactly its own bytes,
  // and every mbuf fed must come back to its pool.
  struct ThreeFrames : PacketHandler {
    NetAddress to;
    void on_datagram(std::string_view bytes, const NetAddress&, const NetAddress&,
                     Outbox& out) override {
      const std::string_view tail = bytes.substr(20);
      const std::string_view first[] = {"first:", tail, ":trailer"};
      const std::string_view second[] = {"second:", tail};
      const std::string_view third[] = {"third:", tail};
      out.send(to, first);
      out.send(to, second);
      out.send(to, third);
    }
    void on_tick(Outbox&) override {}
  } handler;
  handler.to = kUas;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  feed(udp_frame(kUasMac, ours, kUas, kProxy, options_request("z9hG4bKlearn", kUas)));
  run();
  ASSERT_EQ(sent().size(), 1u);  // the OPTIONS answered: kUas's MAC is known
  const std::string datagram = invite_request("z9hG4bKtwice", 600);
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, datagram));
  for (int pass = 0; pass < 3; ++pass) backend_->poll(0, handler);
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(payload_of(frames[0]), "first:" + datagram.substr(20) + ":trailer");
  EXPECT_EQ(payload_of(frames[1]), "second:" + datagram.substr(20));
  EXPECT_EQ(payload_of(frames[2]), "third:" + datagram.substr(20));
  for (const auto& f : frames) EXPECT_TRUE(ipv4_udp_checksums_ok(f));
  EXPECT_FALSE(sent_tail_received_.at(0));
  EXPECT_TRUE(sent_tail_received_.at(1));
  EXPECT_EQ(sent_segments_.at(1), 2u);  // headers and "second:", then the received mbuf
  EXPECT_FALSE(sent_tail_received_.at(2));
  for (unsigned segments : sent_segments_) EXPECT_GT(segments, 1u);  // all by reference
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

TEST_F(DpdkBackendFrames, WithoutMultiSegmentTxAForwardLeavesInOneMbuf) {
  // A port without RTE_ETH_TX_OFFLOAD_MULTI_SEGS may send only a chain's first segment: the
  // datagram is copied whole into one mbuf instead.
  multi_segment_tx_ = false;
  open(1, ProxyMode::kStateless);
  EXPECT_NE(backend_->describe().find("one mbuf per frame"), std::string::npos);
  const MacAddress ours = our_mac();
  register_bob();
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKinv1", 600)));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(sent_segments_.at(0), 1u);
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[0]));
  const std::string forwarded = payload_of(frames[0]);
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find(std::string(600, 'x')), std::string::npos);
  const DpdkStats s = totals();
  EXPECT_EQ(s.referenced_bytes, 0u);
  EXPECT_GE(s.copied_bytes, forwarded.size());
}

TEST_F(DpdkBackendFrames, WithoutMultiSegmentTxEachFragmentLeavesInOneMbuf) {
  multi_segment_tx_ = false;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob();
  // 1,900 bytes of body (in one frame; our MTU is 1500): fragments on the way out.
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKbig1", 1300)));
  run();
  const auto frames = sent();
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(totals().fragments_out, frames.size());
  EXPECT_EQ(totals().linearized, frames.size());  // each fragment copied into its header mbuf
  for (std::size_t i = 0; i < frames.size(); ++i)
    EXPECT_EQ(sent_segments_.at(i), 1u) << "fragment " << i;
  const std::string forwarded = payload_of(reassemble(frames));
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u);
  EXPECT_NE(forwarded.find(std::string(1300, 'x')), std::string::npos);
}

TEST_F(DpdkBackendFrames, AFragmentShorterThanTheShortestFrameIsPadded) {
  // Forwarded INVITEs whose last fragment carries the last few bytes of the datagram: that frame
  // would be shorter than 60 bytes, which a NIC that does not pad sends as a runt, and its
  // receiver drops (with it the whole datagram). Over both TX modes.
  for (const bool multi_segment : {true, false}) {
    multi_segment_tx_ = multi_segment;
    open(1, ProxyMode::kStateless);
    const MacAddress ours = our_mac();
    register_bob();
    std::size_t short_tails = 0;
    for (std::size_t body = 1060; body < 1200; ++body) {
      feed(udp_frame(kPeerMac, ours, kPeer, kProxy,
                     invite_request("z9hG4bKpad" + std::to_string(body), body)));
      run();
      const auto frames = sent();
      ASSERT_GE(frames.size(), 2u) << body;
      const std::size_t tail = frames.back().size() > 34 ? net::load_be16(&frames.back()[16]) : 0;
      short_tails += tail < net::kMinFrameBytes - 14;
      for (const auto& f : frames) EXPECT_GE(f.size(), net::kMinFrameBytes) << body;
      const std::string forwarded = payload_of(reassemble(frames));  // padding not in it
      EXPECT_NE(forwarded.find(std::string(body, 'x')), std::string::npos) << body;
      EXPECT_EQ(forwarded.size(), forwarded.find("\r\n\r\n") + 4 + body) << body;
    }
    EXPECT_GT(short_tails, 0u) << "no fragment was short: the test no longer tests padding";
    TearDown();  // the next mode on a port of its own
    pool_ = nullptr;
  }
}

// An ARP reply from `ip` at `mac` to us (10.0.0.2 at our MAC).
Frame arp_reply(const MacAddress& mac, uint8_t ip_last, const MacAddress& ours) {
  std::vector<uint8_t> f(ours.bytes.begin(), ours.bytes.end());
  f.insert(f.end(), mac.bytes.begin(), mac.bytes.end());
  const std::vector<uint8_t> arp = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2};
  f.insert(f.end(), arp.begin(), arp.end());
  f.insert(f.end(), mac.bytes.begin(), mac.bytes.end());
  f.insert(f.end(), {10, 0, 0, ip_last});
  f.insert(f.end(), ours.bytes.begin(), ours.bytes.end());
  f.insert(f.end(), {10, 0, 0, 2});
  f.resize(60, 0);
  return Frame{f};
}

TEST_F(DpdkBackendFrames, ADatagramToAnUnknownNextHopWaitsForItsArpReply) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob(kPeer, kPeerMac);
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKinv2", 10)));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKinv3", 10)));
  run();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);  // one ARP request for both held INVITEs, nothing else
  EXPECT_EQ(frames[0][12], 0x08);
  EXPECT_EQ(frames[0][13], 0x06);
  EXPECT_EQ(frames[0][21], 1);
  EXPECT_EQ(frames[0][41], 3);  // for 10.0.0.3
  EXPECT_EQ(totals().neighbor_held, 2u);

  // The answer comes: both INVITEs leave, in order, to the MAC it gave.
  feed(arp_reply(kUasMac, 3, ours));
  run();
  frames = sent();
  ASSERT_EQ(frames.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(std::equal(kUasMac.bytes.begin(), kUasMac.bytes.end(), frames[i].begin())) << i;
    EXPECT_TRUE(ipv4_udp_checksums_ok(frames[i])) << i;
    EXPECT_EQ(payload_of(frames[i]).rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u);
  }
  EXPECT_NE(payload_of(frames[0]).find("z9hG4bKinv2"), std::string::npos);
  EXPECT_NE(payload_of(frames[1]).find("z9hG4bKinv3"), std::string::npos);
  EXPECT_EQ(totals().drop_no_neighbor, 0u);
}

TEST_F(DpdkBackendFrames, AHeldDatagramIsDroppedWhenNoAnswerComesInTime) {
  neighbor_hold_ms_ = 20;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob(kPeer, kPeerMac);
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKinv4", 10)));
  run();
  ASSERT_EQ(sent().size(), 1u);  // the ARP request
  EXPECT_EQ(totals().drop_no_neighbor, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_no_neighbor, 1u);
  // A late answer finds nothing left to send.
  feed(arp_reply(kUasMac, 3, ours));
  run();
  EXPECT_TRUE(sent().empty());
}

// What went to the UAS (10.0.0.3, kUasMac): INVITEs, and ARP requests for its address.
struct ToUas {
  int invites = 0, arp_requests = 0, other = 0;
};
ToUas count_to_uas(const std::vector<std::vector<uint8_t>>& frames) {
  ToUas n;
  for (const auto& f : frames) {
    const bool arp = f[12] == 0x08 && f[13] == 0x06;
    if (arp && f[21] == 1 && f[41] == 3) {
      ++n.arp_requests;
    } else if (!arp && std::equal(kUasMac.bytes.begin(), kUasMac.bytes.end(), f.begin()) &&
               std::string(f.begin() + 42, f.end()).rfind("INVITE ", 0) == 0) {
      ++n.invites;
    } else {
      ++n.other;
    }
  }
  return n;
}

TEST_F(DpdkBackendFrames, ANextHopsMacAgesSoAChangeWithoutAGratuitousArpIsLearnt) {
  // Times are generous: the checks hold on a loaded machine (reachable 1 s: stale from 1 s to
  // 2 s after the last confirmation, expired after).
  neighbor_reachable_ms_ = 1000;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob(kPeer, kPeerMac);
  feed(arp_reply(kUasMac, 3, ours));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKage1", 10)));
  run();
  ToUas n = count_to_uas(sent());
  EXPECT_EQ(n.invites, 1);  // fresh: sent, nobody asked
  EXPECT_EQ(n.arp_requests, 0);
  EXPECT_EQ(n.other, 0);

  // Stale: the INVITEs still go to the MAC we know, and the UAS is asked again, once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKage2", 10)));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKage3", 10)));
  run();
  n = count_to_uas(sent());
  EXPECT_EQ(n.invites, 2);
  EXPECT_EQ(n.arp_requests, 1);
  EXPECT_EQ(n.other, 0);
  EXPECT_EQ(totals().neighbor_held, 0u);

  // No answer: past twice the reachable time the MAC is not used. The next INVITE waits for
  // the answer, which brings a new MAC (the UAS's host was replaced, and sent no gratuitous
  // ARP): the INVITE goes there.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKage4", 10)));
  run();
  n = count_to_uas(sent());
  EXPECT_EQ(n.invites, 0);
  EXPECT_EQ(n.arp_requests, 1);
  EXPECT_EQ(totals().neighbor_held, 1u);
  const MacAddress replaced{{0x02, 0, 0, 0, 0, 0x33}};
  feed(arp_reply(replaced, 3, ours));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(std::equal(replaced.bytes.begin(), replaced.bytes.end(), frames[0].begin()));
  EXPECT_NE(payload_of(frames[0]).find("z9hG4bKage4"), std::string::npos);
  EXPECT_EQ(totals().drop_no_neighbor, 0u);
}

TEST_F(DpdkBackendFrames, ClientsBeyondTheGatewayDoNotPushTheGatewayOutOfTheNeighbourTable) {
  // Behind the gateway (kPeer, 10.0.0.1) are 20,480 phones, five times the neighbour table's
  // slots. Their datagrams arrive from the gateway's MAC and every answer goes back through
  // the gateway, so only the gateway's own entry is of use: learning each phone's address
  // would fill the table and evict it, and answers would then wait for ARP.
  networks_ = {{NetAddress::ipv4(10, 0, 0, 0, 0), 24}};
  gateways_ = {NetAddress::ipv4(10, 0, 0, 1, 0)};
  open(1, ProxyMode::kStateless);
  EXPECT_NE(backend_->describe().find("1 on-link network(s), 1 gateway(s)"), std::string::npos)
      << backend_->describe();
  const MacAddress ours = our_mac();
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKgw", kPeer)));
  run();
  ASSERT_EQ(sent().size(), 1u);  // the gateway's own OPTIONS answered: its MAC is known
  constexpr unsigned kPhones = 20480, kBatch = 64;
  std::size_t answered = 0, other = 0;
  for (unsigned first = 0; first < kPhones; first += kBatch) {
    for (unsigned i = first; i < first + kBatch; ++i) {
      const NetAddress phone = NetAddress::ipv4(100, static_cast<uint8_t>(64 + i / 65536),
                                                static_cast<uint8_t>(i / 256 % 256),
                                                static_cast<uint8_t>(i % 256), 5060);
      feed(udp_frame(kPeerMac, ours, phone, kProxy,
                     options_request("z9hG4bKp" + std::to_string(i), phone)));
    }
    run();
    for (const auto& f : sent()) {
      const bool to_gateway = std::equal(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), f.begin());
      if (to_gateway && payload_of(f).rfind("SIP/2.0 200 ", 0) == 0)
        ++answered;
      else
        ++other;  // an ARP request for the gateway, or anything else
    }
  }
  EXPECT_EQ(answered, kPhones);
  EXPECT_EQ(other, 0u);
  EXPECT_EQ(totals().neighbor_held, 0u);
}

TEST_F(DpdkBackendFrames, AFlatNetworkOfTwentyThousandPhonesKeepsEveryPhonesMac) {
  // No [dpdk] networks: every address is on-link and learnt. 20,480 phones (each its own MAC)
  // send an OPTIONS; then a call comes for the first of them, long since quiet. Its MAC must
  // still be known, or the INVITE waits for ARP (and is lost if the phone sits behind a router
  // that does not answer for it).
  open(1, ProxyMode::kStateless);
  // The start line warns that this only works for clients that send first.
  EXPECT_NE(backend_->describe().find("every destination on-link"), std::string::npos)
      << backend_->describe();
  const MacAddress ours = our_mac();
  constexpr unsigned kPhones = 20480, kBatch = 64;
  auto phone = [](unsigned i) {
    return NetAddress::ipv4(10, static_cast<uint8_t>(64 + i / 65536),
                            static_cast<uint8_t>(i / 256 % 256), static_cast<uint8_t>(i % 256),
                            5060);
  };
  auto mac = [](unsigned i) {
    return MacAddress{{0x02, 0x10, 0, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                       static_cast<uint8_t>(i)}};
  };
  std::size_t answered = 0;
  for (unsigned first = 0; first < kPhones; first += kBatch) {
    for (unsigned i = first; i < first + kBatch; ++i)
      feed(udp_frame(mac(i), ours, phone(i), kProxy,
                     options_request("z9hG4bKf" + std::to_string(i), phone(i))));
    run();
    answered += sent().size();
  }
  ASSERT_EQ(answered, kPhones);
  const std::string invite =
      "INVITE sip:bob@" + phone(0).to_string() +
      " SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKflat\r\nMax-Forwards: 70\r\n"
      "From: <sip:alice@localhost>;tag=a\r\nTo: <sip:bob@localhost>\r\nCall-ID: flat\r\n"
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite));
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);  // the INVITE itself, not an ARP request
  const MacAddress first = mac(0);
  EXPECT_TRUE(std::equal(first.bytes.begin(), first.bytes.end(), frames[0].begin()));
  EXPECT_EQ(payload_of(frames[0]).rfind("INVITE sip:bob@10.64.0.0:5060 SIP/2.0\r\n", 0), 0u);
  EXPECT_EQ(totals().neighbor_held, 0u);
}

TEST_F(DpdkBackendFrames, ABurstIsAnnouncedBeforeItsDatagramsAndAnIdlePassAnnouncesNothing) {
  // The shard reads its clock in on_burst, once for every datagram of the pass.
  struct Recorder : PacketHandler {
    std::string calls;
    void on_burst() override { calls += 'B'; }
    void on_datagram(std::string_view, const NetAddress&, const NetAddress&, Outbox&) override {
      calls += 'D';
    }
    void on_tick(Outbox&) override { calls += 'T'; }
  } recorder;
  open(1, ProxyMode::kStateless);
  for (int i = 0; i < 3; ++i)
    feed(udp_frame(kPeerMac, our_mac(), kPeer, kProxy,
                   options_request("z9hG4bKb" + std::to_string(i), kPeer)));
  backend_->poll(0, recorder);
  EXPECT_EQ(recorder.calls, "BDDDT");
  recorder.calls.clear();
  backend_->poll(0, recorder);
  EXPECT_EQ(recorder.calls.find_first_of("BD"), std::string::npos) << recorder.calls;
}

// The top Via's branch of a request.
std::string branch_of(std::string_view request) {
  const std::size_t at = request.find("branch=") + 7;
  return std::string(request.substr(at, request.find_first_of(";\r", at) - at));
}

TEST_F(DpdkBackendFrames, ABurstIsPreparedWholeBeforeAnyOfItIsHandledInTheOrderItCame) {
  // The two passes of PacketHandler::prepare: every datagram of the pass prepared, then each
  // handled with its slot and the same bytes, in the order they came; more datagrams than
  // slots are handled a burst of slots at a time, the order kept.
  struct Recorder : PacketHandler {
    std::string calls;
    std::vector<std::string_view> prepared;
    void on_burst() override { calls += 'B'; }
    void prepare(unsigned slot, std::string_view bytes) override {
      calls += 'P';
      if (slot == 0) prepared.clear();  // the slots of the last second pass are free again
      EXPECT_EQ(slot, prepared.size());
      prepared.push_back(bytes);
    }
    void on_prepared(unsigned slot, std::string_view bytes, const NetAddress&, const NetAddress&,
                     Outbox&) override {
      calls += 'D';
      ASSERT_LT(slot, prepared.size());
      EXPECT_EQ(bytes.data(), prepared[slot].data());
      EXPECT_EQ(bytes, prepared[slot]);
      order += branch_of(bytes) + " ";
    }
    void on_datagram(std::string_view bytes, const NetAddress&, const NetAddress&,
                     Outbox&) override {
      calls += 'C';
      order += branch_of(bytes) + " ";
    }
    void on_tick(Outbox&) override { calls += 'T'; }
    std::string order;
  } recorder;
  open(1, ProxyMode::kStateless);
  for (int i = 0; i < 3; ++i)
    feed(udp_frame(kPeerMac, our_mac(), kPeer, kProxy,
                   options_request("z9hG4bKb00" + std::to_string(i), kPeer)));
  backend_->poll(0, recorder);
  EXPECT_EQ(recorder.calls, "BPPPDDDT");
  EXPECT_EQ(recorder.order, "z9hG4bKb000 z9hG4bKb001 z9hG4bKb002 ");

  // More than a burst's slots in one pass: handled in order all the same.
  recorder.calls.clear();
  recorder.order.clear();
  recorder.prepared.clear();
  const unsigned n = PacketHandler::kBurstSlots + 3;
  std::string expected;
  for (unsigned i = 0; i < n; ++i) {
    char branch[16];
    std::snprintf(branch, sizeof branch, "z9hG4bKc%03u", i);
    feed(udp_frame(kPeerMac, our_mac(), kPeer, kProxy, options_request(branch, kPeer)));
    expected += std::string(branch) + " ";
  }
  for (int pass = 0; pass < 10 && recorder.order.size() < expected.size(); ++pass)
    backend_->poll(0, recorder);
  EXPECT_EQ(recorder.order, expected);
  EXPECT_EQ(std::count(recorder.calls.begin(), recorder.calls.end(), 'P'), n);
  EXPECT_EQ(std::count(recorder.calls.begin(), recorder.calls.end(), 'D'), n);
}

TEST_F(DpdkBackendFrames, ADatagramOverTheMtuLeavesAsFragmentsAndFragmentsAreReassembled) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob();
  // A 3,000-byte INVITE, sent as three IPv4 fragments (1480, 1480, rest).
  feed_fragmented(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKbig", 2600)));
  run();
  const auto frames = sent();
  EXPECT_EQ(totals().reassembled, 1u);
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(totals().fragments_out, frames.size());
  const std::string forwarded = payload_of(reassemble(frames));
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u);
  EXPECT_NE(forwarded.find(std::string(2600, 'x')), std::string::npos);
}

// `whole` (an IPv6 UDP frame) as fragments of 1,448 bytes of payload (the last: the rest), with
// identification `id`, last first when `reversed`.
std::vector<Frame> ipv6_fragments(const Frame& whole, uint32_t id, bool reversed) {
  constexpr std::size_t kHeaders = 14 + 40, kPiece = 1448;
  const std::size_t payload = whole.bytes.size() - kHeaders;
  std::vector<Frame> out;
  for (std::size_t offset = 0; offset < payload; offset += kPiece) {
    const std::size_t n = std::min(kPiece, payload - offset);
    Frame f;
    f.bytes.assign(whole.bytes.begin(), whole.bytes.begin() + kHeaders);
    uint8_t fragment_header[8] = {17, 0, 0, 0, 0, 0, 0, 0};  // next header UDP
    net::store_be16(fragment_header + 2,
                    static_cast<uint16_t>(offset | (offset + n < payload ? 1 : 0)));
    net::store_be16(fragment_header + 4, static_cast<uint16_t>(id >> 16));
    net::store_be16(fragment_header + 6, static_cast<uint16_t>(id));
    f.bytes.insert(f.bytes.end(), fragment_header, fragment_header + 8);
    const auto from = whole.bytes.begin() + static_cast<long>(kHeaders + offset);
    f.bytes.insert(f.bytes.end(), from, from + static_cast<long>(n));
    f.bytes[14 + 6] = 44;  // next header: fragment
    net::store_be16(f.bytes.data() + 14 + 4, static_cast<uint16_t>(8 + n));
    out.push_back(std::move(f));
  }
  if (reversed) std::reverse(out.begin(), out.end());
  return out;
}

TEST_F(DpdkBackendFrames, AnIpv6DatagramInFragmentsIsReassembledAndForwardedInFragments) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 5060).value();
  const NetAddress uas6 = NetAddress::parse("2001:db8::3", 5070).value();
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  feed(udp_frame(kUasMac, ours, uas6, proxy6, register_request("bob", uas6)));
  run();
  ASSERT_EQ(sent().size(), 1u);
  // A 3,000-byte INVITE in three fragments, the last one first, as a network may reorder them.
  for (const Frame& f : ipv6_fragments(
           udp_frame(kPeerMac, ours, peer6, proxy6, invite_request("z9hG4bKv6big", 2600)), 0x5157,
           /*reversed=*/true))
    feed(f);
  run();
  EXPECT_EQ(totals().reassembled, 1u);
  const auto frames = sent();
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(totals().fragments_out, frames.size());
  // Put together as the receiver does: one identification, pieces that tile the datagram.
  std::vector<uint8_t> udp;
  std::optional<uint32_t> id;
  for (const auto& f : frames) {
    ASSERT_EQ(f[12], 0x86);
    const uint8_t* ip = f.data() + 14;
    ASSERT_EQ(ip[6], 44) << "a fragment header";
    EXPECT_LE(f.size() - 14, 1500u);
    EXPECT_TRUE(std::equal(kUasMac.bytes.begin(), kUasMac.bytes.end(), f.begin()));
    EXPECT_TRUE(std::equal(ip + 24, ip + 40, uas6.ip.begin()));
    const uint32_t this_id = uint32_t{net::load_be16(ip + 44)} << 16 | net::load_be16(ip + 46);
    if (!id) id = this_id;
    EXPECT_EQ(this_id, *id);
    const std::size_t offset = net::load_be16(ip + 42) & ~std::size_t{7};
    EXPECT_EQ(offset, udp.size());
    udp.insert(udp.end(), f.begin() + 62, f.begin() + 14 + 40 + net::load_be16(ip + 4));
  }
  ASSERT_GE(udp.size(), 8u);
  EXPECT_EQ(net::load_be16(udp.data() + 4), udp.size());
  const uint8_t* ip = frames[0].data() + 14;
  EXPECT_TRUE(l4_checksum_ok(ip + 8, ip + 24, 16, 17, udp.data(), udp.size()));
  const std::string forwarded(udp.begin() + 8, udp.end());
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@[2001:db8::3]:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find(std::string(2600, 'x')), std::string::npos);
}

TEST_F(DpdkBackendFrames, AnIpv6AtomicFragmentIsHandledOnItsOwn) {
  // RFC 6946: a fragment header with offset 0 and no more fragments (some hosts send them after
  // an ICMPv6 Packet Too Big) carries a whole datagram, to be processed as if unfragmented.
  open(1, ProxyMode::kStateless);
  const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 5060).value();
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  const auto atomic = ipv6_fragments(
      udp_frame(kPeerMac, our_mac(), peer6, proxy6, options_request("z9hG4bKatomic", peer6)), 7,
      false);
  ASSERT_EQ(atomic.size(), 1u);
  feed(atomic[0]);
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(payload_of(frames[0]).rfind("SIP/2.0 200 OK\r\n", 0), 0u) << payload_of(frames[0]);
}

// The identification of a fragmented datagram the port sent: IPv4's 16 bits, or the 32 of
// IPv6's fragment header; nullopt for a frame that is no fragment.
std::optional<uint32_t> fragment_id(const std::vector<uint8_t>& f) {
  const uint8_t* ip = f.data() + 14;
  if (f[12] == 0x08 && (net::load_be16(ip + 6) & 0x3FFF) != 0) return net::load_be16(ip + 4);
  if (f[12] == 0x86 && ip[6] == 44)
    return uint32_t{net::load_be16(ip + 44)} << 16 | net::load_be16(ip + 46);
  return std::nullopt;
}

TEST_F(DpdkBackendFrames, EveryFragmentedDatagramCarriesAnIdentificationOfItsOwn) {
  // A receiver puts fragments together by source, destination and identification: two
  // datagrams in flight with one identification are mixed up, and both lost. Two workers
  // send from one address to one next hop, each with its own counter, over IPv4 and IPv6.
  open(2, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  const NetAddress uas6 = NetAddress::parse("2001:db8::3", 5070).value();
  const NetAddress peer6 = NetAddress::parse("2001:db8::1", 5062).value();
  register_bob();
  feed(udp_frame(kUasMac, ours, uas6, NetAddress::parse("2001:db8::2", 5060).value(),
                 register_request("bob6", uas6)));
  run();
  ASSERT_EQ(sent().size(), 1u);
  // Worker 0 answers datagrams until it has sent 4,096 (then its counter once stood where worker
  // 1's began): identifications must stay apart however many each worker has sent.
  for (int sent_so_far = 2; sent_so_far < 4096;) {
    for (int i = 0; i < 64 && sent_so_far < 4096; ++i, ++sent_so_far)
      feed(udp_frame(kPeerMac, ours, kPeer, kProxy,
                     options_request("z9hG4bKo" + std::to_string(sent_so_far), kPeer)));
    run();
    sent();
  }
  std::map<uint32_t, std::set<unsigned>> ipv4_ids, ipv6_ids;  // identification -> datagrams
  unsigned datagram = 0;
  for (int round = 0; round < 2; ++round) {
    for (unsigned q = 0; q < 2; ++q) {
      const std::string tag = std::to_string(round) + std::to_string(q);
      feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKf4" + tag, 1600)), q);
      feed(udp_frame(kPeerMac, ours, peer6, NetAddress::parse("2001:db8::2", 5060).value(),
                     invite_request("z9hG4bKf6" + tag, 1600, "bob6")),
           q);
    }
    run();
    for (unsigned q = 0; q < 2; ++q) {
      const auto frames = sent(q);
      ASSERT_EQ(frames.size(), 4u) << "each INVITE in two fragments, on queue " << q;
      for (std::size_t i = 0; i < frames.size(); ++i) {
        const std::optional<uint32_t> id = fragment_id(frames[i]);
        ASSERT_TRUE(id.has_value()) << "frame " << i << " on queue " << q;
        // The frames of one datagram leave one after the other; its two fragments share one.
        (frames[i][12] == 0x08 ? ipv4_ids : ipv6_ids)[*id].insert(datagram + i / 2);
      }
      datagram += 2;
    }
  }
  EXPECT_EQ(ipv4_ids.size(), 4u) << "four IPv4 datagrams, four identifications";
  EXPECT_EQ(ipv6_ids.size(), 4u) << "four IPv6 datagrams, four identifications";
  for (const auto* ids : {&ipv4_ids, &ipv6_ids})
    for (const auto& [id, datagrams] : *ids) EXPECT_EQ(datagrams.size(), 1u) << "id " << id;
}

TEST_F(DpdkBackendFrames, WithShardAffinityAResponseReachesTheShardThatForwardedItsRequest) {
  open(2, ProxyMode::kStateful, /*affinity=*/true);
  const MacAddress ours = our_mac();
  feed(udp_frame(kUasMac, ours, kUas, kProxy, register_request("bob", kUas)), 0);
  run();
  sent(0);
  sent(1);
  // INVITEs arrive on queue 0 and responses on queue 1 (as RSS might spread them): every
  // transaction is owned by the shard its branch hashes to, so some cross over.
  for (int i = 0; i < 8; ++i)
    feed(udp_frame(kPeerMac, ours, kPeer, kProxy,
                   invite_request("z9hG4bKaff" + std::to_string(i), 10)),
         0);
  run();
  std::vector<std::string> invites;
  for (unsigned q = 0; q < 2; ++q)
    for (const auto& f : sent(q)) {
      const std::string p = payload_of(f);
      if (p.rfind("INVITE ", 0) == 0) invites.push_back(p);
    }
  ASSERT_EQ(invites.size(), 8u);
  for (const std::string& inv : invites) {
    // 486 from the UAS, with the Vias of the forwarded INVITE.
    std::string resp = "SIP/2.0 486 Busy Here\r\n";
    std::size_t at = 0;
    while ((at = inv.find("\r\nVia:", at)) != std::string::npos) {
      const std::size_t end = inv.find("\r\n", at + 2);
      resp += inv.substr(at + 2, end - at);
      at = end;
    }
    const std::size_t cid = inv.find("Call-ID: ");
    resp += "From: <sip:alice@localhost>;tag=a\r\nTo: <sip:bob@localhost>;tag=b\r\n" +
            inv.substr(cid, inv.find("\r\n", cid) + 2 - cid) +
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    feed(udp_frame(kUasMac, ours, kUas, kProxy, resp), 1);
  }
  run();
  unsigned relayed = 0;
  for (unsigned q = 0; q < 2; ++q)
    for (const auto& f : sent(q))
      if (payload_of(f).rfind("SIP/2.0 486", 0) == 0 && f[14 + 19] == 1) ++relayed;
  EXPECT_EQ(relayed, 8u);  // every 486 relayed to the caller by its transaction's shard
  uint64_t handovers = 0;
  for (unsigned w = 0; w < 2; ++w) handovers += backend_->stats(w).handovers_out;
  EXPECT_GT(handovers, 0u);
}

TEST_F(DpdkBackendFrames, AReassembledRequestIsHandledByTheShardThatOwnsIt) {
  open(2, ProxyMode::kStateful, /*affinity=*/true);
  const MacAddress ours = our_mac();
  feed(udp_frame(kUasMac, ours, kUas, kProxy, register_request("bob", kUas)), 0);
  run();
  sent(0);
  sent(1);
  // A Call-ID (invite_request uses the branch) owned by shard 1, its fragments read by worker 0.
  std::string branch;
  for (int i = 0; branch.empty(); ++i) {
    const std::string b = "z9hG4bKfrag" + std::to_string(i);
    if (route_hash(b) % 2 == 1) branch = b;
  }
  const Frame invite = udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request(branch, 2600));
  const uint64_t out_before = backend_->stats(0).handovers_out;
  const uint64_t in_before = backend_->stats(1).handovers_in;
  feed_fragmented(invite, 0);
  run();
  auto first_fragments = [&] {
    std::vector<std::string> starts;  // the SIP text at the start of each datagram sent
    for (unsigned q = 0; q < 2; ++q)
      for (const auto& f : sent(q)) {
        const uint8_t* ip = f.data() + 14;
        if ((ip[6] & 0x1F) == 0 && ip[7] == 0) starts.push_back(payload_of(f));
      }
    return starts;
  };
  std::vector<std::string> out = first_fragments();
  std::size_t forwarded = 0;
  for (const std::string& p : out) {
    if (p.rfind("INVITE ", 0) != 0) continue;
    ++forwarded;
    // The branch of our Via names the shard that forwarded it (branch_shard).
    EXPECT_NE(p.find("Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKsw01"), std::string::npos)
        << p.substr(0, 300);
  }
  EXPECT_EQ(forwarded, 1u);
  EXPECT_EQ(backend_->stats(0).handovers_out, out_before + 1);  // the whole datagram, once
  EXPECT_EQ(backend_->stats(1).handovers_in, in_before + 1);
  // The caller retransmits, fragmented again: the same transaction absorbs it (no second
  // INVITE downstream), because the owner shard sees it again.
  feed_fragmented(invite, 0);
  run();
  forwarded = 0;
  for (const std::string& p : first_fragments()) forwarded += p.rfind("INVITE ", 0) == 0;
  EXPECT_EQ(forwarded, 0u);
  EXPECT_EQ(totals().reassembled, 2u);
}

// The port's link, as the start line and the status line say it (the kernel does not show a
// port DPDK owns). net_ring's link goes down and up on request.
TEST_F(DpdkBackendTest, TellsWhetherThePortsLinkIsUp) {
  open(1, ProxyMode::kStateless);
  EXPECT_TRUE(backend_->link_up());
  EXPECT_EQ(backend_->link_text(), "link up at 10 Gbps, full duplex");
  ASSERT_EQ(rte_eth_dev_set_link_down(static_cast<uint16_t>(port_->port)), 0);
  EXPECT_FALSE(backend_->link_up());
  EXPECT_EQ(backend_->link_text(), "link down");
  ASSERT_EQ(rte_eth_dev_set_link_up(static_cast<uint16_t>(port_->port)), 0);
  EXPECT_TRUE(backend_->link_up());
}

// The port's own counters (the status line's "port:" line): they count what the port took
// and sent, including frames the workers drop (another host's), and what it could not pass on.
TEST_F(DpdkBackendFrames, CountsWhatThePortItselfReceivedAndSent) {
  open(1, ProxyMode::kStateless);
  const DpdkBackend::PortCounters before = backend_->port_counters();
  ASSERT_TRUE(before.available);
  EXPECT_EQ(before.rx_packets, 0u);
  EXPECT_EQ(before.tx_packets, announced_.size());  // open()'s pass announced our MAC
  const MacAddress ours = our_mac();
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKport1", kPeer)));
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKport2", kPeer)));
  const MacAddress someone_else{{0x02, 0, 0, 0, 0, 0x77}};
  feed(udp_frame(kPeerMac, someone_else, kPeer, kProxy, options_request("z9hG4bKport3", kPeer)));
  run();
  EXPECT_EQ(sent().size(), 2u);
  EXPECT_EQ(totals().drop_not_ours, 1u);
  const DpdkBackend::PortCounters after = backend_->port_counters();
  EXPECT_EQ(after.rx_packets, 3u);
  EXPECT_EQ(after.tx_packets, announced_.size() + 2);
  EXPECT_EQ(after.missed + after.rx_errors + after.rx_no_mbuf + after.tx_errors, 0u);
}

// At start, and whenever asked (the status loop asks when the link comes back up), worker 0
// tells the link our MAC for each listen address, so that a neighbour caching another MAC for
// it (the host that had the address before: a standby taking over) updates at once.
TEST_F(DpdkBackendFrames, AnnouncesOurMacForEachAddressAtStartAndWhenAsked) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  auto check = [&](const std::vector<std::vector<uint8_t>>& frames) {
    ASSERT_EQ(frames.size(), 2u);  // 10.0.0.2 and 2001:db8::2
    // IPv4: an ARP announcement (RFC 5227): a broadcast request, sender and target IP ours.
    const std::vector<uint8_t>& arp = frames[0];
    ASSERT_EQ(arp[12] << 8 | arp[13], 0x0806);
    EXPECT_TRUE(std::all_of(arp.begin(), arp.begin() + 6, [](uint8_t b) { return b == 0xff; }));
    EXPECT_EQ(arp[21], 1);  // a request
    EXPECT_TRUE(std::equal(ours.bytes.begin(), ours.bytes.end(), arp.begin() + 22));
    const uint8_t ip[] = {10, 0, 0, 2};
    EXPECT_TRUE(std::equal(std::begin(ip), std::end(ip), arp.begin() + 28));  // sender
    EXPECT_TRUE(std::equal(std::begin(ip), std::end(ip), arp.begin() + 38));  // target
    // IPv6: an unsolicited advertisement (RFC 4861 §7.2.6) from 2001:db8::2 to all-nodes, with
    // Override (not Solicited), the target 2001:db8::2 and our MAC in its target link-layer
    // option. (classify_frame would refuse it: the ring port's MAC is all zeros.)
    const std::vector<uint8_t>& na = frames[1];
    ASSERT_EQ(na.size(), net::kNeighborFrameBytes);
    const uint8_t all_nodes_mac[] = {0x33, 0x33, 0, 0, 0, 1};
    EXPECT_TRUE(std::equal(std::begin(all_nodes_mac), std::end(all_nodes_mac), na.begin()));
    EXPECT_EQ(na[12] << 8 | na[13], 0x86dd);
    const uint8_t* ip6 = na.data() + 14;
    EXPECT_EQ(ip6[6], 58);   // ICMPv6
    EXPECT_EQ(ip6[7], 255);  // hop limit
    const NetAddress proxy6 = NetAddress::parse("2001:db8::2", 0).value();
    EXPECT_TRUE(std::equal(proxy6.ip.begin(), proxy6.ip.end(), ip6 + 8));  // from
    EXPECT_EQ(ip6[24], 0xff);                                              // to ff02::1
    EXPECT_EQ(ip6[25], 0x02);
    EXPECT_EQ(ip6[39], 0x01);
    const uint8_t* icmp = ip6 + 40;
    EXPECT_EQ(icmp[0], 136);   // neighbour advertisement
    EXPECT_EQ(icmp[4], 0x20);  // Override only
    EXPECT_TRUE(std::equal(proxy6.ip.begin(), proxy6.ip.end(), icmp + 8));  // target
    EXPECT_EQ(icmp[24], 2);                                                 // target link-layer
    EXPECT_TRUE(std::equal(ours.bytes.begin(), ours.bytes.end(), icmp + 26));
    EXPECT_TRUE(l4_checksum_ok(ip6 + 8, ip6 + 24, 16, 58, icmp, 32));
  };
  check(announced_);
  EXPECT_EQ(totals().neighbor_announced, 2u);
  run();
  EXPECT_TRUE(sent().empty());  // once, not on every pass
  backend_->announce();
  run();
  check(sent());
  EXPECT_EQ(totals().neighbor_announced, 4u);
}

// A trunk port ([dpdk] vlan = 100): frames tagged with VLAN 100 are ours, untagged frames (the
// native VLAN) and other VLANs are not, and everything sent carries the tag. net_ring has no
// VLAN offloads: the tags come off and go on in software here.
TEST_F(DpdkBackendFrames, OnAVlanOnlyItsFramesAreOursAndEveryFrameSentCarriesItsTag) {
  vlan_ = 100;
  open(1, ProxyMode::kStateless);
  EXPECT_NE(backend_->describe().find("vlan 100 (tagged in software)"), std::string::npos)
      << backend_->describe();
  const MacAddress ours = our_mac();
  // The announcements of our MAC at start went out on the VLAN too.
  ASSERT_EQ(announced_.size(), 2u);
  EXPECT_EQ(announced_vlans_, (std::vector<int>{100, 100}));
  wire_vlan_ = -1;
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKvlan1", kPeer)));
  wire_vlan_ = 200;
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKvlan2", kPeer)));
  wire_vlan_ = 0;  // a priority tag: the native VLAN too
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKvlan3", kPeer)));
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_not_ours, 3u);

  wire_vlan_ = 100;
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKvlan4", kPeer)));
  run();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(sent_vlans_.at(0), 100);
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[0]));
  const std::string answer = payload_of(frames[0]);
  EXPECT_EQ(answer.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("branch=z9hG4bKvlan4"), std::string::npos);

  // ARP on the VLAN, answered on it (no tap).
  feed(arp_request_for_us());
  run();
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(sent_vlans_.at(0), 100);
  EXPECT_EQ(frames[0][12] << 8 | frames[0][13], 0x0806);
  EXPECT_EQ(frames[0][21], 2);  // a reply
  EXPECT_EQ(totals().arp_answered, 1u);
  EXPECT_EQ(totals().drop_not_ours, 3u);
}

TEST_F(DpdkBackendFrames, OnAVlanForwardedChainsAndFragmentsCarryTheTag) {
  vlan_ = 100;
  wire_vlan_ = 100;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  register_bob();
  EXPECT_EQ(sent_vlans_.at(0), 100);  // the 200 to the REGISTER

  // Forwarded by reference to the received frame (the tag went on the header mbuf).
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKvinv", 600)));
  run();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(sent_vlans_.at(0), 100);
  EXPECT_GT(sent_segments_.at(0), 1u);
  EXPECT_TRUE(std::equal(kUasMac.bytes.begin(), kUasMac.bytes.end(), frames[0].begin()));
  EXPECT_TRUE(ipv4_udp_checksums_ok(frames[0]));
  std::string forwarded = payload_of(frames[0]);
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u) << forwarded;
  EXPECT_NE(forwarded.find(std::string(600, 'x')), std::string::npos);

  // A 3,000-byte INVITE in tagged fragments: reassembled, and forwarded in tagged fragments.
  feed_fragmented(udp_frame(kPeerMac, ours, kPeer, kProxy, invite_request("z9hG4bKvbig", 2600)));
  run();
  frames = sent();
  EXPECT_EQ(totals().reassembled, 1u);
  ASSERT_GE(frames.size(), 3u);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(sent_vlans_.at(i), 100) << i;
  forwarded = payload_of(reassemble(frames));
  EXPECT_EQ(forwarded.rfind("INVITE sip:bob@10.0.0.3:5070 SIP/2.0\r\n", 0), 0u);
  EXPECT_NE(forwarded.find(std::string(2600, 'x')), std::string::npos);
  EXPECT_EQ(totals().drop_not_ours, 0u);
}

TEST_F(DpdkBackendFrames, OnAVlanAPortThatStripsTagsGivesTheVlanInTheMbuf) {
  vlan_ = 100;
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  constexpr uint64_t kStripped = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  // Priority 5 on VLAN 100: ours (the priority bits are not the VLAN).
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKstrip1", kPeer)), 0,
       kStripped, 5 << 13 | 100);
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKstrip2", kPeer)), 0,
       kStripped, 200);
  run();
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(sent_vlans_.at(0), 100);
  EXPECT_NE(payload_of(frames[0]).find("branch=z9hG4bKstrip1"), std::string::npos);
  EXPECT_EQ(totals().drop_not_ours, 1u);
}

TEST_F(DpdkBackendFrames, WithoutAVlanTaggedFramesAreNotOursAndNothingSentIsTagged) {
  open(1, ProxyMode::kStateless);
  const MacAddress ours = our_mac();
  wire_vlan_ = 100;
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKnov1", kPeer)));
  run();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(totals().drop_not_ours, 1u);
  EXPECT_EQ(totals().drop_malformed, 0u);
  wire_vlan_ = -1;
  feed(udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKnov2", kPeer)));
  run();
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(sent_vlans_.at(0), -1);
}

// A port that offloads checksums: net_tap (which, like a NIC, computes the checksums the mbuf
// asks for). Its kernel side is read with a packet socket. Needs root; runs in a network
// namespace of its own, so the tap never appears on the host.
TEST_F(DpdkBackendTest, WithChecksumOffloadThePortComputesCorrectChecksums) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a tap interface)";
  if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "cannot make a network namespace";
  ASSERT_EQ(rte_vdev_init("net_tap_swoffload", "iface=swoff0"), 0);
  open(1, ProxyMode::kStateless, false, kProxy, "net_tap_swoffload");
  EXPECT_NE(backend_->describe().find("checksums offloaded"), std::string::npos)
      << backend_->describe();
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  ASSERT_GE(fd, 0);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex("swoff0"));
  ASSERT_NE(sll.sll_ifindex, 0);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);
  const MacAddress ours = our_mac("net_tap_swoffload");

  // The kernel sends an OPTIONS into the tap; the data plane answers through it.
  const Frame request =
      udp_frame(kPeerMac, ours, kPeer, kProxy, options_request("z9hG4bKoff", kPeer));
  ASSERT_EQ(send(fd, request.bytes.data(), request.bytes.size(), 0),
            static_cast<ssize_t>(request.bytes.size()));
  std::vector<uint8_t> answer;
  for (int i = 0; i < 200 && answer.empty(); ++i) {
    backend_->poll(0, *shards_[0]);
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 5) == 1) {
      uint8_t buf[2048];
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) break;
      if (from.sll_pkttype == PACKET_OUTGOING) continue;  // our own request
      answer.assign(buf, buf + n);
      break;
    }
  }
  close(fd);
  ASSERT_FALSE(answer.empty()) << "no answer through the tap";
  EXPECT_EQ(payload_of(answer).rfind("SIP/2.0 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(ipv4_udp_checksums_ok(answer));
}

}  // namespace
}  // namespace sipwire::dataplane
