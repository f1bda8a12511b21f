// Parses one benchmark message N times: the program callgrind measures for instructions per
// message (bench/instructions_per_message.sh runs it at two N and takes the difference, so
// start-up cost cancels out).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench_messages.h"
#include "peer_parsers.h"
#include "sipwire/message.h"
#include "sipwire/validate.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: parse_loop sipwire|sofia|osip MESSAGE ITERATIONS\n");
    return 2;
  }
  const std::string parser = argv[1], name = argv[2];
  const long n = std::atol(argv[3]);
  std::string_view msg;
  for (const auto& m : sipwire::bench::kAllMessages)
    if (m.name == name) msg = m.bytes;
  if (msg.empty()) {
    std::fprintf(stderr, "parse_loop: no message named %s\n", name.c_str());
    return 2;
  }
  sipwire::bench::peer_parsers_init();
  auto m = std::make_unique<sipwire::Message>();
  long ok = 0;
  for (long i = 0; i < n; ++i) {
    if (parser == "sipwire") {
      sipwire::ParseError e = sipwire::parse_message(msg, *m);
      if (!e) e = sipwire::check_max_forwards(*m);
      ok += e.ok();
    } else if (parser == "sofia") {
      ok += sipwire::bench::sofia_parse(msg);
    } else {
      ok += sipwire::bench::osip_parse(msg);
    }
  }
  return ok == n ? 0 : 1;
}
