// The per-burst scratch space: blocks handed out front to back, the last one shrunk to what
// the engine wrote, and the room a worker gets for its burst.
#include "dataplane/scratch_arena.h"

#include <gtest/gtest.h>

namespace sipwire::dataplane {
namespace {

TEST(ScratchArena, TheLastBlockKeepsOnlyWhatWasWrittenRoundedToACacheLine) {
  ScratchArena arena(64 << 10);
  char* answer = arena.take(4096);
  ASSERT_NE(answer, nullptr);
  arena.shrink_last(answer, 450);
  EXPECT_EQ(arena.used(), 512u);
  char* next = arena.take(4096);
  EXPECT_EQ(next, answer + 512);
  arena.shrink_last(next, 0);
  EXPECT_EQ(arena.used(), 512u);
}

TEST(ScratchArena, OnlyTheLastBlockCanShrinkAndNeverGrows) {
  ScratchArena arena(64 << 10);
  char* first = arena.take(1024);
  char* second = arena.take(1024);
  arena.shrink_last(first, 10);  // not the last: its bytes may be behind `second`'s
  EXPECT_EQ(arena.used(), 2048u);
  arena.shrink_last(second, 5000);  // more than it has: unchanged
  EXPECT_EQ(arena.used(), 2048u);
  arena.shrink_last(nullptr, 0);
  EXPECT_EQ(arena.used(), 2048u);
  arena.reset();
  arena.shrink_last(second, 0);  // after a reset nothing is the last block
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(arena.take(1024), first);
}

TEST(ScratchArena, AWorkerHasRoomForAWholeBurst) {
  EXPECT_EQ(ScratchArena::bytes_for(256 << 10, 32), std::size_t{256} << 10);
  EXPECT_EQ(ScratchArena::bytes_for(256 << 10, 512), 512 * ScratchArena::kPerMessage);
}

}  // namespace
}  // namespace sipwire::dataplane
