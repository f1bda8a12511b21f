// sipwire-dataplane: the SIP proxy and registrar. Loads the configuration, starts one worker
// (and shard) per configured core on the chosen I/O backend, and runs until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <rte_version.h>
#ifdef SIPWIRE_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/config_mapping.h"
#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/revision.h"
#include "dataplane/shard.h"
#include "dataplane/socket_backend.h"
#include "policy_gate.h"
#include "sipwire/config.h"

namespace {

using namespace sipwire;

std::atomic<bool> g_stop{false};
std::atomic<bool> g_status{false};
std::atomic<bool> g_reload{false};

void on_signal(int sig) {
  if (sig == SIGUSR1)
    g_status = true;
  else if (sig == SIGHUP)
    g_reload = true;
  else
    g_stop = true;
}

// --check: what a start would refuse, without starting (no port bound, no EAL): the
// configuration, the [dpdk] section's mapping when the backend is DPDK, the server policy and
// the users file. Operators run it before a restart or a SIGHUP, as `kamailio -c` or
// `nginx -t`. 0 when it would start; 2, with the reason, when not.
int check_configuration(const Config& config, IoBackend io,
                        const std::vector<std::string>& eal_args) {
  std::string error;
  if (io == IoBackend::kDpdk && !dataplane::dpdk_backend_options(config, eal_args, error)) {
    std::fprintf(stderr, "sipwire-dataplane: %s: refused: %s\n", config.source.c_str(),
                 error.c_str());
    return 2;
  }
  const gate::GateSharedResult gate_shared = gate::make_gate_shared(config);
  if (!gate_shared.ok()) {
    std::fprintf(stderr, "sipwire-dataplane: %s\n", gate_shared.error.c_str());
    return 2;
  }
  std::string listen;
  for (const ListenConfig& l : config.listen) listen += " udp " + l.address.to_string();
  std::printf(
      "sipwire-dataplane: %s: configuration OK (%s, %u worker%s, io %s, listen%s; %zu route%s, "
      "%zu destination set%s, %zu policy rule%s)\n",
      config.source.c_str(), std::string(to_string(config.mode)).c_str(), config.workers,
      config.workers == 1 ? "" : "s", std::string(to_string(io)).c_str(), listen.c_str(),
      config.routes.size(), config.routes.size() == 1 ? "" : "s", config.destinations.size(),
      config.destinations.size() == 1 ? "" : "s", config.rules.size(),
      config.rules.size() == 1 ? "" : "s");
  return 0;
}

// What --version prints: this build and the libraries it runs with (the DPDK and Hyperscan a
// support request needs to know; both are shared libraries, so read at run time).
std::string version_text() {
  std::string text = "sipwire-dataplane " SIPWIRE_VERSION " (" SIPWIRE_REVISION "), ";
  text += rte_version();
#ifdef SIPWIRE_HAVE_HYPERSCAN
  text += ", Hyperscan ";
  text += hs_version();
#endif
#ifdef __clang__
  text += ", built with clang " __clang_version__;
#else
  text += ", built with g++ " __VERSION__;
#endif
  while (text.back() == ' ') text.pop_back();  // __clang_version__ ends in one
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sipwire-dataplane: the sipwire SIP proxy and registrar. SIGUSR1 prints a status line; "
      "SIGHUP reloads the server policy and the users file (a bad file is refused, the running "
      "policy stays); SIGINT/SIGTERM stop it."};
  std::string config_path;
  std::string io;
  std::vector<std::string> eal_args;
  unsigned status_interval = 1;
  bool check_only = false;
  app.add_option("--config,-c", config_path, "configuration file (TOML)")->required();
  app.add_flag("--check", check_only,
               "check the configuration (with the [dpdk] section, the server policy and the users "
               "file) as a start would, say whether it is usable, and exit without starting");
  app.add_option("--io", io,
                 "I/O backend, overriding the config's io: socket (kernel UDP sockets) or dpdk "
                 "(poll-mode lcores on the [dpdk] port)")
      ->check(CLI::IsMember({"socket", "dpdk"}));
  app.add_option("eal", eal_args,
                 "with --io dpdk: EAL arguments after --, added to the config's [dpdk] eal");
  app.add_option("--status-interval", status_interval,
                 "seconds between status lines (0: only on SIGUSR1)");
  app.set_version_flag("--version", version_text(),
                       "print the version and the libraries, and exit");
  CLI11_PARSE(app, argc, argv);

  const ConfigResult loaded = load_config_file(config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "sipwire-dataplane: %s\n", loaded.error.to_string().c_str());
    return 2;
  }
  Config config = *loaded.config;
  dataplane::add_interface_domains(config);
  const IoBackend backend_kind = io.empty() ? config.io : *parse_io_backend(io);
  if (check_only) return check_configuration(config, backend_kind, eal_args);
  std::string error;
  std::unique_ptr<dataplane::SocketBackend> socket_backend;
  std::unique_ptr<dataplane::DpdkBackend> dpdk_backend;
  if (backend_kind == IoBackend::kDpdk) {
    const std::optional<dataplane::DpdkBackendOptions> options =
        dataplane::dpdk_backend_options(config, eal_args, error);
    if (!options) {
      std::fprintf(stderr, "sipwire-dataplane: cannot start: %s\n", error.c_str());
      return 2;
    }
    dpdk_backend = dataplane::DpdkBackend::open(*options, error);
  } else {
    socket_backend =
        dataplane::SocketBackend::open(dataplane::socket_backend_options(config), error);
  }
  if (!socket_backend && !dpdk_backend) {
    std::fprintf(stderr, "sipwire-dataplane: cannot start: %s\n", error.c_str());
    return 1;
  }
  const std::vector<NetAddress> bound =
      dpdk_backend ? dpdk_backend->bound_addresses() : socket_backend->bound_addresses();
  auto worker_stats = [&](unsigned i) {
    return dpdk_backend ? dpdk_backend->stats(i) : socket_backend->stats(i);
  };
  const NetAddress local = bound.front();
  // Where the data plane listens on both IP families, the first address of the other one.
  NetAddress local_other_family;
  for (const NetAddress& a : bound)
    if (a.family != local.family) {
      local_other_family = a;
      break;
    }

  Qsbr qsbr(config.workers);
  LocationTable location(dataplane::location_buckets(config), qsbr);
  EngineSettings settings = dataplane::engine_settings(config, local);
  settings.local_other_family = local_other_family;
  if (config.record_route && config.route_secret.empty())
    std::printf(
        "sipwire-dataplane: Record-Route signed with a key drawn now (no route_secret): after a "
        "restart, requests of dialogs set up before it are decided by the server policy\n");
  // What our Via and Record-Route write for them: an advertised host, or what a wildcard is.
  std::string note;
  settings.local_name = dataplane::advertised_name(config, local, note);
  if (!note.empty()) std::printf("sipwire-dataplane: %s\n", note.c_str());
  settings.local_other_name = dataplane::advertised_name(config, local_other_family, note);
  if (!note.empty()) std::printf("sipwire-dataplane: %s\n", note.c_str());
  for (const NetAddress& a : bound)
    if (a != local && a != local_other_family) {
      settings.local_more.push_back({a, dataplane::advertised_name(config, a, note)});
      if (!note.empty()) std::printf("sipwire-dataplane: %s\n", note.c_str());
    }
  // Shards exist before any worker runs, so the status line may read them from this thread.
  // The server policy and authentication: compiled once, one gate per shard.
  const gate::GateSharedResult gate_shared = gate::make_gate_shared(config);
  if (!gate_shared.ok()) {
    std::fprintf(stderr, "sipwire-dataplane: %s\n", gate_shared.error.c_str());
    return 2;
  }
  std::vector<std::unique_ptr<gate::PolicyGate>> gates;
  std::vector<std::unique_ptr<dataplane::Shard>> shards;
  for (unsigned i = 0; i < config.workers; ++i) {
    gates.push_back(
        std::make_unique<gate::PolicyGate>(gate_shared.shared, static_cast<uint16_t>(i)));
    if (!gates.back()->ok()) {
      std::fprintf(stderr,
                   "sipwire-dataplane: cannot start: the policy gate of worker %u is not usable "
                   "(Hyperscan scratch space or OpenSSL)\n",
                   i);
      return 1;
    }
    EngineSettings shard_settings = settings;
    shard_settings.probe_destinations = i == 0;  // one prober; every shard reads the health
    shards.push_back(
        std::make_unique<dataplane::Shard>(i, shard_settings, location, qsbr, gates.back().get()));
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  auto handler_for = [&](unsigned i) -> dataplane::PacketHandler& { return *shards[i]; };
  std::thread workers;
  if (dpdk_backend) {
    // EAL launches the workers on their lcores, from this (the main) lcore.
    dpdk_backend->launch(handler_for, g_stop);
  } else {
    workers = std::thread([&] { socket_backend->run(handler_for, g_stop); });
  }

  std::string where;
  for (const NetAddress& a : bound) where += " udp " + a.to_string();
  const std::string io_text =
      dpdk_backend ? dpdk_backend->describe() : std::string("kernel sockets");
  std::printf("sipwire-dataplane: listening on%s (%u worker%s, %s, %s; config %s)\n", where.c_str(),
              config.workers, config.workers == 1 ? "" : "s",
              std::string(to_string(config.mode)).c_str(), io_text.c_str(), config.source.c_str());
  // The port's link, at start and whenever it changes (a cable, the switch port, the peer's
  // end of a veth): on a NIC server nothing else shows it, since the kernel no longer has the
  // port. A NIC may still be negotiating at start; its "link up" follows within seconds.
  bool link_was_up = false;
  if (dpdk_backend) {
    link_was_up = dpdk_backend->link_up();
    std::printf("sipwire-dataplane: %s\n", dpdk_backend->link_text().c_str());
  }
  std::fflush(stdout);

  // per_lcore (on SIGUSR1): with the dpdk backend, also one line per worker lcore.
  auto print_status = [&](bool per_lcore) {
    uint64_t rx = 0, tx = 0, fwd = 0, answered = 0, malformed = 0, keepalives = 0, limited = 0,
             transactions = 0, overloaded = 0;
    uint64_t handed_out = 0, handed_in = 0, handover_drops = 0, no_scratch = 0;
    for (unsigned i = 0; i < config.workers; ++i) {
      const dataplane::WorkerStats s = worker_stats(i);
      rx += s.rx_datagrams;
      tx += s.tx_datagrams;
      handed_out += s.handovers_out;
      handed_in += s.handovers_in;
      handover_drops += s.handover_drops;
      no_scratch += s.scratch_exhausted;
    }
    for (const auto& s : shards) {
      fwd += s->forwarded();
      answered += s->answered();
      malformed += s->malformed();
      keepalives += s->keepalives();
      limited += s->rate_limited();
      transactions += s->transactions();
      overloaded += s->overloaded();
    }
    std::printf(
        "status: rx %llu tx %llu forwarded %llu answered %llu malformed %llu keepalives %llu "
        "aors %zu "
        "bindings %zu handovers out %llu in %llu dropped %llu transactions %llu overload-503 %llu "
        "rate-limited %llu scratch-exhausted %llu\n",
        static_cast<unsigned long long>(rx), static_cast<unsigned long long>(tx),
        static_cast<unsigned long long>(fwd), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(malformed), static_cast<unsigned long long>(keepalives),
        location.aor_count(), location.binding_count(), static_cast<unsigned long long>(handed_out),
        static_cast<unsigned long long>(handed_in), static_cast<unsigned long long>(handover_drops),
        static_cast<unsigned long long>(transactions), static_cast<unsigned long long>(overloaded),
        static_cast<unsigned long long>(limited), static_cast<unsigned long long>(no_scratch));
    auto print_dpdk = [](const char* who, const dataplane::DpdkStats& d) {
      std::printf(
          "%s frames rx %llu tx %llu tx-full %llu bytes referenced %llu copied %llu "
          "linearized %llu reassembled %llu fragments-out %llu neighbor answered %llu asked %llu "
          "announced %llu held %llu kernel in %llu out %llu drops not-ours %llu malformed %llu "
          "no-neighbor %llu "
          "no-mbuf "
          "%llu no-kernel %llu oversize %llu\n",
          who, static_cast<unsigned long long>(d.rx_frames),
          static_cast<unsigned long long>(d.tx_frames), static_cast<unsigned long long>(d.tx_full),
          static_cast<unsigned long long>(d.referenced_bytes),
          static_cast<unsigned long long>(d.copied_bytes),
          static_cast<unsigned long long>(d.linearized),
          static_cast<unsigned long long>(d.reassembled),
          static_cast<unsigned long long>(d.fragments_out),
          static_cast<unsigned long long>(d.arp_answered),
          static_cast<unsigned long long>(d.neighbor_requests),
          static_cast<unsigned long long>(d.neighbor_announced),
          static_cast<unsigned long long>(d.neighbor_held),
          static_cast<unsigned long long>(d.from_kernel),
          static_cast<unsigned long long>(d.to_kernel),
          static_cast<unsigned long long>(d.drop_not_ours),
          static_cast<unsigned long long>(d.drop_malformed),
          static_cast<unsigned long long>(d.drop_no_neighbor),
          static_cast<unsigned long long>(d.drop_no_mbuf),
          static_cast<unsigned long long>(d.drop_kernel),
          static_cast<unsigned long long>(d.drop_oversize));
    };
    if (dpdk_backend) {
      dataplane::DpdkStats sum;
      for (unsigned i = 0; i < config.workers; ++i) {
        const dataplane::DpdkStats d = dpdk_backend->dpdk_stats(i);
        sum += d;
        if (per_lcore) {
          const dataplane::WorkerStats w = worker_stats(i);
          std::printf("worker %u: rx %llu tx %llu handovers out %llu in %llu dropped %llu\n", i,
                      static_cast<unsigned long long>(w.rx_datagrams),
                      static_cast<unsigned long long>(w.tx_datagrams),
                      static_cast<unsigned long long>(w.handovers_out),
                      static_cast<unsigned long long>(w.handovers_in),
                      static_cast<unsigned long long>(w.handover_drops));
          print_dpdk(("dpdk worker " + std::to_string(i) + ":").c_str(), d);
        }
      }
      print_dpdk(dpdk_backend->link_up() ? "dpdk: link up," : "dpdk: link down,", sum);
      // What the port dropped before any worker saw it (RX queues full, no mbuf, bad frames).
      const dataplane::DpdkBackend::PortCounters p = dpdk_backend->port_counters();
      if (p.available)
        std::printf(
            "port: rx %llu tx %llu missed %llu rx-errors %llu rx-no-mbuf %llu "
            "tx-errors %llu\n",
            static_cast<unsigned long long>(p.rx_packets),
            static_cast<unsigned long long>(p.tx_packets),
            static_cast<unsigned long long>(p.missed), static_cast<unsigned long long>(p.rx_errors),
            static_cast<unsigned long long>(p.rx_no_mbuf),
            static_cast<unsigned long long>(p.tx_errors));
    }
    std::fflush(stdout);
  };
  // SIGHUP: the server policy and the users file are read again. A file that does not load or
  // compile is reported (file:line:column) and the running policy stays in force; the rest of
  // the configuration (listen addresses, workers, mode, timers, routes, destination sets)
  // takes a restart.
  std::shared_ptr<const gate::GateShared> policy_now = gate_shared.shared;
  auto reload = [&] {
    ConfigResult next = load_config_file(config_path);
    if (!next.ok()) {
      std::fprintf(stderr, "sipwire-dataplane: reload refused, the running policy stays: %s\n",
                   next.error.to_string().c_str());
      return;
    }
    dataplane::add_interface_domains(*next.config);
    bool same_sets = next.config->destinations.size() == config.destinations.size();
    for (std::size_t i = 0; same_sets && i < config.destinations.size(); ++i)
      same_sets = next.config->destinations[i].name == config.destinations[i].name;
    if (!same_sets) {
      std::fprintf(stderr,
                   "sipwire-dataplane: reload refused, the running policy stays: %s: the "
                   "[[destination]] sets changed, which takes a restart\n",
                   config_path.c_str());
      return;
    }
    const gate::GateSharedResult compiled = gate::make_gate_shared(*next.config, policy_now.get());
    if (!compiled.ok()) {
      std::fprintf(stderr, "sipwire-dataplane: reload refused, the running policy stays: %s\n",
                   compiled.error.c_str());
      return;
    }
    for (auto& g : gates) g->offer(compiled.shared);
    policy_now = compiled.shared;
    // What changed besides the policy waits for a restart: say so, or an operator takes a new
    // timer or mode for applied.
    std::string later;
    for (const std::string& key : dataplane::changes_needing_restart(config, *next.config))
      later += (later.empty() ? "; not applied until a restart: " : ", ") + key;
    std::printf("sipwire-dataplane: reloaded the policy (%zu rules) and the users file from %s%s\n",
                next.config->rules.size(), config_path.c_str(), later.c_str());
    std::fflush(stdout);
  };

  unsigned ticks = 0;
  while (!g_stop.load()) {
    if (g_reload.exchange(false)) reload();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const bool asked = g_status.exchange(false);
    if (asked || (status_interval != 0 && ++ticks % (status_interval * 10) == 0))
      print_status(asked);
    if (dpdk_backend && dpdk_backend->link_up() != link_was_up) {
      link_was_up = !link_was_up;
      if (link_was_up) dpdk_backend->announce();
      std::printf("sipwire-dataplane: %s\n", dpdk_backend->link_text().c_str());
      std::fflush(stdout);
    }
  }
  int rc = 0;
  if (dpdk_backend) {
    if (!dpdk_backend->join(error)) {
      std::fprintf(stderr, "sipwire-dataplane: %s\n", error.c_str());
      rc = 1;
    }
  } else {
    workers.join();
  }
  print_status(true);
  std::printf("sipwire-dataplane: stopped\n");
  shards.clear();  // before the backend (and EAL) goes
  return rc;
}
