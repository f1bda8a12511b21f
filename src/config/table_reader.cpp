#include "table_reader.h"

#include <algorithm>
#include <vector>

namespace sipwire::config_internal {

namespace {

// Levenshtein distance, for "did you mean": config keys are short, so the quadratic table is
// a few hundred cells at most.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view key, std::initializer_list<std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3;  // farther than 2 edits is a different word, not a typo
  for (std::string_view k : known) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  if (!best.empty()) return "; did you mean '" + std::string(best) + "'?";
  std::string list;
  for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  return " (known keys: " + list + ")";
}

}  // namespace

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string literal_of(const toml::node& node) {
  if (const auto* s = node.as_string()) return "\"" + s->get() + "\"";
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  return "";
}

TableReader::TableReader(const toml::table& table, std::string path, std::string header,
                         Diagnostics& diag, KeyPositions& positions)
    : table_(table),
      path_(std::move(path)),
      header_(std::move(header)),
      diag_(diag),
      positions_(positions) {
  if (!path_.empty()) positions_.record(path_, position());
}

void TableReader::only_keys(std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : table_) {
    const std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string what;
    if (node.is_table()) {
      what = "unknown table [" + key_path(name) + "]";
    } else if (node.is_array_of_tables()) {
      what = "unknown table [[" + key_path(name) + "]]";
    } else {
      what = "unknown key '" + std::string(name) + "' " +
             (header_.empty() ? std::string("at the top level") : "in " + header_);
    }
    diag_.fail(position_of(key.source()), what + suggestion(name, known));
  }
}

const toml::node* TableReader::find(std::string_view key) {
  const auto it = table_.find(key);
  if (it == table_.end()) return nullptr;
  positions_.record(key_path(key), position_of(it->second.source()));
  return &it->second;
}

void TableReader::wrong_type(std::string_view key, const toml::node& node,
                             std::string_view expected) {
  std::string message = key_path(key) + " must be " + std::string(expected) + ", not " +
                        std::string(type_name(node.type()));
  const std::string literal = literal_of(node);
  if (!literal.empty()) message += " (" + literal + ")";
  diag_.fail(position_of(node.source()), std::move(message));
}

bool TableReader::read_uint(std::string_view key, int64_t min, int64_t max, uint32_t& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const auto* integer = node->as_integer();
  if (integer == nullptr) {
    wrong_type(key, *node, "an integer");
    return false;
  }
  const int64_t value = integer->get();
  if (value < min || value > max) {
    diag_.fail(position_of(node->source()), key_path(key) + " (" + std::to_string(value) +
                                                ") must be between " + std::to_string(min) +
                                                " and " + std::to_string(max));
    return false;
  }
  out = static_cast<uint32_t>(value);
  return true;
}

bool TableReader::read_bool(std::string_view key, bool& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const auto* boolean = node->as_boolean();
  if (boolean == nullptr) {
    wrong_type(key, *node, "a boolean (true or false)");
    return false;
  }
  out = boolean->get();
  return true;
}

bool TableReader::read_string(std::string_view key, std::string& out) {
  const toml::node* node = find(key);
  if (node == nullptr) return false;
  const auto* string = node->as_string();
  if (string == nullptr) {
    wrong_type(key, *node, "a string");
    return false;
  }
  out = string->get();
  return true;
}

bool TableReader::read_choice(std::string_view key, std::initializer_list<std::string_view> choices,
                              std::size_t& out) {
  std::string value;
  if (!read_string(key, value)) return false;
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const std::string_view choice = choices.begin()[i];
    if (value == choice) {
      out = i;
      return true;
    }
    list += (i == 0 ? "\"" : ", \"") + std::string(choice) + "\"";
  }
  diag_.fail(position_of(table_.at(key).source()),
             key_path(key) + " \"" + value + "\" is not one of " + list);
  return false;
}

void TableReader::require(std::string_view key) {
  if (table_.contains(key)) return;
  diag_.fail(position(), key_path(key) + " is required in " + header_);
}

std::string TableReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

}  // namespace sipwire::config_internal
