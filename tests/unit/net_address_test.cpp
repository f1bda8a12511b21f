// NetAddress::parse reads IPv4 by hand (it runs on every forward): it must accept and reject
// exactly what inet_pton does, and read the same bytes.
#include "sipwire/net_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

namespace sipwire {
namespace {

TEST(NetAddressParse, Ipv4AgreesWithInetPton) {
  const char* cases[] = {"0.0.0.0",  "127.0.0.1",   "255.255.255.255", "10.99.0.2",  "256.0.0.1",
                         "1.2.3",    "1.2.3.4.5",   "01.2.3.4",        "1.2.3.04",   "1..2.3",
                         ".1.2.3",   "1.2.3.",      "1.2.3.4 ",        " 1.2.3.4",   "1.2.3.-4",
                         "a.b.c.d",  "1.2.3.4a",    "999.1.1.1",       "1.2.3.1000", "",
                         "0.0.0.00", "192.0.2.255", "1.2.3.4:5060",    "example.com"};
  for (const char* text : cases) {
    std::array<uint8_t, 4> expected{};
    const bool valid = inet_pton(AF_INET, text, expected.data()) == 1;
    const std::optional<NetAddress> parsed = NetAddress::parse(text, 5060);
    const bool parsed_v4 = parsed && parsed->family == NetAddress::Family::kIpv4;
    EXPECT_EQ(parsed_v4, valid) << '"' << text << '"';
    if (valid && parsed_v4) {
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(), parsed->ip.begin())) << text;
      EXPECT_EQ(parsed->port, 5060);
    }
  }
}

TEST(NetAddressParse, EveryOctetSpellingAgreesWithInetPton) {
  // Each octet position holding every number of up to four digits, with and without leading
  // zeros ("7", "07", "007", "0007", ..., "9999").
  for (std::size_t at = 0; at < 4; ++at) {
    for (unsigned v = 0; v < 10000; ++v) {
      for (int width = 1; width <= 4; ++width) {
        std::string octet = std::to_string(v);
        if (octet.size() > static_cast<std::size_t>(width)) continue;
        octet.insert(0, static_cast<std::size_t>(width) - octet.size(), '0');
        std::string parts[4] = {"10", "0", "200", "7"};
        parts[at] = octet;
        std::string text = parts[0];
        for (std::size_t k = 1; k < 4; ++k) text.append(".").append(parts[k]);
        std::array<uint8_t, 4> expected{};
        const bool valid = inet_pton(AF_INET, text.c_str(), expected.data()) == 1;
        const std::optional<NetAddress> parsed = NetAddress::parse(text, 5060);
        ASSERT_EQ(parsed.has_value(), valid) << text;
        if (valid) {
          EXPECT_EQ(parsed->family, NetAddress::Family::kIpv4) << text;
          EXPECT_TRUE(std::equal(expected.begin(), expected.end(), parsed->ip.begin())) << text;
        }
      }
    }
  }
}

TEST(NetAddressText, Ipv4IsWrittenAsInetNtopWritesIt) {
  // Every octet value in every position, and the widest address (16 bytes with its NUL).
  for (unsigned v = 0; v < 256; ++v) {
    for (std::size_t at = 0; at < 4; ++at) {
      std::array<uint8_t, 4> ip = {10, 0, 200, 7};
      ip[at] = static_cast<uint8_t>(v);
      const NetAddress a = NetAddress::ipv4(ip[0], ip[1], ip[2], ip[3], 5060);
      char expected[INET_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET, ip.data(), expected, sizeof expected), nullptr);
      char out[46];
      const std::size_t n = a.write_ip(out);
      EXPECT_EQ(std::string(out, n), expected);
      EXPECT_EQ(out[n], '\0');
      EXPECT_EQ(a.to_string(), std::string(expected) + ":5060");
    }
  }
  EXPECT_EQ(NetAddress::ipv4(255, 255, 255, 255, 1).ip_string(), "255.255.255.255");
}

TEST(NetAddressParse, Ipv6LiteralsWithOrWithoutBrackets) {
  const auto a = NetAddress::parse("[2001:db8::1]", 5061);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, NetAddress::Family::kIpv6);
  EXPECT_EQ(a->ip[0], 0x20);
  EXPECT_EQ(a->ip[15], 1);
  EXPECT_EQ(a->port, 5061);
  EXPECT_TRUE(NetAddress::parse("::ffff:1.2.3.4", 1));
  EXPECT_FALSE(NetAddress::parse("2001:db8::g", 1));
  EXPECT_FALSE(NetAddress::parse("[]", 1));
  EXPECT_FALSE(NetAddress::parse("bob.example.com", 1));
}

}  // namespace
}  // namespace sipwire

namespace sipwire {
namespace {

// What a phone behind a NAT writes in its Contact, and what a host elsewhere can reach.
TEST(NetAddressPrivate, PrivateSharedLinkLocalUniqueLocalAndLoopbackAreSo) {
  for (const char* ip : {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254",
                         "192.168.1.10", "100.64.0.1", "100.127.255.254", "169.254.3.4",
                         "127.0.0.1", "fd00::1", "fc00::5", "fe80::1", "febf::1", "::1"}) {
    const auto a = NetAddress::parse(ip, 5060);
    ASSERT_TRUE(a.has_value()) << ip;
    EXPECT_TRUE(a->is_private()) << ip;
  }
  for (const char* ip :
       {"9.255.255.255", "11.0.0.1", "172.15.255.255", "172.32.0.1", "192.167.1.1", "192.169.0.1",
        "100.63.255.255", "100.128.0.1", "169.253.0.1", "192.0.2.10", "203.0.113.5", "8.8.8.8",
        "2001:db8::1", "fec0::1", "fbff::1", "::2", "::"}) {
    const auto a = NetAddress::parse(ip, 5060);
    ASSERT_TRUE(a.has_value()) << ip;
    EXPECT_FALSE(a->is_private()) << ip;
  }
  EXPECT_FALSE(NetAddress{}.is_private());
}

}  // namespace
}  // namespace sipwire
