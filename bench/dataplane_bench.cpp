// The DPDK data plane on one lcore with no NIC: a port made of two rte_rings
// (rte_eth_from_rings, separate RX and TX rings, so nothing loops back), a DpdkBackend opened
// on it (one worker, driven on this thread with DpdkBackend::poll: no lcore is launched) and a
// Shard as its handler. Per round the program fills mbufs with prebuilt Ethernet/IPv4/UDP
// frames (alloc + memcpy, as a NIC's DMA would), enqueues them on the RX ring, polls the
// worker until the ring is drained, then dequeues and frees (and counts, and for the stateful
// call reads) what the worker sent on the TX ring. Only the poll() calls are timed (rdtsc):
// building, feeding and draining are outside. messages/s per lcore = messages handled / time
// in poll. Each row is the median round.
//
// Scenarios (the proxy is 10.0.0.2:5060, domain example.com; caller 10.0.0.1, UAS bob at
// 10.0.0.3, registering phones at 10.0.0.4; every request has its own branch and Call-ID):
//   options/answered              OPTIONS sip:10.0.0.2 answered 200 by the proxy
//   invite/stateless_forward      INVITE + SDP to bob@example.com (registered), forwarded
//   invite/stateful_transaction   mode stateful, one call setup per transaction: INVITE in
//                                 (100 out, INVITE forwarded), then bob's 180 and 200 built
//                                 from the forwarded INVITE's Vias (its branch read from the
//                                 TX frames), relayed to the caller, then the caller's ACK
//                                 forwarded: 4 messages in, 5 out per transaction
//   register/refresh              `batch` phones (distinct AORs) refreshing their binding
//                                 each round (same Call-ID, CSeq + 1); bound in the warm-up
//   register/new_aor              a REGISTER of a never-seen AOR each (the table grows)
// Ceilings, the same timing:
//   ring rx->tx                   the same rings and feeding, a loop that rx_bursts from the
//                                 port and tx_bursts the same mbufs untouched (testpmd "io")
//   net_null rx->tx               net_null0 (--vdev), rx_burst (the PMD allocates) and
//                                 tx_burst (it frees), as testpmd through net_null
//
// Usage: dataplane_bench [--no-huge] [--quick] [--batch=N] [--rounds=N] [--only=SCENARIO]
//                        [--rx-verified] [--one-mbuf]
//   --one-mbuf: the port is opened as one without multi-segment TX, so every frame is copied
//   into one mbuf instead of chaining the received one (to weigh zero copy against a copy).
//   --rx-verified: the frames arrive marked as a port with RX checksum offload marks them
//   (IPv4 and UDP checksums good), so the worker does not sum their UDP checksums itself, as
//   it does for a port without the offload (net_ring, af_packet) and by default here.
//   --only: only the scenarios whose name contains SCENARIO ("stateful", "register/"), e.g.
//   to profile one under callgrind; the I/O ceilings are measured whatever it says.
//   default EAL: --no-pci --in-memory (2 MB hugepages must be reserved:
//   echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages), --no-huge: -m 1024
//   --no-shconf instead. --benchmark_min_time=X (what tools/test.sh passes every *_bench) means
//   --quick --no-huge: a small batch and two rounds, a few seconds.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_messages.h"
#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/dpdk/mac_address.h"
#include "dataplane/dpdk/packet_frame.h"
#include "dataplane/shard.h"
#include "sipwire/engine/location.h"
#include "sipwire/engine/qsbr.h"

namespace sipwire::bench {
namespace {

using dataplane::net::MacAddress;

const NetAddress kProxy = NetAddress::ipv4(10, 0, 0, 2, 5060);
const NetAddress kCaller = NetAddress::ipv4(10, 0, 0, 1, 5060);
const NetAddress kUas = NetAddress::ipv4(10, 0, 0, 3, 5060);
const NetAddress kPhones = NetAddress::ipv4(10, 0, 0, 4, 5060);
const MacAddress kPeerMac{{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}};

// Targets of the data-plane issue: messages (or transactions) per second per lcore.
constexpr double kTargetStateless = 2e6, kTargetRegister = 1e6, kTargetStateful = 3e5;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "dataplane_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) die("template text '" + std::string(from) + "' not found");
  return s.replace(at, from.size(), to);
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// A message with fixed-width decimal fields written in place: every occurrence of a marker
// (a run of one letter, e.g. "KKKKKKKKKK") gets the same number.
class Template {
 public:
  explicit Template(std::string text) : text_(std::move(text)) {}
  int field(std::string_view marker) {
    Field f{{}, marker.size()};
    for (std::size_t at = text_.find(marker); at != std::string::npos;
         at = text_.find(marker, at + marker.size()))
      f.at.push_back(at);
    if (f.at.empty()) die("marker " + std::string(marker) + " not in a template");
    fields_.push_back(std::move(f));
    return static_cast<int>(fields_.size() - 1);
  }
  void set(int field, uint64_t v) {
    const Field& f = fields_[static_cast<std::size_t>(field)];
    for (const std::size_t at : f.at) {
      uint64_t x = v;
      for (std::size_t i = f.width; i-- > 0; x /= 10)
        text_[at + i] = static_cast<char>('0' + x % 10);
    }
  }
  std::string_view view() const { return text_; }

 private:
  struct Field {
    std::vector<std::size_t> at;
    std::size_t width;
  };
  std::string text_;
  std::vector<Field> fields_;
};

// ---- messages (engine_bench's, readdressed) ----

std::string options_text() {
  std::string s(kOptions);
  s = replace_once(s, "OPTIONS sip:example.com", "OPTIONS sip:10.0.0.2");
  s = replace_once(s, "To: <sip:example.com>", "To: <sip:10.0.0.2>");
  s = replace_once(s, "192.0.2.45:5060", "10.0.0.1:5060");
  s = replace_once(s, "branch=z9hG4bKPj0f2a7c9e41d34b5e", "branch=z9hG4bKPjKKKKKKKKKK-opt");
  s = replace_once(s, "Call-ID: 7c2e9a1f4b6d4e8a", "Call-ID: 7c2e9a1f-KKKKKKKKKK");
  return s;
}

// The caller's INVITE (SDP body untouched, so its Content-Length holds).
std::string invite_text() {
  std::string s(kInviteSdp);
  s = replace_once(s, "Via: SIP/2.0/UDP 192.0.2.45:5060", "Via: SIP/2.0/UDP 10.0.0.1:5060");
  s = replace_once(s, "<sip:alice@192.0.2.45:5060;ob>", "<sip:alice@10.0.0.1:5060;ob>");
  s = replace_once(s, "branch=z9hG4bKPj9c6d1b0a3e2f4f67a8b59c0d1e2f3a4b",
                   "branch=z9hG4bKPjKKKKKKKKKK-6d1b0a3e2f4f67a8b59c0d");
  s = replace_once(s, "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10",
                   "Call-ID: 4b1f5c2e7d0a4f3c-KKKKKKKKKK-b2a10");
  return s;
}

// A phone's REGISTER for AOR userUUUUUUU with its own Call-ID, CSeq SSSSSSSSS and branch.
std::string register_text(std::string_view phone_ip) {
  std::string s(kRegister);
  s = replace_once(s, "From: \"Alice\" <sip:alice@example.com>",
                   "From: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "To: \"Alice\" <sip:alice@example.com>", "To: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "Call-ID: 0_1938305642@192.0.2.45",
                   "Call-ID: 0_1938305642-UUUUUUU-a7c3@192.0.2.45");
  s = replace_once(s, "CSeq: 2 REGISTER", "CSeq: SSSSSSSSS REGISTER");
  s = replace_once(s, "<sip:alice@192.0.2.45:5060>", "<sip:userUUUUUUU@192.0.2.45:5060>");
  s = replace_once(s, "branch=z9hG4bK1873403928", "branch=z9hG4bKBBBBBBBBBB");
  return replace_all(s, "192.0.2.45", phone_ip);
}

// Bob's REGISTER from the UAS: his contact, and his MAC learnt by the port.
std::string bob_register_text() {
  std::string s(kRegister);
  s = replace_once(s, "From: \"Alice\" <sip:alice@example.com>", "From: <sip:bob@example.com>");
  s = replace_once(s, "To: \"Alice\" <sip:alice@example.com>", "To: <sip:bob@example.com>");
  s = replace_once(s, "<sip:alice@192.0.2.45:5060>", "<sip:bob@10.0.0.3:5060>");
  return replace_all(s, "192.0.2.45", "10.0.0.3");
}

// Bob's 180 or 200 to a forwarded INVITE: `vias_and_routes` are the Via and Record-Route lines
// of the INVITE the proxy sent him (CRLF-terminated), as a UAS copies them.
std::string callee_response(bool ok, std::string_view vias_and_routes, std::string_view call) {
  const std::string call_id = "4b1f5c2e7d0a4f3c-" + std::string(call) + "-b2a10";
  return callee_answer(ok, vias_and_routes, call_id, "<sip:bob@10.0.0.3:5060>");
}

// The caller's ACK of the 200: to bob's Contact through our Record-Route (`route`).
std::string ack_text(std::string_view route) {
  std::string s =
      "ACK sip:bob@10.0.0.3:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKPjKKKKKKKKKK-ack1b0a3e2f4f67a8\r\n"
      "Max-Forwards: 70\r\n"
      "Route: ";
  s += route;
  s += "\r\n"
       "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
       "To: <sip:bob@example.com>;tag=as6a1d8f0c\r\n"
       "Call-ID: 4b1f5c2e7d0a4f3c-KKKKKKKKKK-b2a10\r\n"
       "CSeq: 23011 ACK\r\n"
       "User-Agent: MicroSIP/3.21.3\r\n"
       "Content-Length: 0\r\n"
       "\r\n";
  return s;
}

// ---- frames ----

// Prebuilt Ethernet/IPv4/UDP frames in one buffer.
class Frames {
 public:
  void clear() {
    bytes_.clear();
    at_.clear();
  }
  void add(const NetAddress& from, const NetAddress& to, const MacAddress& our_mac,
           std::string_view payload) {
    const std::size_t start = bytes_.size();
    bytes_.resize(start + dataplane::net::kUdpIpv4HeaderBytes + payload.size());
    uint8_t* out = bytes_.data() + start;
    const std::size_t h = dataplane::net::write_udp_headers(out, kPeerMac, our_mac, from, to,
                                                            payload.size(), ip_id_++);
    if (h != dataplane::net::kUdpIpv4HeaderBytes) die("write_udp_headers failed");
    std::memcpy(out + h, payload.data(), payload.size());
    const std::string_view segments[] = {payload};
    dataplane::net::store_be16(out + h - 2,
                               dataplane::net::udp_checksum(from, to, out + h - 8, segments));
    at_.push_back({start, h + payload.size()});
  }
  std::size_t size() const { return at_.size(); }
  const uint8_t* data(std::size_t i) const { return bytes_.data() + at_[i].first; }
  std::size_t length(std::size_t i) const { return at_[i].second; }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<std::pair<std::size_t, std::size_t>> at_;
  uint16_t ip_id_ = 1;
};

struct Options {
  bool no_huge = false;
  bool quick = false;
  unsigned batch = 8192;
  unsigned rounds = 20;
  std::string only;          // run only the scenarios whose name contains this ("" = all)
  bool rx_verified = false;  // frames marked as checked by the port (RX checksum offload)
  bool one_mbuf = false;     // multi-segment TX off: every frame copied into one mbuf
  bool wants(std::string_view scenario) const {
    return only.empty() || scenario.find(only) != std::string_view::npos;
  }
};

class Rig {
 public:
  explicit Rig(const Options& o) : o_(o) {}

  void init() {
    init_eal();
    const auto socket = static_cast<int>(rte_socket_id());
    const unsigned ring_size = rte_align32pow2(4 * o_.batch);
    rx_ = rte_ring_create("sw_bench_rx", ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx_ = rte_ring_create("sw_bench_tx", ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (rx_ == nullptr || tx_ == nullptr) die("cannot create the rings: " + err());
    // Feeding: up to two frames per call of a batch in flight, plus net_null's queue.
    // The per-lcore cache may hold at most 1/1.5 of the pool (DPDK refuses more): a small
    // batch gets a smaller cache.
    const unsigned pool_size = std::max(ring_size, 1024u) - 1;
    pool_ = rte_pktmbuf_pool_create("sw_bench_feed", pool_size, std::min(256u, pool_size * 2 / 3),
                                    0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool_ == nullptr) die("cannot create the feeding mempool: " + err());
    const int port =
        rte_eth_from_rings("sw_bench", &rx_, 1, &tx_, 1, static_cast<unsigned>(socket));
    if (port < 0) die("rte_eth_from_rings: " + err());
    port_ = static_cast<uint16_t>(port);
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(port_, name);

    // (net_ring's MAC is all zeros and it cannot be set: our frames are addressed to it.)
    dataplane::DpdkBackendOptions bo;
    bo.eal_initialised = true;
    bo.port = name;
    bo.listen = {kProxy};
    bo.workers = 1;
    bo.idle_sleep_us = 0;
    bo.mbufs_per_worker = pool_size;  // every reply of a batch waits in the TX ring
    bo.multi_segment_tx = !o_.one_mbuf;
    std::string error;
    backend_ = dataplane::DpdkBackend::open(bo, error);
    if (!backend_) die("DpdkBackend::open: " + error);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port_, &mac);
    std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), our_mac_.bytes.begin());
    std::printf("port %s (%s), backend: %s\n", name, our_mac_.to_string().c_str(),
                backend_->describe().c_str());
  }

  const MacAddress& mac() const { return our_mac_; }
  uint16_t port() const { return port_; }
  dataplane::DpdkBackend& backend() { return *backend_; }

  // Copies the frames into mbufs and enqueues them on the RX ring (not timed).
  void feed(const Frames& f) {
    std::vector<rte_mbuf*> m(f.size());
    if (rte_pktmbuf_alloc_bulk(pool_, m.data(), static_cast<unsigned>(m.size())) != 0)
      die("feeding pool empty (" + std::to_string(f.size()) + " frames)");
    for (std::size_t i = 0; i < f.size(); ++i) {
      std::memcpy(rte_pktmbuf_mtod(m[i], void*), f.data(i), f.length(i));
      m[i]->data_len = static_cast<uint16_t>(f.length(i));
      m[i]->pkt_len = static_cast<uint32_t>(f.length(i));
      if (o_.rx_verified)
        m[i]->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    if (rte_ring_enqueue_bulk(rx_, reinterpret_cast<void* const*>(m.data()),
                              static_cast<unsigned>(m.size()), nullptr) == 0)
      die("RX ring full");
  }

  // Polls the worker until the RX ring is empty and nothing is left to send; TSC cycles.
  uint64_t poll(dataplane::PacketHandler& h) {
    const uint64_t t0 = rte_rdtsc_precise();
    bool busy = false;
    do {
      busy = backend_->poll(0, h);
    } while (busy || rte_ring_count(rx_) != 0);
    return rte_rdtsc_precise() - t0;
  }

  // The I/O ceiling over the same rings: rx_burst, tx_burst the same mbufs; TSC cycles.
  uint64_t forward_untouched() {
    rte_mbuf* m[32];
    const uint64_t t0 = rte_rdtsc_precise();
    uint16_t n;
    while ((n = rte_eth_rx_burst(port_, 0, m, 32)) != 0) {
      const uint16_t sent = rte_eth_tx_burst(port_, 0, m, n);
      if (sent < n) rte_pktmbuf_free_bulk(m + sent, n - sent);
    }
    return rte_rdtsc_precise() - t0;
  }

  // Dequeues and frees what was sent; `inspect` sees each frame's UDP payload (linearised).
  template <typename F>
  std::size_t drain(F&& inspect) {
    std::size_t count = 0;
    void* m[256];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(tx_, m, 256, nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) {
        auto* mb = static_cast<rte_mbuf*>(m[i]);
        if (mb->pkt_len > dataplane::net::kUdpIpv4HeaderBytes && mb->pkt_len <= sizeof(linear_)) {
          const auto* p = static_cast<const char*>(rte_pktmbuf_read(mb, 0, mb->pkt_len, linear_));
          inspect(std::string_view(p + dataplane::net::kUdpIpv4HeaderBytes,
                                   mb->pkt_len - dataplane::net::kUdpIpv4HeaderBytes));
        }
        rte_pktmbuf_free(mb);
      }
      count += n;
    }
    return count;
  }
  std::size_t drain() {
    return drain([](std::string_view) {});
  }

  // net_null0 as testpmd would drive it: `bursts` rx_burst + tx_burst of 32; packets and cycles.
  std::pair<uint64_t, uint64_t> null_ceiling(uint64_t bursts) {
    uint16_t null_port = 0;
    if (rte_eth_dev_get_port_by_name("net_null0", &null_port) != 0) die("no net_null0 port");
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(null_port, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(null_port, 0, 1024, rte_socket_id(), nullptr, pool_) != 0 ||
        rte_eth_tx_queue_setup(null_port, 0, 1024, rte_socket_id(), nullptr) != 0 ||
        rte_eth_dev_start(null_port) != 0)
      die("cannot set up net_null0");
    rte_mbuf* m[32];
    uint64_t packets = 0;
    const uint64_t t0 = rte_rdtsc_precise();
    for (uint64_t b = 0; b < bursts; ++b) {
      const uint16_t n = rte_eth_rx_burst(null_port, 0, m, 32);
      const uint16_t sent = rte_eth_tx_burst(null_port, 0, m, n);
      if (sent < n) rte_pktmbuf_free_bulk(m + sent, n - sent);
      packets += n;
    }
    const uint64_t cycles = rte_rdtsc_precise() - t0;
    rte_eth_dev_stop(null_port);
    return {packets, cycles};
  }

  std::string eal_line() const { return eal_line_; }

 private:
  static std::string err() { return rte_strerror(rte_errno); }

  void init_eal() {
    // open() wants one worker lcore besides the main one, although poll() runs the worker
    // here: both lcores on the CPU this process may run on (taskset), the worker one idle.
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpu = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
      while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set)) ++cpu;
    std::vector<std::string> args{"dataplane_bench", "--no-pci"};
    if (o_.no_huge) {
      args.insert(args.end(), {"--no-huge", "-m", "1024", "--no-shconf"});
    } else {
      args.push_back("--in-memory");
    }
    args.push_back("--lcores=0@" + std::to_string(cpu) + ",1@" + std::to_string(cpu));
    args.push_back("--vdev=net_null0");
    args.push_back("--log-level=warning");
    args.push_back("--no-telemetry");
    for (std::size_t i = 1; i < args.size(); ++i) eal_line_ += (i > 1 ? " " : "") + args[i];
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
      std::fprintf(stderr, "dataplane_bench: EAL initialisation failed (%s): %s\n", err().c_str(),
                   eal_line_.c_str());
      if (!o_.no_huge)
        std::fprintf(stderr,
                     "  --in-memory needs hugepages: echo 256 > "
                     "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages\n"
                     "  or run with --no-huge (-m 1024 --no-shconf; slower on packet data)\n");
      std::exit(2);
    }
  }

  Options o_;
  std::string eal_line_;
  rte_ring* rx_ = nullptr;
  rte_ring* tx_ = nullptr;
  rte_mempool* pool_ = nullptr;
  uint16_t port_ = 0;
  MacAddress our_mac_;
  std::unique_ptr<dataplane::DpdkBackend> backend_;
  char linear_[9216];
};

// Free 2 MB and 1 GB hugepages, in MB.
uint64_t free_hugepage_mb() {
  uint64_t mb = 0;
  for (const auto& [dir, size_mb] :
       {std::pair<const char*, uint64_t>{"hugepages-2048kB", 2}, {"hugepages-1048576kB", 1024}}) {
    std::ifstream in(std::string("/sys/kernel/mm/hugepages/") + dir + "/free_hugepages");
    uint64_t n = 0;
    if (in >> n) mb += n * size_mb;
  }
  return mb;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Row {
  explicit Row(std::string n) : name(std::move(n)) {}
  std::string name;
  double msgs_per_s = 0;  // median round
  double txn_per_s = 0;   // stateful: transactions (calls) per second
  double target = 0;      // 0: none
  bool target_is_txn = false;
  std::string note;
  bool ok = true;  // every message did what the scenario expects
};

std::string fmt_rate(double r) {
  char b[32];
  if (r >= 1e6) {
    std::snprintf(b, sizeof b, "%.2f M", r / 1e6);
  } else {
    std::snprintf(b, sizeof b, "%.0f k", r / 1e3);
  }
  return b;
}

int run(const Options& o) {
  Rig rig(o);
  rig.init();
  const double hz = static_cast<double>(rte_get_tsc_hz());
  const unsigned R = o.batch;
  const auto rate = [&](uint64_t messages, uint64_t cycles) {
    return cycles == 0 ? 0.0 : static_cast<double>(messages) * hz / static_cast<double>(cycles);
  };

  // ---- the ceilings ----
  Template options(options_text());
  const int opt_k = options.field("KKKKKKKKKK");
  uint64_t next_id = 1;
  Frames frames;
  std::vector<double> ring_rates;
  for (unsigned round = 0; round <= o.rounds; ++round) {
    frames.clear();
    for (unsigned i = 0; i < R; ++i) {
      options.set(opt_k, next_id++);
      frames.add(kCaller, kProxy, rig.mac(), options.view());
    }
    rig.feed(frames);
    const uint64_t c = rig.forward_untouched();
    if (rig.drain() != R) die("ring ceiling: not every frame came out");
    if (round != 0) ring_rates.push_back(rate(R, c));  // round 0: warm-up
  }
  const double ring_ceiling = median(ring_rates);
  const auto [null_packets, null_cycles] = rig.null_ceiling(o.quick ? 100'000 : 2'000'000);
  const double null_ceiling = rate(null_packets, null_cycles);

  // ---- the engine ----
  Qsbr qsbr(1);
  LocationTable location(1u << 20, qsbr);
  EngineSettings settings;
  settings.local = kProxy;
  settings.domains = {"example.com"};
  settings.registrar.min_expires = 60;
  settings.registrar.max_expires = 3600;
  settings.registrar.default_expires = 3600;
  settings.registrar.max_contacts = 10;
  std::vector<Row> rows;

  // Runs `rounds` + 1 rounds (the first a warm-up): build(round) fills `frames`, the worker
  // handles them, check(sent) says whether what came out is right. Median msgs/s of the rounds.
  const auto measure = [&](dataplane::PacketHandler& h, auto&& build, std::size_t expect_out,
                           bool& ok) {
    std::vector<double> rates;
    for (unsigned round = 0; round <= o.rounds; ++round) {
      frames.clear();
      build(round);
      rig.feed(frames);
      const uint64_t c = rig.poll(h);
      const std::size_t out = rig.drain();
      if (out != expect_out) {
        std::fprintf(stderr, "  round %u: %zu frames out, %zu expected\n", round, out, expect_out);
        ok = false;
      }
      if (round != 0) rates.push_back(rate(frames.size(), c));
    }
    return median(rates);
  };

  const std::string bob_register = bob_register_text();
  {
    EngineSettings s = settings;
    s.mode = ProxyMode::kStateless;
    dataplane::Shard shard(0, s, location, qsbr);
    // The backend's first pass announces our MAC (an ARP announcement): out of the way first.
    rig.poll(shard);
    rig.drain();
    // Bob's REGISTER first: his binding, and the port learns his MAC (the forwards' next hop).
    frames.clear();
    frames.add(kUas, kProxy, rig.mac(), bob_register);
    rig.feed(frames);
    rig.poll(shard);
    if (rig.drain() != 1) die("bob's REGISTER was not answered");

    if (o.wants("options/answered")) {
      Row opt("options/answered");
      opt.msgs_per_s = measure(
          shard,
          [&](unsigned) {
            for (unsigned i = 0; i < R; ++i) {
              options.set(opt_k, next_id++);
              frames.add(kCaller, kProxy, rig.mac(), options.view());
            }
          },
          R, opt.ok);
      rows.push_back(opt);
    }

    Template invite(invite_text());
    const int inv_k = invite.field("KKKKKKKKKK");
    if (o.wants("invite/stateless_forward")) {
      Row fwd("invite/stateless_forward");
      fwd.target = kTargetStateless;
      fwd.msgs_per_s = measure(
          shard,
          [&](unsigned) {
            for (unsigned i = 0; i < R; ++i) {
              invite.set(inv_k, next_id++);
              frames.add(kCaller, kProxy, rig.mac(), invite.view());
            }
          },
          R, fwd.ok);
      rows.push_back(fwd);
    }

    Template reg(register_text("10.0.0.4"));
    const int reg_u = reg.field("UUUUUUU"), reg_s = reg.field("SSSSSSSSS"),
              reg_b = reg.field("BBBBBBBBBB");
    if (o.wants("register/refresh")) {
      Row refresh("register/refresh");
      refresh.target = kTargetRegister;
      // At least 512 AORs whatever the batch, so a small batch does not refresh a table that
      // fits in L1; each registered once first, untimed, so every timed REGISTER is a refresh.
      const unsigned aors = std::max(R, 512u);
      for (unsigned first = 0; first < aors; first += R) {
        frames.clear();
        for (unsigned i = first; i < std::min(first + R, aors); ++i) {
          reg.set(reg_u, i);
          reg.set(reg_s, 99);
          reg.set(reg_b, next_id++);
          frames.add(kPhones, kProxy, rig.mac(), reg.view());
        }
        rig.feed(frames);
        rig.poll(shard);
        if (rig.drain() != frames.size()) die("the first REGISTERs were not all answered");
      }
      refresh.note = std::to_string(aors) + " AORs";
      refresh.msgs_per_s = measure(
          shard,
          [&](unsigned round) {
            for (unsigned i = 0; i < R; ++i) {
              reg.set(reg_u, (round * R + i) % aors);
              reg.set(reg_s, 100 + round);
              reg.set(reg_b, next_id++);
              frames.add(kPhones, kProxy, rig.mac(), reg.view());
            }
          },
          R, refresh.ok);
      rows.push_back(refresh);
    }

    if (o.wants("register/new_aor")) {
      Row fresh("register/new_aor");
      fresh.target = kTargetRegister;
      uint64_t next_user = 1'000'000;
      fresh.msgs_per_s = measure(
          shard,
          [&](unsigned) {
            for (unsigned i = 0; i < R; ++i) {
              reg.set(reg_u, next_user++);
              reg.set(reg_s, 1);
              reg.set(reg_b, next_id++);
              frames.add(kPhones, kProxy, rig.mac(), reg.view());
            }
          },
          R, fresh.ok);
      fresh.note = "table grows to " + std::to_string(location.aor_count()) + " AORs";
      rows.push_back(fresh);
    }
  }

  if (o.wants("invite/stateful_transaction")) {
    // Every call leaves its server and client transactions Accepted for 64*T1 (RFC 6026):
    // room for all the calls of the run.
    EngineSettings s = settings;
    s.mode = ProxyMode::kStateful;
    s.transactions.capacity = static_cast<uint32_t>(2 * (o.rounds + 2) * R + 4096);
    s.message_store_bytes = std::size_t{128} << 20;
    dataplane::Shard shard(0, s, location, qsbr);

    Template invite(invite_text());
    const int inv_k = invite.field("KKKKKKKKKK");
    std::string route;                 // our Record-Route, for the ACK's Route
    std::vector<std::string> vias(R);  // per call of the batch: Vias + Record-Routes of the forward
    Row call("invite/stateful_transaction");
    call.target = kTargetStateful;
    call.target_is_txn = true;
    std::vector<double> msg_rates, txn_rates;
    for (unsigned round = 0; round <= o.rounds; ++round) {
      const uint64_t first = next_id;
      next_id += R;
      const auto call_number = [&](uint64_t k) {
        char b[16];
        std::snprintf(b, sizeof b, "%010llu", static_cast<unsigned long long>(k));
        return std::string(b);
      };
      // INVITEs: 100 back to the caller, the INVITE forwarded to bob.
      frames.clear();
      for (unsigned i = 0; i < R; ++i) {
        invite.set(inv_k, first + i);
        frames.add(kCaller, kProxy, rig.mac(), invite.view());
      }
      rig.feed(frames);
      uint64_t cycles = rig.poll(shard);
      std::size_t forwards = 0, trying = 0;
      std::size_t out = rig.drain([&](std::string_view p) {
        if (p.starts_with("SIP/2.0 100 ")) ++trying;
        if (!p.starts_with("INVITE ")) return;
        const std::size_t c = p.find("Call-ID: 4b1f5c2e7d0a4f3c-");
        if (c == std::string_view::npos) return;
        const uint64_t k = std::strtoull(std::string(p.substr(c + 26, 10)).c_str(), nullptr, 10);
        if (k < first || k >= first + R) return;
        std::string& v = vias[k - first];
        v.clear();
        for (std::string_view name : {"\r\nVia: ", "\r\nRecord-Route: "}) {
          for (std::size_t at = p.find(name); at != std::string_view::npos;
               at = p.find(name, at + 2)) {
            const std::size_t end = p.find("\r\n", at + 2);
            v += p.substr(at + 2, end - at);
            if (route.empty() && name == std::string_view("\r\nRecord-Route: "))
              route = p.substr(at + 16, end - at - 16);
          }
        }
        ++forwards;
      });
      if (out != 2 * R || forwards != R || trying != R) {
        std::fprintf(stderr, "  round %u INVITEs: %zu out, %zu forwarded, %zu 100s\n", round, out,
                     forwards, trying);
        call.ok = false;
      }
      if (route.empty()) die("the forwarded INVITE has no Record-Route");
      // Bob's 180 and 200 (built from the forward), relayed to the caller.
      frames.clear();
      for (unsigned i = 0; i < R; ++i) {
        const std::string k = call_number(first + i);
        frames.add(kUas, kProxy, rig.mac(), callee_response(false, vias[i], k));
        frames.add(kUas, kProxy, rig.mac(), callee_response(true, vias[i], k));
      }
      rig.feed(frames);
      cycles += rig.poll(shard);
      std::size_t relayed = 0;
      out = rig.drain([&](std::string_view p) {
        relayed += p.starts_with("SIP/2.0 180 ") || p.starts_with("SIP/2.0 200 ");
      });
      if (out != 2 * R || relayed != 2 * R) {
        std::fprintf(stderr, "  round %u responses: %zu out, %zu relayed\n", round, out, relayed);
        call.ok = false;
      }
      // The caller's ACKs, forwarded to bob.
      Template ack(ack_text(route));
      const int ack_k = ack.field("KKKKKKKKKK");
      frames.clear();
      for (unsigned i = 0; i < R; ++i) {
        ack.set(ack_k, first + i);
        frames.add(kCaller, kProxy, rig.mac(), ack.view());
      }
      rig.feed(frames);
      cycles += rig.poll(shard);
      std::size_t acks = 0;
      out = rig.drain([&](std::string_view p) { acks += p.starts_with("ACK "); });
      if (out != R || acks != R) {
        std::fprintf(stderr, "  round %u ACKs: %zu out, %zu forwarded\n", round, out, acks);
        call.ok = false;
      }
      if (round != 0) {
        msg_rates.push_back(rate(4 * R, cycles));
        txn_rates.push_back(rate(R, cycles));
      }
    }
    call.msgs_per_s = median(msg_rates);
    call.txn_per_s = median(txn_rates);
    call.note = fmt_rate(call.txn_per_s) + " txn/s";
    if (shard.overloaded() != 0) {
      call.ok = false;
      call.note += ", 503 overload";
    }
    rows.push_back(call);
  }

  // ---- the table ----
  if (rows.empty()) {
    std::fprintf(stderr,
                 "dataplane_bench: no scenario matches --only=%s (options/answered, "
                 "invite/stateless_forward, register/refresh, register/new_aor, "
                 "invite/stateful_transaction)\n",
                 o.only.c_str());
    return 2;
  }
  std::printf("\nDPDK data plane, one lcore, no NIC: EAL %s\n", rig.eal_line().c_str());
  std::printf("batch %u messages per round, %u timed rounds (+1 warm-up), median round\n", R,
              o.rounds);
  std::printf("UDP checksums of received frames: %s\n\n",
              o.rx_verified ? "marked good, as by a port with RX checksum offload (--rx-verified)"
                            : "summed by the worker, as for a port without RX checksum offload");
  std::printf("%-24s %12s %9s\n", "I/O ceiling", "pkts/s", "ns/pkt");
  std::printf("%-24s %12s %9.1f\n", "ring rx->tx (io fwd)", fmt_rate(ring_ceiling).c_str(),
              1e9 / ring_ceiling);
  std::printf("%-24s %12s %9.1f\n\n", "net_null rx->tx", fmt_rate(null_ceiling).c_str(),
              1e9 / null_ceiling);
  std::printf("%-28s %12s %8s %8s  %-20s %s\n", "scenario", "msgs/s/lcore", "ns/msg", "of ring",
              "target", "");
  int failures = 0;
  for (const Row& r : rows) {
    std::string target = "-";
    if (r.target != 0) {
      const double v = r.target_is_txn ? r.txn_per_s : r.msgs_per_s;
      target = ">= " + fmt_rate(r.target) + (r.target_is_txn ? " txn/s" : "/s") +
               (v >= r.target ? ": met" : ": NOT met");
    }
    std::printf("%-28s %12s %8.0f %7.2f%%  %-24s %s%s\n", r.name.c_str(),
                fmt_rate(r.msgs_per_s).c_str(), 1e9 / r.msgs_per_s,
                100 * r.msgs_per_s / ring_ceiling, target.c_str(), r.note.c_str(),
                r.ok ? "" : "  [CHECK FAILED: see above]");
    failures += !r.ok;
  }
  const dataplane::DpdkStats d = rig.backend().dpdk_stats(0);
  std::printf(
      "\nworker: %llu frames in, %llu out; dropped: %llu no mbuf, %llu TX full, %llu no "
      "neighbour, %llu malformed, %llu not ours; %llu B referenced, %llu B copied\n",
      static_cast<unsigned long long>(d.rx_frames), static_cast<unsigned long long>(d.tx_frames),
      static_cast<unsigned long long>(d.drop_no_mbuf), static_cast<unsigned long long>(d.tx_full),
      static_cast<unsigned long long>(d.drop_no_neighbor),
      static_cast<unsigned long long>(d.drop_malformed),
      static_cast<unsigned long long>(d.drop_not_ours),
      static_cast<unsigned long long>(d.referenced_bytes),
      static_cast<unsigned long long>(d.copied_bytes));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sipwire::bench

int main(int argc, char** argv) {
  sipwire::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--no-huge") {
      o.no_huge = true;
    } else if (a == "--quick" || a.starts_with("--benchmark_min_time")) {
      // The smoke run (tools/test.sh) passes Google Benchmark's flag: a quick run that needs
      // no hugepages.
      o.quick = true;
      o.no_huge |= a.starts_with("--benchmark_min_time");
    } else if (a.starts_with("--batch=")) {
      o.batch = static_cast<unsigned>(std::strtoul(argv[i] + 8, nullptr, 10));
    } else if (a == "--rx-verified") {
      o.rx_verified = true;
    } else if (a == "--one-mbuf") {
      o.one_mbuf = true;
    } else if (a.starts_with("--rounds=")) {
      o.rounds = static_cast<unsigned>(std::strtoul(argv[i] + 9, nullptr, 10));
    } else if (a.starts_with("--only=")) {
      o.only = std::string(a.substr(7));
    } else {
      std::fprintf(stderr,
                   "usage: dataplane_bench [--no-huge] [--quick] [--batch=N] [--rounds=N] "
                   "[--only=SCENARIO] [--rx-verified] [--one-mbuf]\n"
                   "  (--benchmark_min_time=X: --quick --no-huge, for the smoke run)\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (o.quick) {
    o.batch = std::min(o.batch, 1024u);
    o.rounds = std::min(o.rounds, 2u);
  }
  if (o.batch == 0 || o.batch > 65536 || o.rounds == 0) {
    std::fprintf(stderr, "dataplane_bench: --batch 1..65536, --rounds >= 1\n");
    return 2;
  }
  if (!o.no_huge && sipwire::bench::free_hugepage_mb() < 256) {
    std::fprintf(stderr,
                 "dataplane_bench: fewer than 256 MB of free hugepages for --in-memory. Reserve "
                 "them:\n  echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages\n"
                 "or run with --no-huge (EAL --no-huge -m 1024 --no-shconf; slower on packet "
                 "data).\n");
    return 2;
  }
  return sipwire::bench::run(o);
}
