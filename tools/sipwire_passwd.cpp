// sipwire-passwd: sets a user's entries in a sipwire users file (include/sipwire/auth/
// users_file.h). Reads the password from standard input (one line; not echoed on a terminal),
// computes HA1 = H(user:realm:password) for SHA-256 and MD5 with the same code the proxy uses,
// and replaces that user's lines for the realm. The password itself is never written.
//
//   sipwire-passwd --file users.txt --realm example.com --user alice [--password-stdin]
//
// The file is rewritten atomically (a temporary file in the same folder, then rename), mode
// 0600, and refused when it does not load as it is.
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <openssl/crypto.h>

#include "sipwire/auth/digest_hash.h"
#include "sipwire/auth/users_file.h"

namespace {

using namespace sipwire::auth;

bool valid_field(const std::string& s) {
  if (s.empty() || s[0] == '#') return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// One line from stdin, without its end of line. No echo when stdin is a terminal.
bool read_password(std::string& out) {
  bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::fputs("Password: ", stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool got = static_cast<bool>(std::getline(std::cin, out));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputs("\n", stderr);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return got || !out.empty();
}

bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = tmp + ": " + std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    error = tmp + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Set a user's HA1 entries (SHA-256 and MD5) in a sipwire users file"};
  std::string file, realm, user;
  bool password_stdin = false;
  app.add_option("--file", file, "users file (created when missing)")->required();
  app.add_option("--realm", realm, "Digest realm (the domain)")->required();
  app.add_option("--user", user, "username")->required();
  app.add_flag("--password-stdin", password_stdin,
               "read the password from standard input (the default; for scripts)");
  CLI11_PARSE(app, argc, argv);

  if (!valid_field(user) || !valid_field(realm)) {
    std::cerr << "sipwire-passwd: user and realm must be non-empty, without spaces or control "
                 "characters, and not start with '#'\n";
    return 2;
  }

  std::string existing;
  {
    std::ifstream in(file, std::ios::binary);
    if (in) {
      std::ostringstream s;
      s << in.rdbuf();
      existing = s.str();
      UsersLoad check = parse_users_file(existing, file);
      if (!check.table) {
        std::cerr << "sipwire-passwd: " << check.error << " (file left unchanged)\n";
        return 1;
      }
    }
  }

  std::string password;
  if (!read_password(password) || password.empty()) {
    std::cerr << "sipwire-passwd: no password on standard input\n";
    return 2;
  }

  DigestHasher hasher;
  HexDigest sha256, md5;
  bool hashed = hasher.ha1(Algorithm::kSha256, user, realm, password, sha256) &&
                hasher.ha1(Algorithm::kMd5, user, realm, password, md5);
  OPENSSL_cleanse(password.data(), password.size());
  if (!hashed) {
    std::cerr << "sipwire-passwd: OpenSSL could not compute the hashes\n";
    return 1;
  }

  std::string text = set_user_in_users_file(existing, user, realm, sha256, md5);
  UsersLoad check = parse_users_file(text, file);
  if (!check.table) {
    std::cerr << "sipwire-passwd: internal error, result does not load: " << check.error << "\n";
    return 1;
  }
  std::string error;
  if (!write_atomically(file, text, error)) {
    std::cerr << "sipwire-passwd: " << error << "\n";
    return 1;
  }
  return 0;
}
