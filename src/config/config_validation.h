// Rules that relate values to each other, checked once the whole file is read: expires and
// timer orderings, duplicate entries, at least one listen address.
#pragma once

#include "diagnostics.h"
#include "sipwire/config.h"

namespace sipwire::config_internal {

// Reports every broken rule to `diag`, placed at the keys' positions in `positions`.
void validate_config(const Config& config, const KeyPositions& positions, Diagnostics& diag);

}  // namespace sipwire::config_internal
