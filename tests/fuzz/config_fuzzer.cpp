// libFuzzer target: the configuration file, as an operator might write it (or mistype it).
// Beyond "no crash, no exception out of the library, no sanitizer report" it checks what the
// operator is promised: a configuration that does not load says so in one message that names
// the file, and one that loads has its server policy prepared by the gate's factory, which
// answers an error as a value too. (The users file is left unset, so the fuzzer reads no file.)
// Seeds: the shipped configurations (tools/test.sh's fuzz step gives it configs/*.toml).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "policy_gate.h"
#include "sipwire/config.h"

namespace {
[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipwire;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ConfigResult r = parse_config(text, "fuzz.toml");
  if (!r.ok()) {
    const std::string shown = r.error.to_string();
    if (r.error.file != "fuzz.toml" || r.error.message.empty() || !shown.starts_with("fuzz.toml:"))
      fail("an error that does not name the file", shown);
    return 0;
  }
  Config config = *r.config;
  config.auth.users_file.clear();
  const gate::GateSharedResult prepared = gate::make_gate_shared(config);
  if (!prepared.ok() && prepared.error.empty()) fail("a policy refused without a word", "");
  return 0;
}
