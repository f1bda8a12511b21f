// Reads the byte-exact test messages under tests/data/ (path from the build: SIPWIRE_TEST_DATA).
#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace sipwire::testing {

inline std::string read_test_file(const std::string& relative) {
  const std::string path = std::string(SIPWIRE_TEST_DATA) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sipwire::testing
