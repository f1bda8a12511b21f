// The gate's test binary replaces global operator new to count allocations
// (count_allocations.cpp, its own translation unit so the replacement is never inlined).
#pragma once

namespace sipwire::gate::testing {

// Allocations made so far by this thread.
long allocations();

}  // namespace sipwire::gate::testing
