// Counts the heap allocations of a test or benchmark binary that links this (meson:
// count_allocations_dep): count_allocations.cpp replaces global operator new in every form, in
// a translation unit of its own so that the replacement is never inlined away. The code
// under test proves "allocates nothing per message" with it; the count must be able to fail,
// so tests check first that it sees an allocation (AllocationCounter.SeesAnAllocation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sipwire::testing {

struct AllocationCount {
  uint64_t calls = 0;  // operator new calls of every form
  uint64_t bytes = 0;  // bytes asked for
};

// What this thread has allocated since it started.
AllocationCount allocations();

// While a log is set, the size of each allocation this thread makes is appended to it (up to
// its capacity; *count says how many were written). An empty span stops the log.
void log_allocation_sizes(std::span<std::size_t> log, std::size_t* count);

}  // namespace sipwire::testing
