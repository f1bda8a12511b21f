// RFC 7616 §3.9.1 (with erratum 4495: the password is "Circle of Life", lower-case "of"):
// the same request answered with MD5 and with SHA-256.
#pragma once

#include <string_view>

namespace rfc7616 {

inline constexpr std::string_view kUser = "Mufasa";
inline constexpr std::string_view kPassword = "Circle of Life";
inline constexpr std::string_view kRealm = "http-auth@example.org";
inline constexpr std::string_view kMethod = "GET";
inline constexpr std::string_view kUri = "/dir/index.html";
inline constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
inline constexpr std::string_view kOpaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
inline constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
inline constexpr std::string_view kNc = "00000001";
inline constexpr std::string_view kResponseMd5 = "8ca523f5e9506fed4657c9700eebdbec";
inline constexpr std::string_view kResponseSha256 =
    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";

// The Authorization header values of the example (folded onto one line).
inline constexpr std::string_view kAuthorizationMd5 =
    "Digest username=\"Mufasa\",\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    uri=\"/dir/index.html\",\r\n"
    "    algorithm=MD5,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    nc=00000001,\r\n"
    "    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "    qop=auth,\r\n"
    "    response=\"8ca523f5e9506fed4657c9700eebdbec\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
inline constexpr std::string_view kAuthorizationSha256 =
    "Digest username=\"Mufasa\",\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    uri=\"/dir/index.html\",\r\n"
    "    algorithm=SHA-256,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    nc=00000001,\r\n"
    "    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "    qop=auth,\r\n"
    "    response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

}  // namespace rfc7616
