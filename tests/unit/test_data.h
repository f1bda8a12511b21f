// Reads the byte-exact test messages under tests/data/ (path from the build: SIPWIRE_TEST_DATA).
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace sipwire::testing {

inline std::string read_test_file(const std::string& relative) {
  const std::string path = std::string(SIPWIRE_TEST_DATA) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every torture message (RFC 4475 and RFC 5118), in a stable order.
inline std::vector<std::filesystem::path> torture_files() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"rfc4475", "rfc5118"})
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(SIPWIRE_TEST_DATA) / dir))
      if (entry.path().extension() == ".dat") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace sipwire::testing
