// How one string pattern of a [[rule]] becomes one Hyperscan expression over the policy's
// per-message subject. Shared by the config reader (which compiles each regex alone, to report
// a pattern Hyperscan refuses at its file:line:column) and the policy compiler (which compiles
// all of them into one database), so both accept exactly the same patterns.
//
// The subject (src/policy/policy.cpp builds it) holds every field the rules look at as two
// lines: a tag line "\x01<n>" naming field n, then the field's value, each ended by "\n":
//
//   \x01 0 \n sip \n \x01 1 \n alice \n \x01 2 \n example.com \n \x01 7 \n friendly-scanner \n
//
// Values never contain "\n" or "\x01" (they are replaced by spaces when copied). Every
// expression starts "^\x01<n>\n", so it can match only in field n's value, and expressions
// are compiled with HS_FLAG_MULTILINE, so "$" matches just before a "\n": in an operator's
// regex it means the end of the field's value, because the value is a line of its own.
// Hyperscan refuses a "^" after anything that consumes input ("embedded start anchors"), so
// an operator's "^" is taken out of the regex: a regex starting "^" follows the tag line
// directly (anchored at the value's start), any other regex follows "[^\n]*?" (a search
// within the value). Only a leading "^" is supported, and not with a top-level "|" ("^a|b"
// would lose its meaning): the config reader reports both. HS_FLAG_SINGLEMATCH reports each
// expression at most once per scan: a match is the fact that the predicate holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipwire/config.h"

namespace sipwire::policy {

inline constexpr char kTagByte = '\x01';

// The expression matching pattern `kind`/`text` in the value of subject field `tag`.
inline std::string field_expression(uint32_t tag, PatternKind kind, std::string_view text) {
  std::string e = "^\\x01" + std::to_string(tag) + "\\n";
  if (kind == PatternKind::kRegex) {
    if (!text.empty() && text.front() == '^') {
      e.append("(?:").append(text.substr(1)).append(")");
    } else {
      e.append("[^\\n]*?(?:").append(text).append(")");
    }
    return e;
  }
  // A literal: every byte written as \xHH, so no byte of it is syntax.
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    e.append("\\x").push_back(kHex[b >> 4]);
    e.push_back(kHex[b & 15]);
  }
  if (kind == PatternKind::kExact) e.append("$");
  return e;
}

// Whether `regex` has a "|" outside every group, class and escape ("^a|b"): then its leading
// "^" belongs to the first alternative only and cannot be taken out of it.
inline bool has_top_level_alternation(std::string_view regex) {
  int depth = 0;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\') {
      if (i + 1 < regex.size() && regex[i + 1] == 'Q') {  // \Q...\E quotes
        const std::size_t end = regex.find("\\E", i + 2);
        if (end == std::string_view::npos) return false;
        i = end + 1;
      } else {
        ++i;
      }
    } else if (c == '[') {  // a class: "]" first (after an optional "^") is a member
      std::size_t j = i + 1;
      if (j < regex.size() && regex[j] == '^') ++j;
      if (j < regex.size() && regex[j] == ']') ++j;
      for (; j < regex.size() && regex[j] != ']'; ++j)
        if (regex[j] == '\\') ++j;
      i = j;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return true;
    }
  }
  return false;
}

// Hosts and schemes compare case-insensitively (RFC 3261 §19.1.4); users and regexes as
// written (a regex may say "(?i)").
inline bool field_is_caseless(RuleField field, PatternKind kind) {
  return kind != PatternKind::kRegex &&
         (field == RuleField::kRuriScheme || field == RuleField::kRuriHost);
}

}  // namespace sipwire::policy
