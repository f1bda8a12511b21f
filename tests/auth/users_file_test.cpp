#include "sipwire/auth/users_file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "rfc7616_vectors.h"

namespace sipwire::auth {
namespace {

constexpr std::string_view kMd5Ha1 = "3d78807defe7de2157e2b0b6573a855f";

std::string sha256_ha1() {
  DigestHasher h;
  HexDigest d;
  EXPECT_TRUE(h.ha1(Algorithm::kSha256, rfc7616::kUser, rfc7616::kRealm, rfc7616::kPassword, d));
  return std::string(d.view());
}

TEST(UsersFile, LoadsAndFinds) {
  std::string text =
      "# users\n\n  # indented comment\n"
      "Mufasa http-auth@example.org MD5 3D78807DEFE7DE2157E2B0B6573A855F\r\n"
      "Mufasa\thttp-auth@example.org  SHA-256 " +
      sha256_ha1() +
      "\n"
      "bob example.com md5 00000000000000000000000000000000";  // no final LF
  UsersLoad load = parse_users_file(text, "users.txt");
  ASSERT_TRUE(load.table) << load.error;
  EXPECT_EQ(load.table->size(), 3u);
  const HexDigest* md5 = load.table->find("Mufasa", "http-auth@example.org", Algorithm::kMd5);
  ASSERT_NE(md5, nullptr);
  EXPECT_EQ(md5->view(), kMd5Ha1);  // stored lower-case
  const HexDigest* sha = load.table->find("Mufasa", "http-auth@example.org", Algorithm::kSha256);
  ASSERT_NE(sha, nullptr);
  EXPECT_EQ(sha->view(), sha256_ha1());
  EXPECT_NE(load.table->find("bob", "example.com", Algorithm::kMd5), nullptr);
  EXPECT_EQ(load.table->find("bob", "example.com", Algorithm::kSha256), nullptr);
  EXPECT_EQ(load.table->find("mufasa", "http-auth@example.org", Algorithm::kMd5), nullptr);
  EXPECT_EQ(load.table->find("Mufasa", "example.com", Algorithm::kMd5), nullptr);
  EXPECT_EQ(load.table->find("", "", Algorithm::kMd5), nullptr);
}

struct BadFile {
  const char* text;
  const char* error;  // the exact message expected
};

class UsersFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(UsersFileErrors, NameFileAndLineAndLoadNothing) {
  UsersLoad load = parse_users_file(GetParam().text, "users.txt");
  EXPECT_FALSE(load.table);
  EXPECT_EQ(load.error, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Lines, UsersFileErrors,
    ::testing::Values(
        BadFile{"# ok\nalice example.com MD5\n",
                "users.txt:2: expected 4 fields: username realm algorithm HA1"},
        BadFile{"alice example.com MD5 00000000000000000000000000000000 extra\n",
                "users.txt:1: expected 4 fields: username realm algorithm HA1"},
        BadFile{"\n\n\nalice example.com SHA-512 00000000000000000000000000000000\n",
                "users.txt:4: unknown algorithm (expected MD5 or SHA-256)"},
        BadFile{"alice example.com MD5 0000000000000000000000000000000\n",
                "users.txt:1: HA1 for MD5 must be 32 hex digits"},
        BadFile{"alice example.com SHA-256 00000000000000000000000000000000\n",
                "users.txt:1: HA1 for SHA-256 must be 64 hex digits"},
        BadFile{"alice example.com MD5 0000000000000000000000000000000g\n",
                "users.txt:1: HA1 is not hexadecimal"},
        BadFile{"alice example.com MD5 00000000000000000000000000000000\n"
                "bob example.com MD5 00000000000000000000000000000000\n"
                "alice example.com md5 11111111111111111111111111111111\n",
                "users.txt:3: duplicate entry for this username, realm and algorithm (first at "
                "line 1)"}));

TEST(UsersFile, MissingFileIsAnError) {
  UsersLoad load = load_users_file("/nonexistent/sipwire-users");
  EXPECT_FALSE(load.table);
  EXPECT_EQ(load.error, "/nonexistent/sipwire-users: cannot open the users file");
}

TEST(UsersFile, DirectoryIsAnErrorNotAnEmptyTable) {
  UsersLoad load = load_users_file("/");
  EXPECT_FALSE(load.table);
  EXPECT_EQ(load.error, "/: the users file is not a regular file");
}

TEST(UsersFile, SetUserReplacesOnlyThatUsersLinesOfThatRealm) {
  HexDigest sha, md5;
  std::string s(64, 'a'), m(32, 'b');
  std::copy(s.begin(), s.end(), sha.data);
  sha.size = 64;
  std::copy(m.begin(), m.end(), md5.data);
  md5.size = 32;
  std::string before =
      "# keep me\n"
      "alice example.com MD5 00000000000000000000000000000000\n"
      "alice example.org MD5 00000000000000000000000000000000\n"
      "alicia example.com MD5 00000000000000000000000000000000\n"
      "alice example.com SHA-256 " +
      std::string(64, '0') + "\n";
  std::string after = set_user_in_users_file(before, "alice", "example.com", sha, md5);
  EXPECT_EQ(after,
            "# keep me\n"
            "alice example.org MD5 00000000000000000000000000000000\n"
            "alicia example.com MD5 00000000000000000000000000000000\n"
            "alice example.com SHA-256 " +
                s +
                "\n"
                "alice example.com MD5 " +
                m + "\n");
  UsersLoad load = parse_users_file(after, "x");
  ASSERT_TRUE(load.table) << load.error;
  EXPECT_EQ(load.table->find("alice", "example.com", Algorithm::kMd5)->view(), m);
}

// The built tool, run as an operator runs it (meson passes its path).
class PasswdTool : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tool = std::getenv("SIPWIRE_PASSWD");
    if (tool == nullptr) GTEST_SKIP() << "SIPWIRE_PASSWD not set (run through meson test)";
    // The tool may refuse its arguments and exit before reading the password we write into
    // its stdin: that write must fail with EPIPE, not kill the test.
    std::signal(SIGPIPE, SIG_IGN);
    tool_ = tool;
    file_ = ::testing::TempDir() + "sipwire-users-" + std::to_string(getpid());
    std::remove(file_.c_str());
  }
  void TearDown() override {
    if (!file_.empty()) std::remove(file_.c_str());
  }
  int run(const std::string& user, const std::string& realm, const std::string& password) {
    std::string cmd = "'" + tool_ + "' --file '" + file_ + "' --realm '" + realm + "' --user '" +
                      user + "' --password-stdin 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "w");
    if (p == nullptr) return -1;
    std::fputs((password + "\n").c_str(), p);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string contents() {
    std::ifstream in(file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string tool_, file_;
};

TEST_F(PasswdTool, WritesHashesTheLoaderAcceptsAndNeverThePassword) {
  ASSERT_EQ(run("Mufasa", "http-auth@example.org", "Circle of Life"), 0);
  ASSERT_EQ(run("bob", "http-auth@example.org", "secret-bob"), 0);
  std::string text = contents();
  EXPECT_EQ(text.find("Circle of Life"), std::string::npos);
  EXPECT_EQ(text.find("secret-bob"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  UsersLoad load = load_users_file(file_);
  ASSERT_TRUE(load.table) << load.error;
  EXPECT_EQ(load.table->size(), 4u);
  const HexDigest* md5 = load.table->find("Mufasa", "http-auth@example.org", Algorithm::kMd5);
  ASSERT_NE(md5, nullptr);
  EXPECT_EQ(md5->view(), kMd5Ha1);
  const HexDigest* sha = load.table->find("Mufasa", "http-auth@example.org", Algorithm::kSha256);
  ASSERT_NE(sha, nullptr);
  EXPECT_EQ(sha->view(), sha256_ha1());

  // Changing the password replaces the user's lines instead of adding more.
  ASSERT_EQ(run("Mufasa", "http-auth@example.org", "new password"), 0);
  load = load_users_file(file_);
  ASSERT_TRUE(load.table) << load.error;
  EXPECT_EQ(load.table->size(), 4u);
  EXPECT_NE(load.table->find("Mufasa", "http-auth@example.org", Algorithm::kMd5)->view(), kMd5Ha1);
}

TEST_F(PasswdTool, RefusesBadInputAndBrokenFiles) {
  EXPECT_NE(run("bad user", "example.com", "pw"), 0);
  EXPECT_NE(run("#alice", "example.com", "pw"), 0);
  EXPECT_NE(run("alice", "example.com", ""), 0);
  {
    std::ofstream out(file_);
    out << "alice example.com MD5 nothex\n";
  }
  EXPECT_NE(run("bob", "example.com", "pw"), 0);
  EXPECT_EQ(contents(), "alice example.com MD5 nothex\n");  // left unchanged
}

}  // namespace
}  // namespace sipwire::auth
