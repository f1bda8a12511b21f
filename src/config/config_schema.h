// The layout of the config file: which tables and keys exist, the type of each key, and the
// range or syntax of each value on its own. Relations between keys (min <= default <= max,
// duplicates) are config_validation's job, once every value is known.
#pragma once

#include <toml++/toml.h>

#include "diagnostics.h"
#include "sipwire/config.h"

namespace sipwire::config_internal {

// Fills `config` from the document, reporting every problem to `diag` and recording where
// each key is in `positions`. `config` is meaningful only if nothing was reported.
// Leaves Config::workers as written (0: one per CPU) and Config::domains without the listen
// addresses: completing them is policy, not layout.
void read_config(const toml::table& root, Config& config, Diagnostics& diag,
                 KeyPositions& positions);

// "udp", "tcp", "tls": as the file spells them.
std::string_view transport_name(Transport transport);

}  // namespace sipwire::config_internal
