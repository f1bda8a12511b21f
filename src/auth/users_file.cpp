#include "sipwire/auth/users_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

namespace sipwire::auth {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Splits a line into at most 5 blank-separated fields; returns how many there were (5 means
// "more than 4").
std::size_t split_fields(std::string_view line, std::string_view (&fields)[5]) {
  std::size_t n = 0, i = 0;
  while (i < line.size() && n < 5) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i == line.size()) break;
    std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    fields[n++] = line.substr(start, i - start);
  }
  return n;
}

// The line without its end of line (LF or CRLF) and without a comment-only form.
std::string_view strip_eol(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_comment_or_blank(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_blank(line[i])) ++i;
  return i == line.size() || line[i] == '#';
}

auto key_of(std::string_view user, std::string_view realm, Algorithm a) {
  return std::make_tuple(user, realm, static_cast<int>(a));
}

}  // namespace

struct UsersTableBuilder {
  static std::vector<UsersTable::Entry>& entries(UsersTable& t) { return t.entries_; }
};

const HexDigest* UsersTable::find(std::string_view username, std::string_view realm,
                                  Algorithm algorithm) const {
  auto key = key_of(username, realm, algorithm);
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), key,
      [](const Entry& e, const auto& k) { return key_of(e.username, e.realm, e.algorithm) < k; });
  if (it == entries_.end() || key_of(it->username, it->realm, it->algorithm) != key) {
    return nullptr;
  }
  return &it->ha1;
}

UsersLoad parse_users_file(std::string_view text, std::string_view name) {
  UsersLoad result;
  UsersTable table;
  auto& entries = UsersTableBuilder::entries(table);
  std::vector<uint32_t> lines;  // the line of each entry, for duplicate errors

  auto fail = [&](uint32_t line, std::string_view what) {
    result.error = std::string(name) + ":" + std::to_string(line) + ": " + std::string(what);
    return result;
  };

  uint32_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = strip_eol(text.substr(pos, end - pos));
    pos = end + 1;
    if (is_comment_or_blank(line)) continue;
    if (line.find('\0') != std::string_view::npos) return fail(line_no, "NUL byte in line");

    std::string_view f[5];
    std::size_t n = split_fields(line, f);
    if (n != 4) {
      return fail(line_no, "expected 4 fields: username realm algorithm HA1");
    }
    auto algorithm = algorithm_from_string(f[2]);
    if (!algorithm) return fail(line_no, "unknown algorithm (expected MD5 or SHA-256)");
    UsersTable::Entry e;
    e.username = std::string(f[0]);
    e.realm = std::string(f[1]);
    e.algorithm = *algorithm;
    std::string_view hex = f[3];
    if (hex.size() != hex_length(*algorithm)) {
      return fail(line_no, *algorithm == Algorithm::kMd5 ? "HA1 for MD5 must be 32 hex digits"
                                                         : "HA1 for SHA-256 must be 64 hex digits");
    }
    for (std::size_t i = 0; i < hex.size(); ++i) {
      char c = hex[i];
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return fail(line_no, "HA1 is not hexadecimal");
      }
      e.ha1.data[i] = c;
    }
    e.ha1.size = static_cast<uint8_t>(hex.size());
    entries.push_back(std::move(e));
    lines.push_back(line_no);
  }

  // Sort (keeping line numbers alongside) and refuse duplicates.
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key_at = [&](std::size_t i) {
    return key_of(entries[i].username, entries[i].realm, entries[i].algorithm);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key_at(a) < key_at(b); });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (key_at(order[i]) == key_at(order[i - 1])) {
      return fail(lines[order[i]],
                  "duplicate entry for this username, realm and algorithm (first at line " +
                      std::to_string(lines[order[i - 1]]) + ")");
    }
  }
  std::vector<UsersTable::Entry> sorted;
  sorted.reserve(entries.size());
  for (std::size_t i : order) sorted.push_back(std::move(entries[i]));
  entries = std::move(sorted);
  result.table = std::move(table);
  return result;
}

UsersLoad load_users_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    UsersLoad result;
    result.error = path + ": the users file is not a regular file";
    return result;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    UsersLoad result;
    result.error = path + ": cannot open the users file";
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    UsersLoad result;
    result.error = path + ": cannot read the users file";
    return result;
  }
  return parse_users_file(text.str(), path);
}

std::string set_user_in_users_file(std::string_view text, std::string_view username,
                                   std::string_view realm, const HexDigest& ha1_sha256,
                                   const HexDigest& ha1_md5) {
  std::string out;
  out.reserve(text.size() + 200);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view raw = text.substr(pos, next - pos);
    pos = next;
    std::string_view line = strip_eol(raw.back() == '\n' ? raw.substr(0, raw.size() - 1) : raw);
    if (!is_comment_or_blank(line)) {
      std::string_view f[5];
      if (split_fields(line, f) >= 2 && f[0] == username && f[1] == realm) continue;
    }
    out.append(raw);
    if (raw.back() != '\n') out.push_back('\n');
  }
  for (auto [a, ha1] :
       {std::pair{Algorithm::kSha256, &ha1_sha256}, std::pair{Algorithm::kMd5, &ha1_md5}}) {
    out.append(username).push_back(' ');
    out.append(realm).push_back(' ');
    out.append(to_string(a)).push_back(' ');
    out.append(ha1->view()).push_back('\n');
  }
  return out;
}

}  // namespace sipwire::auth
