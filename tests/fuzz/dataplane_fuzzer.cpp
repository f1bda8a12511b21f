// libFuzzer target: the DPDK data plane's workers as a whole, on a port made of rings (EAL with
// --no-huge, no NIC): frames go in through the RX rings as a NIC hands them over, two workers
// with shard affinity run one pass at a time each with a real shard, and what the port
// transmits is read back and checked. frame_fuzzer covers the frame codec alone; this one
// covers what sits around it: reassembly (rte_ip_frag), the neighbour table and the datagrams
// held for it, the handover between workers, the outbox (references to received mbufs,
// copies, fragmentation over the MTU) and the mbuf accounting of all of them.
//
// An input is a list of records, each kind(1) flags(1) length(2, little endian) bytes (bit 3 of
// the kind byte: the RX queue, so the worker, its frames arrive on). The records build frames
// with correct lengths and checksums around their bytes (the fuzzer could not find those by
// itself), or give a raw frame:
//   0 raw frame, as it is
//   1 UDP over IPv4 to our SIP port from one of four peers, payload = bytes
//   2 UDP over IPv6, likewise
//   3 record 1's datagram cut into IPv4 fragments (see feed_fragments for its flags)
//   4 record 2's datagram cut into IPv6 fragments (likewise)
//   5 ARP request for our address, or reply (flags), from a peer (bytes: the sender's MAC)
//   6 an IPv4 packet to us whose header is the bytes, lengths and header checksum made right
//   7 IPv6 to us whose next header and payload are the bytes (an ICMPv6 checksum made right)
// Flags bits 0-1 pick the peer; bits 3-4 give the mbuf the RX checksum flags a port with
// offload would set; bit 2 (but for fragments) sends the frame as two chained mbufs.
//
// Besides crashes and sanitizer reports, it fails when the port is given something a receiver
// would not accept: an mbuf chain whose lengths disagree, a frame over the MTU, shorter than the
// shortest Ethernet frame (a runt) or not from our MAC, an IPv4 header or UDP checksum that is
// wrong, lengths that disagree, fragments that do not tile their datagram (unless the port
// dropped some) or that share another datagram's identification, SIP that does not parse (but an
// error response to a malformed request, made of what could be read), ARP or neighbour discovery
// its receiver cannot read, or any other kind of frame (there is no exception path here). And when
// mbufs leak: every 64 inputs, once the neighbour hold and reassembly times have passed, the mbufs
// in use must be at most what the reassembly table can hold.
//
// SIPWIRE_FUZZ_MODE=stateful runs stateful shards instead of stateless ones;
// SIPWIRE_FUZZ_TX=single sends every frame as one mbuf, as for a port without multi-segment TX.
// SIPWIRE_FUZZ_VLAN=N (1-4094) puts the port on VLAN N: the frames records 1-7 build arrive
// tagged with it, in the frame or as a port that strips tags gives them, or (one in four,
// chosen by the frame's bytes) untagged or on another VLAN, which are not ours; every frame sent
// must carry the tag.
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/dpdk/packet_frame.h"
#include "dataplane/shard.h"
#include "sipwire/message.h"
#include "tests/dataplane/reference_checksum.h"

namespace {

using namespace sipwire;
using namespace sipwire::dataplane;
using net::MacAddress;
using sipwire::testing::fold;  // the reference checksum, independent of the data plane's
using sipwire::testing::l4_checksum_ok;
using sipwire::testing::sum16;

const NetAddress kProxy = NetAddress::ipv4(10, 0, 0, 2, 5060);
const NetAddress kProxy6 = *NetAddress::parse("2001:db8::2", 5060);
constexpr unsigned kMtu = 1500;
// Two workers with shard affinity, so a datagram read by the one whose shard does not own it
// is handed over (rte_ring between workers), as RSS spreads a NIC's traffic.
constexpr unsigned kWorkers = 2;
unsigned g_queue = 0;  // the RX queue the current record's frames arrive on
constexpr std::size_t kMaxFramesPerInput = 512;
// What the workers' reassembly tables may hold (one table each): their flows, each with up to
// RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments of up to two mbufs (a chained frame), and their death
// rows.
constexpr unsigned kReassemblyFlows = 64;
constexpr unsigned kMaxInUse = kWorkers * (kReassemblyFlows * RTE_LIBRTE_IP_FRAG_MAX_FRAG * 2 +
                                           RTE_IP_FRAG_DEATH_ROW_MBUF_LEN) +
                               64;

[[noreturn]] void fail(const char* why, const std::vector<uint8_t>& frame = {}) {
  std::fprintf(stderr, "dataplane_fuzzer: %s (frame of %zu bytes)\n", why, frame.size());
  for (std::size_t i = 0; i < frame.size() && i < 128; ++i)
    std::fprintf(stderr, "%02x%s", frame[i], i % 32 == 31 ? "\n" : " ");
  std::fprintf(stderr, "\n");
  std::abort();
}

MacAddress peer_mac(unsigned i) {
  return MacAddress{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(0x10 + i)}};
}
NetAddress peer(unsigned i, bool v6) {
  if (v6) return *NetAddress::parse("2001:db8::" + std::to_string(16 + i), 5062);
  return NetAddress::ipv4(10, 0, 0, static_cast<uint8_t>(16 + i), 5062);
}

struct Harness {
  std::vector<rte_ring*> rx, tx;
  std::unique_ptr<DpdkBackend> backend;
  rte_mempool* feed_pool = nullptr;
  std::unique_ptr<Qsbr> qsbr;
  std::unique_ptr<LocationTable> location;
  std::vector<std::unique_ptr<Shard>> shards;
  MacAddress our_mac;
  std::vector<rte_mempool*> pools;  // every pool an mbuf of the worker can come from
  bool multi_segment_tx = true;
  uint16_t vlan = 0;  // SIPWIRE_FUZZ_VLAN
  uint16_t ip_id = 1;
  uint64_t inputs = 0;
  uint64_t fragment_drops = 0;  // fragment_drops() at the end of the last drain()
};
Harness* h = nullptr;

bool init() {
  std::vector<std::string> args{
      "dataplane_fuzzer", "--no-pci",         "--no-huge",        "-m", "512",
      "--no-shconf",      "--lcores=(0-2)@0", "--log-level=error"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) return false;
  h = new Harness;
  for (unsigned q = 0; q < kWorkers; ++q) {
    const std::string n = std::to_string(q);
    h->rx.push_back(rte_ring_create(("fz_rx" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    h->tx.push_back(rte_ring_create(("fz_tx" + n).c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
    if (h->rx[q] == nullptr || h->tx[q] == nullptr) return false;
  }
  if (rte_eth_from_rings("fz", h->rx.data(), kWorkers, h->tx.data(), kWorkers, 0) < 0) return false;

  DpdkBackendOptions options;
  options.eal_initialised = true;
  options.port = "net_ring_fz";
  options.listen = {kProxy, kProxy6};
  options.workers = kWorkers;
  options.shard_affinity = true;
  options.mtu = kMtu;
  options.mbufs_per_worker = 4095;
  options.queue_size = 1024;
  options.reassembly_flows = kReassemblyFlows;
  options.reassembly_timeout_ms = 1;
  options.neighbor_hold_ms = 1;
  options.idle_sleep_us = 0;
  // As on a port without RTE_ETH_TX_OFFLOAD_MULTI_SEGS: every frame copied into one mbuf.
  const char* tx = std::getenv("SIPWIRE_FUZZ_TX");
  options.multi_segment_tx = h->multi_segment_tx =
      !(tx != nullptr && std::string_view(tx) == "single");
  if (const char* vlan = std::getenv("SIPWIRE_FUZZ_VLAN")) {
    const long n = std::strtol(vlan, nullptr, 10);
    if (n < 1 || n > 4094) return false;
    options.vlan = h->vlan = static_cast<uint16_t>(n);
  }
  std::string error;
  h->backend = DpdkBackend::open(options, error);
  if (h->backend == nullptr) {
    std::fprintf(stderr, "dataplane_fuzzer: %s\n", error.c_str());
    return false;
  }
  h->feed_pool =
      rte_pktmbuf_pool_create("fz_feed", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (h->feed_pool == nullptr) return false;
  h->pools = {h->feed_pool};
  for (unsigned w = 0; w < kWorkers; ++w) {
    h->pools.push_back(rte_mempool_lookup(("sw_direct_" + std::to_string(w)).c_str()));
    h->pools.push_back(rte_mempool_lookup(("sw_indirect_" + std::to_string(w)).c_str()));
  }
  for (rte_mempool* p : h->pools)
    if (p == nullptr) return false;

  h->qsbr = std::make_unique<Qsbr>(kWorkers);
  h->location = std::make_unique<LocationTable>(64, *h->qsbr);
  EngineSettings settings;
  const char* mode = std::getenv("SIPWIRE_FUZZ_MODE");
  settings.mode = mode != nullptr && std::string_view(mode) == "stateful" ? ProxyMode::kStateful
                                                                          : ProxyMode::kStateless;
  settings.local = kProxy;
  settings.domains = {"localhost", "10.0.0.2", "2001:db8::2"};
  settings.message_store_bytes = 1 << 20;
  settings.transactions.capacity = 1024;
  for (unsigned w = 0; w < kWorkers; ++w)
    h->shards.push_back(std::make_unique<Shard>(w, settings, *h->location, *h->qsbr));

  rte_ether_addr a{};
  uint16_t port = 0;
  rte_eth_dev_get_port_by_name("net_ring_fz", &port);
  rte_eth_macaddr_get(port, &a);
  std::copy(std::begin(a.addr_bytes), std::end(a.addr_bytes), h->our_mac.bytes.begin());
  return true;
}

// ---- What the port sends -------------------------------------------------------------------

// One datagram's IPv4 or IPv6 fragments, by identification, until the drain ends.
struct Pieces {
  std::map<std::size_t, std::vector<uint8_t>> at;  // offset -> bytes
  bool last_seen = false;
  std::size_t total = 0;  // offset + length of the last piece
};

void check_sip(const std::vector<uint8_t>& frame, std::string_view payload) {
  static auto message = std::make_unique<Message>();
  if (parse_message(payload, *message).ok()) return;
  // The answer to a malformed request is made of what could be read of it (error_responder):
  // a 4xx or 5xx that may lack what the request lacked.
  if (payload.starts_with("SIP/2.0 4") || payload.starts_with("SIP/2.0 5")) return;
  fail("sent SIP that does not parse", frame);
}

void check_udp(const std::vector<uint8_t>& frame, const uint8_t* udp, std::size_t length) {
  if (length < 8 || net::load_be16(udp + 4) != length) fail("UDP length disagrees", frame);
  if (net::load_be16(udp) != 5060) fail("UDP not from our SIP port", frame);
  check_sip(frame, {reinterpret_cast<const char*>(udp + 8), length - 8});
}

// ARP (RFC 826) and neighbour discovery (RFC 4861) as their receiver reads them, checked field
// by field here rather than with classify_frame: the ring port's MAC is all zeros, which the
// data plane's own reader refuses as a sender's.
void check_neighbor(const std::vector<uint8_t>& f) {
  const auto has_our_mac = [&f](std::size_t at) {
    return f.size() >= at + 6 &&
           std::equal(f.begin() + static_cast<long>(at), f.begin() + static_cast<long>(at + 6),
                      h->our_mac.bytes.begin());
  };
  const bool broadcast = std::all_of(f.begin(), f.begin() + 6, [](uint8_t b) { return b == 0xFF; });
  if (net::load_be16(f.data() + 12) == 0x0806) {
    static const uint8_t kFixed[] = {0, 1, 8, 0, 6, 4, 0};
    const uint8_t op = f[21];
    if (!std::equal(kFixed, kFixed + 7, f.begin() + 14) || (op != 1 && op != 2))
      fail("ARP header", f);
    if (!has_our_mac(22) || f[28] != 10 || f[29] != 0 || f[30] != 0 || f[31] != 2)
      fail("ARP not from our MAC and address", f);
    if (op == 1 && !broadcast) fail("ARP request not broadcast", f);
    if (op == 2 && !std::equal(f.begin(), f.begin() + 6, f.begin() + 32))
      fail("ARP reply not to its asker", f);
    return;
  }
  // IPv6, next header ICMPv6: a solicitation (135) or an advertisement (136) with the
  // link-layer address option (source for 135, target for 136) carrying our MAC.
  const uint8_t* ip = f.data() + 14;
  const std::size_t length = f.size() - 54;
  if (ip[7] != 255 || length < 32) fail("neighbour discovery hop limit or length", f);
  const uint8_t* icmp = ip + 40;
  if ((icmp[0] != 135 && icmp[0] != 136) || icmp[1] != 0) fail("not neighbour discovery", f);
  if (!l4_checksum_ok(ip + 8, ip + 24, 16, 58, icmp, length)) fail("ICMPv6 checksum", f);
  if (icmp[24] != (icmp[0] == 135 ? 1 : 2) || icmp[25] != 1 || !has_our_mac(54 + 26))
    fail("neighbour discovery without our MAC in its option", f);
}

// A receiver reassembles by source, destination and identification: two fragments at one
// offset under one identification are two datagrams it mixes up (the port never sends one
// fragment twice).
void add_piece(Pieces& p, std::size_t offset, const uint8_t* b, const uint8_t* e,
               const std::vector<uint8_t>& f) {
  if (!p.at.emplace(offset, std::vector<uint8_t>(b, e)).second)
    fail("two fragmented datagrams with one identification", f);
}

void check_frame(const std::vector<uint8_t>& f, std::map<uint64_t, Pieces>& pieces) {
  // A shorter frame is a runt its receiver drops: short ones are padded to the minimum.
  if (f.size() < net::kMinFrameBytes || f.size() > net::kEthernetHeaderBytes + kMtu)
    fail("frame size", f);
  if (!std::equal(f.begin() + 6, f.begin() + 12, h->our_mac.bytes.begin()))
    fail("frame not from our MAC", f);
  const uint16_t type = net::load_be16(f.data() + 12);
  const uint8_t* ip = f.data() + 14;
  std::size_t ip_bytes = f.size() - 14;
  if (type == 0x0806) return check_neighbor(f);
  if (type == 0x0800) {
    if (ip[0] != 0x45) fail("IPv4 header", f);
    if (fold(sum16(ip, 20)) != 0xFFFF) fail("IPv4 header checksum", f);
    const std::size_t total = net::load_be16(ip + 2);
    // Padding only up to the shortest frame.
    if (total != ip_bytes && !(total < ip_bytes && f.size() == net::kMinFrameBytes))
      fail("IPv4 total length disagrees", f);
    ip_bytes = total;
    if (ip[9] != 17) fail("IPv4 but not UDP", f);
    const uint16_t frag = net::load_be16(ip + 6);
    const bool more = (frag & 0x2000) != 0;
    const std::size_t offset = static_cast<std::size_t>(frag & 0x1FFF) * 8;
    if (!more && offset == 0) {
      if (!l4_checksum_ok(ip + 12, ip + 16, 4, 17, ip + 20, ip_bytes - 20))
        fail("UDP checksum over IPv4", f);
      return check_udp(f, ip + 20, ip_bytes - 20);
    }
    Pieces& p = pieces[uint64_t{4} << 32 | net::load_be16(ip + 4)];
    add_piece(p, offset, ip + 20, ip + ip_bytes, f);
    if (more && (ip_bytes - 20) % 8 != 0) fail("IPv4 fragment not a multiple of 8", f);
    if (!more) p.last_seen = true, p.total = offset + ip_bytes - 20;
    return;
  }
  if (type == 0x86DD) {
    if (ip_bytes < 40 || (ip[0] >> 4) != 6) fail("IPv6 header", f);
    if (net::load_be16(ip + 4) != ip_bytes - 40) fail("IPv6 payload length disagrees", f);
    if (ip[6] == 58) return check_neighbor(f);
    if (ip[6] == 17) {
      if (!l4_checksum_ok(ip + 8, ip + 24, 16, 17, ip + 40, ip_bytes - 40))
        fail("UDP checksum over IPv6", f);
      return check_udp(f, ip + 40, ip_bytes - 40);
    }
    if (ip[6] != 44 || ip_bytes < 48 || ip[40] != 17) fail("IPv6 but not UDP", f);
    const uint16_t frag = net::load_be16(ip + 42);
    const bool more = (frag & 1) != 0;
    const std::size_t offset = frag & ~std::size_t{7};
    uint32_t id;
    std::memcpy(&id, ip + 44, 4);
    Pieces& p = pieces[uint64_t{6} << 32 | id];
    add_piece(p, offset, ip + 48, ip + ip_bytes, f);
    if (more && (ip_bytes - 48) % 8 != 0) fail("IPv6 fragment not a multiple of 8", f);
    if (!more) p.last_seen = true, p.total = offset + ip_bytes - 48;
    return;
  }
  fail("sent a frame of another kind (there is no exception path)", f);
}

// Fragments the port may have left out: dropped for a full TX ring or an empty pool, which the
// sizes here should never cause, but then an incomplete datagram is no defect.
uint64_t fragment_drops() {
  uint64_t n = 0;
  for (unsigned w = 0; w < kWorkers; ++w) {
    const DpdkStats s = h->backend->dpdk_stats(w);
    n += s.tx_full + s.drop_no_mbuf;
  }
  return n;
}

// The fragments of each datagram tile it, and it carries a UDP datagram of SIP.
void check_fragmented(const std::map<uint64_t, Pieces>& pieces, bool fragments_dropped) {
  for (const auto& [id, p] : pieces) {
    std::vector<uint8_t> datagram;
    bool holes = false;
    for (const auto& [offset, bytes] : p.at) {
      if (offset < datagram.size()) fail("fragments that overlap in their datagram", datagram);
      holes |= offset != datagram.size();
      datagram.resize(offset);
      datagram.insert(datagram.end(), bytes.begin(), bytes.end());
    }
    if (holes || !p.last_seen || datagram.size() != p.total) {
      if (fragments_dropped) continue;
      fail("a fragmented datagram is incomplete", datagram);
    }
    check_udp(datagram, datagram.data(), datagram.size());
  }
}

void drain() {
  std::map<uint64_t, Pieces> pieces;
  void* m = nullptr;
  for (unsigned q = 0; q < kWorkers; ++q)
    while (rte_ring_dequeue(h->tx[q], &m) == 0) {
      auto* mbuf = static_cast<rte_mbuf*>(m);
      uint32_t length = 0;
      uint16_t segments = 0;
      for (const rte_mbuf* s = mbuf; s != nullptr; s = s->next) length += s->data_len, ++segments;
      if (length != mbuf->pkt_len || segments != mbuf->nb_segs) fail("mbuf chain lengths disagree");
      // Such a port would send the first segment alone.
      if (segments > 1 && !h->multi_segment_tx) fail("a chain of mbufs without multi-segment TX");
      std::vector<uint8_t> bytes(mbuf->pkt_len);
      const void* p = rte_pktmbuf_read(mbuf, 0, mbuf->pkt_len, bytes.data());
      if (p != bytes.data()) std::memcpy(bytes.data(), p, mbuf->pkt_len);
      // net_ring inserts no tags: asking it to would send the frame untagged.
      if ((mbuf->ol_flags & RTE_MBUF_F_TX_VLAN) != 0)
        fail("a tag left to a port without VLAN insert");
      rte_pktmbuf_free(mbuf);
      if (h->vlan != 0) {
        if (bytes.size() < 18 || net::load_be16(bytes.data() + 12) != 0x8100 ||
            net::load_be16(bytes.data() + 14) != h->vlan)
          fail("a frame sent without the port's VLAN tag", bytes);
        bytes.erase(bytes.begin() + 12, bytes.begin() + 16);
      }
      check_frame(bytes, pieces);
    }
  const uint64_t drops = fragment_drops();
  check_fragmented(pieces, drops != h->fragment_drops);
  h->fragment_drops = drops;
}

void run_worker() {
  // Each worker a pass in turn, until a round where none had anything to do (a datagram
  // handed over to the other worker's shard takes a pass of each).
  for (int round = 0; round < 64; ++round) {
    bool busy = false;
    for (unsigned w = 0; w < kWorkers; ++w) busy |= h->backend->poll(w, *h->shards[w]);
    for (unsigned q = 0; q < kWorkers; ++q) busy |= rte_ring_count(h->rx[q]) != 0;
    if (!busy) break;
  }
  drain();
}

unsigned in_use() {
  unsigned n = 0;
  for (rte_mempool* p : h->pools) n += rte_mempool_in_use_count(p);
  return n;
}

// ---- What the port receives ----------------------------------------------------------------

// `raw`: record 0's frame, fed as it is (on a VLAN port too).
void feed(const std::vector<uint8_t>& given, uint8_t flags, bool raw = false) {
  if (given.empty()) return;
  std::vector<uint8_t> frame = given;
  uint64_t vlan_flags = 0;
  uint16_t vlan_tci = 0;
  if (h->vlan != 0 && !raw && frame.size() >= 14) {
    // Chosen by the frame's bytes, so that an input replays the same way.
    const unsigned way = (frame.back() + frame.size()) & 7;
    const uint16_t vlan = way == 6 ? static_cast<uint16_t>(h->vlan % 4094 + 1) : h->vlan;
    if (way < 2) {  // as a port with VLAN strip offload hands it over
      vlan_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
      vlan_tci = static_cast<uint16_t>(way << 13 | vlan);  // a priority, too
    } else if (way != 7) {                                 // way 7: untagged
      const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(vlan >> 8),
                              static_cast<uint8_t>(vlan)};
      frame.insert(frame.begin() + 12, tag, tag + 4);
    }
  }
  static constexpr uint64_t kOffload[] = {0,
                                          RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD,
                                          RTE_MBUF_F_RX_L4_CKSUM_BAD, RTE_MBUF_F_RX_IP_CKSUM_BAD};
  const bool chained = (flags & 4) != 0 && frame.size() > 1;
  const std::size_t first = chained ? frame.size() / 2 : frame.size();
  rte_mbuf* head = rte_pktmbuf_alloc(h->feed_pool);
  if (head == nullptr) fail("the feed pool is empty: mbufs leak");
  const uint16_t room = rte_pktmbuf_tailroom(head);
  const std::size_t take = std::min<std::size_t>(first, room);
  std::memcpy(rte_pktmbuf_append(head, static_cast<uint16_t>(take)), frame.data(), take);
  std::size_t done = take;
  while (done < frame.size()) {
    rte_mbuf* next = rte_pktmbuf_alloc(h->feed_pool);
    if (next == nullptr) fail("the feed pool is empty: mbufs leak");
    const std::size_t n = std::min<std::size_t>(frame.size() - done, rte_pktmbuf_tailroom(next));
    std::memcpy(rte_pktmbuf_append(next, static_cast<uint16_t>(n)), frame.data() + done, n);
    done += n;
    if (rte_pktmbuf_chain(head, next) != 0) {
      rte_pktmbuf_free(next);
      break;
    }
  }
  head->ol_flags = kOffload[(flags >> 3) & 3] | vlan_flags;
  head->vlan_tci = vlan_tci;
  while (rte_ring_enqueue(h->rx[g_queue], head) != 0) run_worker();
}

std::vector<uint8_t> ethernet(uint16_t type, const MacAddress& from) {
  std::vector<uint8_t> f(14);
  std::copy(h->our_mac.bytes.begin(), h->our_mac.bytes.end(), f.begin());
  std::copy(from.bytes.begin(), from.bytes.end(), f.begin() + 6);
  net::store_be16(f.data() + 12, type);
  return f;
}

// A UDP datagram (header and payload) and its pseudo-header addresses, checksum filled.
std::vector<uint8_t> udp_frame(unsigned who, bool v6, std::string_view payload) {
  const NetAddress from = peer(who, v6), to = v6 ? kProxy6 : kProxy;
  const std::size_t header = v6 ? net::kUdpIpv6HeaderBytes : net::kUdpIpv4HeaderBytes;
  std::vector<uint8_t> f(header + payload.size());
  if (net::write_udp_headers(f.data(), peer_mac(who), h->our_mac, from, to, payload.size(),
                             h->ip_id++) == 0)
    return {};
  std::copy(payload.begin(), payload.end(), f.begin() + static_cast<long>(header));
  const std::string_view segments[] = {payload};
  net::store_be16(f.data() + header - 2,
                  net::udp_checksum(from, to, f.data() + header - 8, segments));
  return f;
}

// The datagram of udp_frame(...) cut into fragments. Flags: bits 0-1 the peer, bit 2 the
// pieces in reverse order, bits 3-4 the RX checksum flags, bits 5-6 the piece size (184 to
// 1,448 bytes; a datagram of more than RTE_LIBRTE_IP_FRAG_MAX_FRAG pieces is not reassembled),
// bit 7 one piece left out.
void feed_fragments(unsigned who, bool v6, std::string_view payload, uint8_t flags) {
  const std::vector<uint8_t> whole = udp_frame(who, v6, payload);
  if (whole.empty()) return;
  const std::size_t l3 = 14, ip_header = v6 ? 40 : 20;
  const std::vector<uint8_t> data(whole.begin() + static_cast<long>(l3 + ip_header), whole.end());
  static constexpr std::size_t kPiece[] = {184, 512, 1024, 1448};  // multiples of 8
  const std::size_t piece = kPiece[(flags >> 5) & 3];
  std::vector<std::vector<uint8_t>> frames;
  const uint32_t id = h->ip_id++;
  for (std::size_t offset = 0; offset < data.size(); offset += piece) {
    const std::size_t n = std::min(piece, data.size() - offset);
    const bool more = offset + n < data.size();
    std::vector<uint8_t> f(whole.begin(), whole.begin() + static_cast<long>(l3 + ip_header));
    uint8_t* ip = f.data() + l3;
    if (v6) {
      ip[6] = 44;
      uint8_t fh[8] = {17, 0, 0, 0, 0, 0, 0, 0};
      net::store_be16(fh + 2, static_cast<uint16_t>(offset | (more ? 1 : 0)));
      std::memcpy(fh + 4, &id, 4);
      f.insert(f.end(), fh, fh + 8);
      net::store_be16(f.data() + l3 + 4, static_cast<uint16_t>(8 + n));
    } else {
      net::store_be16(ip + 2, static_cast<uint16_t>(20 + n));
      net::store_be16(ip + 4, static_cast<uint16_t>(id));
      net::store_be16(ip + 6, static_cast<uint16_t>(offset / 8 | (more ? 0x2000 : 0)));
      net::store_be16(ip + 10, 0);
      net::store_be16(ip + 10, net::ipv4_header_checksum(ip, 20));
    }
    f.insert(f.end(), data.begin() + static_cast<long>(offset),
             data.begin() + static_cast<long>(offset + n));
    frames.push_back(std::move(f));
  }
  if ((flags & 4) != 0) std::reverse(frames.begin(), frames.end());
  if ((flags & 0x80) != 0 && frames.size() > 1) frames.erase(frames.begin() + 1);
  for (const auto& f : frames) feed(f, static_cast<uint8_t>(flags & 0x18));
}

void feed_arp(std::string_view bytes, uint8_t flags) {
  const unsigned who = flags & 3;
  MacAddress mac = peer_mac(who);
  for (std::size_t i = 0; i < 6 && i < bytes.size(); ++i) mac.bytes[i] = bytes[i];
  std::vector<uint8_t> f = ethernet(0x0806, mac);
  if ((flags & 4) == 0) std::fill(f.begin(), f.begin() + 6, 0xFF);  // a request, broadcast
  const uint8_t fixed[] = {0, 1, 8, 0, 6, 4, 0, static_cast<uint8_t>((flags & 4) ? 2 : 1)};
  f.insert(f.end(), fixed, fixed + 8);
  f.insert(f.end(), mac.bytes.begin(), mac.bytes.end());
  const uint8_t sender[] = {10, 0, 0, static_cast<uint8_t>(16 + who)};
  f.insert(f.end(), sender, sender + 4);
  f.insert(f.end(), h->our_mac.bytes.begin(), h->our_mac.bytes.end());
  const uint8_t target[] = {10, 0, 0, 2};
  f.insert(f.end(), target, target + 4);
  f.resize(60);
  feed(f, 0);
}

void feed_ipv4(std::string_view bytes, uint8_t flags) {
  std::vector<uint8_t> f = ethernet(0x0800, peer_mac(flags & 3));
  f.insert(f.end(), bytes.begin(), bytes.end());
  if (bytes.size() >= 20) {
    uint8_t* ip = f.data() + 14;
    const std::size_t ihl = std::size_t{static_cast<uint8_t>(ip[0] & 0x0F)} * 4;
    net::store_be16(ip + 2, static_cast<uint16_t>(bytes.size()));
    static const uint8_t kUs[] = {10, 0, 0, 2};
    std::memcpy(ip + 16, kUs, 4);
    if (ihl >= 20 && ihl <= bytes.size()) {
      net::store_be16(ip + 10, 0);
      net::store_be16(ip + 10, net::ipv4_header_checksum(ip, ihl));
    }
  }
  feed(f, flags);
}

void feed_ipv6(std::string_view bytes, uint8_t flags) {
  std::vector<uint8_t> f = ethernet(0x86DD, peer_mac(flags & 3));
  uint8_t ip[40] = {0x60, 0, 0, 0, 0, 0, 0, 255};  // hop limit 255, as neighbour discovery's
  if (!bytes.empty()) ip[6] = static_cast<uint8_t>(bytes[0]), bytes.remove_prefix(1);
  net::store_be16(ip + 4, static_cast<uint16_t>(bytes.size()));
  const NetAddress from = peer(flags & 3, true);
  std::memcpy(ip + 8, from.ip.data(), 16);
  std::memcpy(ip + 24, kProxy6.ip.data(), 16);
  f.insert(f.end(), ip, ip + 40);
  f.insert(f.end(), bytes.begin(), bytes.end());
  if (ip[6] == 58 && bytes.size() >= 4) {  // ICMPv6: its checksum made right
    uint8_t* icmp = f.data() + 54;
    net::store_be16(icmp + 2, 0);
    const uint32_t s =
        sum16(ip + 8, 16) + sum16(ip + 24, 16) + 58 + static_cast<uint32_t>(bytes.size());
    net::store_be16(icmp + 2, static_cast<uint16_t>(~fold(sum16(icmp, bytes.size(), s))));
  }
  feed(f, flags);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!init()) {
    std::fprintf(stderr, "dataplane_fuzzer: EAL, the ring port or the backend did not start\n");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::size_t pos = 0, frames = 0;
  while (pos + 4 <= size && frames < kMaxFramesPerInput) {
    const uint8_t kind = data[pos] & 7, flags = data[pos + 1];
    g_queue = (data[pos] >> 3) % kWorkers;
    const std::size_t length =
        std::min<std::size_t>(data[pos + 2] | std::size_t{data[pos + 3]} << 8, size - pos - 4);
    const std::string_view bytes(reinterpret_cast<const char*>(data + pos + 4), length);
    pos += 4 + length;
    ++frames;
    switch (kind) {
      case 0:
        feed(std::vector<uint8_t>(bytes.begin(), bytes.end()), flags, /*raw=*/true);
        break;
      case 1:
      case 2:
        feed(udp_frame(flags & 3, kind == 2, bytes), flags);
        break;
      case 3:
      case 4:
        feed_fragments(flags & 3, kind == 4, bytes, flags);
        break;
      case 5:
        feed_arp(bytes, flags);
        break;
      case 6:
        feed_ipv4(bytes, flags);
        break;
      default:
        feed_ipv6(bytes, flags);
        break;
    }
  }
  run_worker();
  if (++h->inputs % 64 == 0) {
    // Past the neighbour hold and reassembly times, what the worker keeps is what the
    // reassembly table may hold: the rest came back to its pool.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    run_worker();
    run_worker();
    if (in_use() > kMaxInUse) {
      std::fprintf(stderr, "dataplane_fuzzer: %u mbufs in use, at most %u expected\n", in_use(),
                   kMaxInUse);
      std::abort();
    }
  }
  return 0;
}
