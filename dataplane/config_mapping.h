// What the configuration asks of the running process: the engine settings every shard starts
// from, and the options each I/O backend is opened with. Kept apart from main() so that every
// key a file can set is proven, by a test, to reach the code it configures.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/socket_backend.h"
#include "sipwire/config.h"
#include "sipwire/engine/proxy_core.h"

namespace sipwire::dataplane {

// The engine settings of every shard (each then gets its own EngineSettings::shard), `local`
// being the first address the backend bound.
EngineSettings engine_settings(const Config& config, const NetAddress& local);

// What our Via and Record-Route name for `bound`, an address the backend bound (invalid:
// none): its [[listen]] table's advertise (and its port, if it gives one); for a wildcard
// without one, the address this host sends from (default_source_address), or the loopback
// address when it has no default route. Empty host: the address itself. `note` (empty when
// there is nothing to tell) says what a wildcard was taken for, for the operator.
AdvertisedName advertised_name(const Config& config, const NetAddress& bound, std::string& note);

// A wildcard listen address receives on every address of the host's interfaces (of its
// family): each becomes one of `config`'s domains, so that a request naming any of them is
// ours, to the engine and to the server policy alike. The addresses the host has now (an
// address added later is not ours until a restart or reload). Nothing without a wildcard.
void add_interface_domains(Config& config);

// Whether datagrams must reach the worker whose shard owns them. The stateful proxy keeps each
// transaction in one shard, and shard 0 alone sends the destination-set probes: with several
// workers, a response or a probe's answer landing on another worker would miss its state.
// Stateless and redirect modes, with nothing probed, route a response by its Via alone.
bool needs_shard_affinity(const Config& config);

SocketBackendOptions socket_backend_options(const Config& config);

// What a reload (SIGHUP) cannot apply: the parts of `next` that differ from the `running`
// configuration other than the server policy, the trusted sources and [auth], which the gate
// takes up live. Named as the file writes them ("mode", "[timers]", "[[listen]]"), in file
// order; empty when the reload applies everything that changed.
std::vector<std::string> changes_needing_restart(const Config& running, const Config& next);

// Buckets of the location service's table (LocationTable), shared by every shard.
std::size_t location_buckets(const Config& config);

// The dpdk backend's options: the config's [dpdk] table, with `extra_eal` (from the command
// line) after its EAL arguments. Empty, with `error` saying why, when the configuration cannot
// run on DPDK (no port; a wildcard listen address, which the data plane cannot answer for).
std::optional<DpdkBackendOptions> dpdk_backend_options(const Config& config,
                                                       std::span<const std::string> extra_eal,
                                                       std::string& error);

}  // namespace sipwire::dataplane
