// An Outbox for the gate's tests: scratch space that stays valid for the test's lifetime, and
// a count of sends (the gate must never send).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sipwire/engine/outbox.h"

namespace sipwire::gate::testing {

class FakeOutbox : public Outbox {
 public:
  char* scratch(std::size_t bytes) override {
    if (exhausted) return nullptr;
    arenas_.push_back(std::make_unique<char[]>(bytes));
    return arenas_.back().get();
  }
  bool send_from(const NetAddress&, const NetAddress&, std::span<const std::string_view>) override {
    ++sends;
    return true;
  }

  bool exhausted = false;  // scratch() answers nullptr
  int sends = 0;

 private:
  std::vector<std::unique_ptr<char[]>> arenas_;
};

}  // namespace sipwire::gate::testing
