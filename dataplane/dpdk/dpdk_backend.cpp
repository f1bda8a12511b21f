#include "dataplane/dpdk/dpdk_backend.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <string>

#include "dataplane/dpdk/dpdk_shared.h"
#include "dataplane/dpdk/dpdk_worker.h"
#include "dataplane/dpdk/tap_address.h"

namespace sipwire::dataplane {
namespace {

// The vdev name the exception tap gets (net_tap matches by prefix).
constexpr const char* kTapDevice = "net_tap_exception";
// A branch names its shard in two hex digits.
constexpr unsigned kMaxWorkers = 256;

bool is_pci_address(const std::string& port) {
  // "0000:03:00.0" or "03:00.0": hex digits, colons and a dot, nothing else.
  if (port.find(':') == std::string::npos) return false;
  for (const char c : port)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
  return true;
}

bool has_lcore_option(const std::vector<std::string>& eal) {
  for (const std::string& a : eal)
    if (a == "-l" || a == "-c" || a.rfind("--lcores", 0) == 0 || a.rfind("-l", 0) == 0) return true;
  return false;
}

std::string dpdk_error(const std::string& what, int code) {
  return what + ": " + rte_strerror(code < 0 ? -code : code);
}

bool contains(const OnLinkNetwork& n, const NetAddress& ip) {
  if (n.network.family != ip.family) return false;
  const unsigned bytes = n.prefix_length / 8, bits = n.prefix_length % 8;
  for (unsigned i = 0; i < bytes; ++i)
    if (n.network.ip[i] != ip.ip[i]) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (n.network.ip[bytes] & mask) == (ip.ip[bytes] & mask);
}

struct LaunchContext {
  DpdkWorker* worker;
  unsigned id;
  const std::function<PacketHandler&(unsigned)>* handler_for;
  const std::atomic<bool>* stop;
  std::mutex* error_mutex;
  std::string* error;
};

int worker_main(void* arg) {
  auto* c = static_cast<LaunchContext*>(arg);
  try {
    PacketHandler& handler = (*c->handler_for)(c->id);
    c->worker->run(handler, *c->stop);
    return 0;
  } catch (const std::exception& e) {
    std::lock_guard lock(*c->error_mutex);
    *c->error = "worker " + std::to_string(c->id) + ": " + e.what();
  } catch (...) {
    std::lock_guard lock(*c->error_mutex);
    *c->error = "worker " + std::to_string(c->id) + ": unknown exception";
  }
  return -1;
}

// EAL: the operator's arguments, then what the backend needs.
bool init_eal(const DpdkBackendOptions& options, std::string& error) {
  std::vector<std::string> args{"sipwire-dataplane"};
  args.insert(args.end(), options.eal.begin(), options.eal.end());
  if (!has_lcore_option(options.eal)) {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    args.push_back("--lcores=(0-" + std::to_string(options.workers) + ")@(0-" +
                   std::to_string(cpus > 0 ? cpus - 1 : 0) + ")");
  }
  if (is_pci_address(options.port)) {
    args.push_back("-a");
    args.push_back(options.port);
  } else {
    args.push_back("--vdev=" + options.port);
  }
  if (!options.exception_tap.empty())
    args.push_back(std::string("--vdev=") + kTapDevice + ",iface=" + options.exception_tap);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    error = dpdk_error("EAL initialisation failed", rte_errno);
    return false;
  }
  return true;
}

}  // namespace

NetAddress DpdkShared::next_hop(const NetAddress& to) const {
  if (options.networks.empty()) return to;
  bool has_family_network = false;
  for (const OnLinkNetwork& n : options.networks) {
    if (n.network.family != to.family) continue;
    has_family_network = true;
    if (contains(n, to)) return to;
  }
  if (!has_family_network) return to;
  for (const NetAddress& g : options.gateways)
    if (g.family == to.family) return g;
  return to;
}

bool DpdkShared::listens_at(const NetAddress& a) const {
  if (!a.valid()) return false;
  for (const NetAddress& l : options.listen)
    if (l == a) return true;
  return false;
}

NetAddress DpdkShared::source_for(const NetAddress& to, const NetAddress& preferred) const {
  if (preferred.valid() && preferred.family == to.family) return preferred;
  for (const NetAddress& a : options.listen)
    if (a.family == to.family) return a;
  return NetAddress{};
}

struct DpdkBackendState {
  std::vector<LaunchContext> contexts;
  std::mutex error_mutex;
  std::string error;
  std::function<PacketHandler&(unsigned)> handler_for;
  std::vector<rte_mempool*> pools;
  std::vector<rte_ip_frag_tbl*> reassembly;
  bool port_started = false;
  bool tap_started = false;
  bool eal = false;
};

DpdkBackend::DpdkBackend() = default;

DpdkBackend::~DpdkBackend() {
  workers_.clear();
  if (!shared_) return;
  if (state_) {
    for (rte_ip_frag_tbl* t : state_->reassembly) rte_ip_frag_table_destroy(t);
    if (state_->port_started) {
      rte_eth_dev_stop(shared_->port);
      rte_eth_dev_close(shared_->port);
    }
    if (state_->tap_started && shared_->tap) {
      rte_eth_dev_stop(*shared_->tap);
      rte_eth_dev_close(*shared_->tap);
    }
    for (rte_ring* r : shared_->rings) rte_ring_free(r);
    for (rte_mempool* p : state_->pools) rte_mempool_free(p);
    if (state_->eal) rte_eal_cleanup();
  }
}

std::unique_ptr<DpdkBackend> DpdkBackend::open(const DpdkBackendOptions& options,
                                               std::string& error) {
  if (options.listen.empty()) {
    error = "no listen address";
    return nullptr;
  }
  if (options.port.empty()) {
    error = "no port: set [dpdk] port to a PCI address or a virtual device";
    return nullptr;
  }
  if (options.workers == 0 || options.workers > kMaxWorkers) {
    error = "workers must be 1 to " + std::to_string(kMaxWorkers);
    return nullptr;
  }
  if (options.vlan > 4094) {
    error = "vlan must be 1 to 4094 (0: untagged)";
    return nullptr;
  }
  std::unique_ptr<DpdkBackend> backend(new DpdkBackend());
  backend->state_ = std::make_unique<DpdkBackendState>();
  DpdkBackendState& state = *backend->state_;
  backend->shared_ = std::make_unique<DpdkShared>();
  DpdkShared& shared = *backend->shared_;
  shared.options = options;
  const unsigned workers = options.workers;

  if (!options.eal_initialised && !init_eal(options, error)) return nullptr;
  state.eal = !options.eal_initialised;

  shared.port_name = options.port.substr(0, options.port.find(','));
  if (rte_eth_dev_get_port_by_name(shared.port_name.c_str(), &shared.port) != 0) {
    error = "port " + shared.port_name +
            " not found (for a PCI address: is it bound to a "
            "DPDK driver, and is --no-pci left out of the EAL arguments?)";
    return nullptr;
  }
  if (!options.exception_tap.empty()) {
    uint16_t tap = 0;
    if (rte_eth_dev_get_port_by_name(kTapDevice, &tap) != 0) {
      error = "exception tap " + options.exception_tap + " was not created";
      return nullptr;
    }
    shared.tap = tap;
  }

  // One lcore per worker, besides the main one (which prints status and reloads).
  std::vector<unsigned> lcores;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    lcores.push_back(lcore);
  }
  // A program that drives the workers itself (DpdkBackend::poll) needs no lcore for them.
  while (options.eal_initialised && lcores.size() < workers) lcores.push_back(rte_get_main_lcore());
  if (lcores.size() < workers) {
    error = std::to_string(workers) + " workers need " + std::to_string(workers + 1) +
            " lcores (one main, one per worker); EAL has " + std::to_string(lcores.size() + 1) +
            ": give -l or --lcores in [dpdk] eal";
    return nullptr;
  }

  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(shared.port, &info); rc != 0) {
    error = dpdk_error("port " + shared.port_name + ": cannot read its capabilities", rc);
    return nullptr;
  }
  if (info.max_rx_queues < workers || info.max_tx_queues < workers) {
    error = "port " + shared.port_name + " has " +
            std::to_string(std::min(info.max_rx_queues, info.max_tx_queues)) + " queue pair(s); " +
            std::to_string(workers) +
            " workers need one each (for af_packet: qpairs=N in the port spec)";
    return nullptr;
  }

  // Per worker: a pool of direct mbufs (receive, headers, copies) and one of indirect mbufs
  // (references to received data, fragments), on the worker's NUMA socket.
  std::vector<rte_mempool*> direct(workers), indirect(workers);
  for (unsigned w = 0; w < workers; ++w) {
    const int socket = static_cast<int>(rte_lcore_to_socket_id(lcores[w]));
    const std::string d = "sw_direct_" + std::to_string(w);
    const std::string i = "sw_indirect_" + std::to_string(w);
    direct[w] = rte_pktmbuf_pool_create(d.c_str(), options.mbufs_per_worker, 256, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    indirect[w] = rte_pktmbuf_pool_create(i.c_str(), options.mbufs_per_worker, 256, 0, 0, socket);
    if (direct[w] == nullptr || indirect[w] == nullptr) {
      error = dpdk_error("cannot create the mbuf pools of worker " + std::to_string(w) + " (" +
                             std::to_string(options.mbufs_per_worker) +
                             " mbufs; more memory, -m, or fewer mbufs_per_worker)",
                         rte_errno);
      return nullptr;
    }
    state.pools.push_back(direct[w]);
    state.pools.push_back(indirect[w]);
  }

  // The port: one RX/TX queue pair per worker, RSS over them where the port has it.
  rte_eth_conf conf{};
  if (workers > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  shared.tx_multi_segment =
      options.multi_segment_tx && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
  if (shared.tx_multi_segment) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  constexpr uint64_t kChecksums = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
  shared.tx_checksum_offload =
      options.checksum_offload && (info.tx_offload_capa & kChecksums) == kChecksums;
  if (shared.tx_checksum_offload) conf.txmode.offloads |= kChecksums;
  // And on receipt, where the port verifies them: the worker drops what it flags as bad.
  constexpr uint64_t kRxChecksums = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
  if (options.checksum_offload) conf.rxmode.offloads |= kRxChecksums & info.rx_offload_capa;
  if (options.vlan != 0) {
    shared.rx_vlan_strip = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
    if (shared.rx_vlan_strip) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
    shared.tx_vlan_insert = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT) != 0;
    if (shared.tx_vlan_insert) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
  }
  if (int rc = rte_eth_dev_configure(shared.port, static_cast<uint16_t>(workers),
                                     static_cast<uint16_t>(workers), &conf);
      rc != 0) {
    error = dpdk_error("port " + shared.port_name + ": cannot configure it", rc);
    return nullptr;
  }
  uint16_t rx_descriptors = static_cast<uint16_t>(options.queue_size);
  uint16_t tx_descriptors = static_cast<uint16_t>(options.queue_size);
  rte_eth_dev_adjust_nb_rx_tx_desc(shared.port, &rx_descriptors, &tx_descriptors);
  for (unsigned w = 0; w < workers; ++w) {
    const auto socket = static_cast<unsigned>(rte_lcore_to_socket_id(lcores[w]));
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int rc = rte_eth_rx_queue_setup(shared.port, static_cast<uint16_t>(w), rx_descriptors,
                                        socket, nullptr, direct[w]);
        rc != 0) {
      error = dpdk_error("port " + shared.port_name + ": RX queue " + std::to_string(w), rc);
      return nullptr;
    }
    if (int rc = rte_eth_tx_queue_setup(shared.port, static_cast<uint16_t>(w), tx_descriptors,
                                        socket, &txconf);
        rc != 0) {
      error = dpdk_error("port " + shared.port_name + ": TX queue " + std::to_string(w), rc);
      return nullptr;
    }
  }
  if (int rc = rte_eth_dev_set_mtu(shared.port, static_cast<uint16_t>(options.mtu));
      rc != 0 && rc != -ENOTSUP) {
    std::fprintf(stderr, "sipwire-dataplane: port %s: MTU %u not set (%s); continuing\n",
                 shared.port_name.c_str(), options.mtu, rte_strerror(-rc));
  }
  if (int rc = rte_eth_dev_start(shared.port); rc != 0) {
    error = dpdk_error("port " + shared.port_name + ": cannot start it", rc);
    return nullptr;
  }
  state.port_started = true;
  rte_ether_addr mac{};
  rte_eth_macaddr_get(shared.port, &mac);
  std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), shared.mac.bytes.begin());

  // The exception path: a tap with as many queues as workers, our MAC and our addresses.
  if (shared.tap) {
    const uint16_t tap = *shared.tap;
    rte_eth_conf tap_conf{};
    if (int rc = rte_eth_dev_configure(tap, static_cast<uint16_t>(workers),
                                       static_cast<uint16_t>(workers), &tap_conf);
        rc != 0) {
      error = dpdk_error("exception tap: cannot configure it", rc);
      return nullptr;
    }
    for (unsigned w = 0; w < workers; ++w) {
      const auto socket = static_cast<unsigned>(rte_lcore_to_socket_id(lcores[w]));
      if (rte_eth_rx_queue_setup(tap, static_cast<uint16_t>(w), 512, socket, nullptr, direct[w]) !=
              0 ||
          rte_eth_tx_queue_setup(tap, static_cast<uint16_t>(w), 512, socket, nullptr) != 0) {
        error = "exception tap: cannot set up queue " + std::to_string(w);
        return nullptr;
      }
    }
    rte_eth_dev_set_mtu(tap, static_cast<uint16_t>(options.mtu));
    if (int rc = rte_eth_dev_start(tap); rc != 0) {
      error = dpdk_error("exception tap: cannot start it", rc);
      return nullptr;
    }
    state.tap_started = true;
    if (int rc = rte_eth_dev_default_mac_addr_set(tap, &mac); rc != 0) {
      error = dpdk_error("exception tap: cannot give it the port's MAC", rc);
      return nullptr;
    }
    for (const NetAddress& a : options.listen) {
      uint8_t prefix = a.is_ipv6() ? 128 : 32;
      for (const OnLinkNetwork& n : options.networks)
        if (contains(n, a)) prefix = n.prefix_length;
      // One address may carry several ports: add it once.
      bool seen = false;
      for (const NetAddress& b : options.listen) {
        if (&b == &a) break;
        seen |= b.family == a.family && b.ip == a.ip;
      }
      if (!seen && !add_interface_address(options.exception_tap, a, prefix, error)) return nullptr;
    }
  }

  shared.local.mac = shared.mac;
  shared.local.listen = std::span<const NetAddress>(shared.options.listen);
  // 65,536 next hops (2 MiB): without [dpdk] networks every client is a next hop of its own,
  // and one evicted by newer ones is asked for again by ARP before a request can reach it.
  shared.neighbors = std::make_unique<net::NeighborTable>(65536, options.neighbor_reachable_ms);

  if (options.shard_affinity && workers > 1) {
    shared.rings.assign(std::size_t{workers} * workers, nullptr);
    for (unsigned from = 0; from < workers; ++from) {
      for (unsigned to = 0; to < workers; ++to) {
        if (from == to) continue;
        const std::string name = "sw_handover_" + std::to_string(from) + "_" + std::to_string(to);
        rte_ring* ring =
            rte_ring_create(name.c_str(), rte_align32pow2(options.handover_slots),
                            rte_lcore_to_socket_id(lcores[to]), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (ring == nullptr) {
          error = dpdk_error("cannot create handover ring " + name, rte_errno);
          return nullptr;
        }
        shared.rings[from * workers + to] = ring;
      }
    }
  }

  // IP reassembly: a table per worker, entries expiring after reassembly_timeout_ms.
  const uint64_t max_cycles = (rte_get_tsc_hz() + 999) / 1000 * options.reassembly_timeout_ms;
  for (unsigned w = 0; w < workers; ++w) {
    rte_ip_frag_tbl* table =
        rte_ip_frag_table_create(options.reassembly_flows, 4, options.reassembly_flows, max_cycles,
                                 static_cast<int>(rte_lcore_to_socket_id(lcores[w])));
    if (table == nullptr) {
      error = "cannot create the IP reassembly table of worker " + std::to_string(w);
      return nullptr;
    }
    state.reassembly.push_back(table);
    backend->workers_.push_back(
        std::make_unique<DpdkWorker>(w, lcores[w], shared, direct[w], indirect[w], table));
  }
  return backend;
}

void DpdkBackend::launch(const std::function<PacketHandler&(unsigned worker)>& handler_for,
                         const std::atomic<bool>& stop) {
  DpdkBackendState& state = *state_;
  state.handler_for = handler_for;
  state.contexts.clear();
  state.contexts.reserve(workers_.size());
  for (unsigned w = 0; w < workers_.size(); ++w)
    state.contexts.push_back(LaunchContext{workers_[w].get(), w, &state.handler_for, &stop,
                                           &state.error_mutex, &state.error});
  for (unsigned w = 0; w < workers_.size(); ++w)
    rte_eal_remote_launch(worker_main, &state.contexts[w], workers_[w]->lcore());
}

bool DpdkBackend::join(std::string& error) {
  bool ok = true;
  for (const auto& w : workers_) ok &= rte_eal_wait_lcore(w->lcore()) == 0;
  if (!ok) {
    std::lock_guard lock(state_->error_mutex);
    error = state_->error.empty() ? "a worker failed" : state_->error;
  }
  return ok;
}

bool DpdkBackend::poll(unsigned worker, PacketHandler& handler) {
  return workers_[worker]->poll_once(handler);
}

unsigned DpdkBackend::workers() const {
  return static_cast<unsigned>(workers_.size());
}

WorkerStats DpdkBackend::stats(unsigned worker) const {
  return worker < workers_.size() ? workers_[worker]->stats() : WorkerStats{};
}

DpdkStats DpdkBackend::dpdk_stats(unsigned worker) const {
  return worker < workers_.size() ? workers_[worker]->dpdk_stats() : DpdkStats{};
}

void DpdkBackend::announce() {
  shared_->announce.store(true, std::memory_order_relaxed);
}

bool DpdkBackend::link_up() const {
  rte_eth_link link{};
  return rte_eth_link_get_nowait(shared_->port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

std::string DpdkBackend::link_text() const {
  rte_eth_link link{};
  if (int rc = rte_eth_link_get_nowait(shared_->port, &link); rc != 0)
    return std::string("link unknown (") + rte_strerror(-rc) + ")";
  if (link.link_status != RTE_ETH_LINK_UP) return "link down";
  // (rte_eth_link_to_str would format it, but is experimental API in DPDK 22.11.)
  std::string s = "link up";
  const uint32_t mbps = link.link_speed;
  if (mbps != RTE_ETH_SPEED_NUM_NONE && mbps != RTE_ETH_SPEED_NUM_UNKNOWN) {
    char speed[32];
    if (mbps >= 1000 && mbps % 1000 == 0)
      std::snprintf(speed, sizeof speed, " at %u Gbps", mbps / 1000);
    else if (mbps > 1000 && mbps % 100 == 0)  // 2.5 Gbps
      std::snprintf(speed, sizeof speed, " at %u.%u Gbps", mbps / 1000, mbps % 1000 / 100);
    else
      std::snprintf(speed, sizeof speed, " at %u Mbps", mbps);
    s += speed;
  }
  s += link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? ", full duplex" : ", half duplex";
  return s;
}

DpdkBackend::PortCounters DpdkBackend::port_counters() const {
  PortCounters c;
  rte_eth_stats st{};
  if (rte_eth_stats_get(shared_->port, &st) != 0) return c;
  c.available = true;
  c.rx_packets = st.ipackets;
  c.tx_packets = st.opackets;
  c.missed = st.imissed;
  c.rx_errors = st.ierrors;
  c.rx_no_mbuf = st.rx_nombuf;
  c.tx_errors = st.oerrors;
  return c;
}

std::vector<NetAddress> DpdkBackend::bound_addresses() const {
  return shared_->options.listen;
}

std::string DpdkBackend::describe() const {
  std::string s = "dpdk port " + shared_->port_name + " " + shared_->mac.to_string();
  s += shared_->tx_checksum_offload ? ", checksums offloaded" : ", checksums in software";
  s += shared_->tx_multi_segment ? ", chained mbufs" : ", one mbuf per frame";
  if (shared_->options.vlan != 0)
    s += ", vlan " + std::to_string(shared_->options.vlan) +
         (shared_->tx_vlan_insert ? " (tagged by the port)" : " (tagged in software)");
  if (shared_->tap) s += ", exception path tap " + shared_->options.exception_tap;
  // Said at start because it decides who can be reached: without networks, a client behind a
  // router is reachable only by the MAC its own datagrams taught (the router does not answer
  // ARP for it), so a request to a remote address that never sent us anything waits for ARP
  // in vain (OPERATIONS.md, neighbours).
  if (shared_->options.networks.empty())
    s += ", every destination on-link (no [dpdk] networks: set networks and gateways when "
         "clients sit behind a router)";
  else
    s += ", " + std::to_string(shared_->options.networks.size()) + " on-link network(s), " +
         std::to_string(shared_->options.gateways.size()) + " gateway(s)";
  return s;
}

}  // namespace sipwire::dataplane
