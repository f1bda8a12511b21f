#include "sipwire/auth/identity.h"

#include <gtest/gtest.h>

namespace sipwire::auth {
namespace {

TEST(Identity, ExactUserMatches) {
  EXPECT_TRUE(identity_matches("alice", "alice"));
  EXPECT_FALSE(identity_matches("alice", "bob"));
  EXPECT_FALSE(identity_matches("alice", "Alice"));  // user parts are case-sensitive
  EXPECT_FALSE(identity_matches("alice", "alice2"));
  EXPECT_FALSE(identity_matches("alice2", "alice"));
  EXPECT_FALSE(identity_matches("alice", ""));
  EXPECT_FALSE(identity_matches("", ""));
}

TEST(Identity, EscapesInTheUriAreDecoded) {
  EXPECT_TRUE(identity_matches("alice", "%61lice"));
  EXPECT_TRUE(identity_matches("a b", "a%20b"));
  EXPECT_FALSE(identity_matches("a%20b", "a%20b"));
  EXPECT_FALSE(identity_matches("a", "%6"));
  EXPECT_FALSE(identity_matches("a", "%"));
  EXPECT_FALSE(identity_matches("a", "%zz"));
}

TEST(Identity, RegisterUsesToOthersUseFrom) {
  EXPECT_EQ(identity_user_for("REGISTER", "from", "to"), "to");
  EXPECT_EQ(identity_user_for("INVITE", "from", "to"), "from");
  EXPECT_EQ(identity_user_for("MESSAGE", "from", "to"), "from");
}

}  // namespace
}  // namespace sipwire::auth
