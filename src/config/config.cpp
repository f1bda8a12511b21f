// Loading: read the file, parse the TOML, read it against the schema, validate, complete.
#include "sipwire/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>

#include <toml++/toml.h>

#include "config_schema.h"
#include "config_validation.h"
#include "diagnostics.h"

namespace sipwire {

namespace {

using config_internal::Diagnostics;
using config_internal::KeyPositions;
using config_internal::position_of;

constexpr unsigned kMaxWorkers = 256;  // as config_schema bounds `workers`

// What the file leaves to sipwire: the worker count for "one per CPU", and the listen
// addresses (and the hosts they advertise) as our domains (a request to sip:alice@192.0.2.1
// is for us when we listen there).
void complete(Config& config) {
  if (config.workers == 0) {
    // hardware_concurrency() may answer 0 when it cannot tell; one worker always works.
    config.workers = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxWorkers);
  }
  // A wildcard is no address a request names; the advertised host is one.
  auto add = [&config](std::string host) {
    if (std::find(config.domains.begin(), config.domains.end(), host) == config.domains.end())
      config.domains.push_back(std::move(host));
  };
  for (const ListenConfig& listen : config.listen) {
    if (!listen.address.is_unspecified()) add(listen.address.ip_string());
    if (!listen.advertise.empty()) add(listen.advertise);
  }
}

ConfigResult failure(ConfigError error) {
  return ConfigResult{std::nullopt, std::move(error)};
}

}  // namespace

std::string_view to_string(IoBackend backend) {
  switch (backend) {
    case IoBackend::kSocket:
      return "socket";
    case IoBackend::kDpdk:
      return "dpdk";
  }
  return "?";
}

std::optional<IoBackend> parse_io_backend(std::string_view text) {
  for (const IoBackend backend : {IoBackend::kSocket, IoBackend::kDpdk})
    if (text == to_string(backend)) return backend;
  return std::nullopt;
}

std::string ConfigError::to_string() const {
  // Appends rather than `":" + std::to_string(...)`: g++ 12 warns falsely (-Wrestrict, GCC bug
  // 105651) on a literal plus a temporary string at -O3.
  std::string out = file;
  if (line != 0) {
    out.append(":").append(std::to_string(line));
    if (column != 0) out.append(":").append(std::to_string(column));
  }
  return out.append(": ").append(message);
}

ConfigResult parse_config(std::string_view toml_text, std::string_view source_name) {
  Diagnostics diag(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    // toml++ is built with exceptions (Debian's library exports only that ABI); they stop here.
    diag.fail(position_of(e.source()), "TOML syntax error: " + std::string(e.description()));
    return failure(diag.error());
  }

  Config config;
  KeyPositions positions;
  config_internal::read_config(root, config, diag, positions);
  // Relations are checked only between values that are each valid.
  if (!diag.failed()) config_internal::validate_config(config, positions, diag);
  if (diag.failed()) return failure(diag.error());

  complete(config);
  config.source = source_name;
  return ConfigResult{std::move(config), {}};
}

ConfigResult load_config_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int err = errno;
    return failure({path, 0, 0, "cannot open: " + std::generic_category().message(err)});
  }
  std::string text;
  char buffer[16384];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  // A directory opens but fails to read (EISDIR): an error, not an empty config.
  const bool read_failed = std::ferror(file) != 0;
  const int err = errno;
  std::fclose(file);
  if (read_failed)
    return failure({path, 0, 0, "cannot read: " + std::generic_category().message(err)});
  return parse_config(text, path);
}

}  // namespace sipwire
