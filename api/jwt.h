// Bearer tokens: JWT signed with HS256 (SPEC section 9). Verification
// accepts only HS256, compares signatures in constant time, and requires
// `sub`, `exp` in the future and `aud` "parley".
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace parley::api {

inline constexpr std::string_view kAudience = "parley";

struct Claims {
  std::string subject;          // the user id
  std::string firm;             // empty for a platform token
  bool platform_admin = false;  // may call every /v1/admin/ route
  Micros expires = 0;
};

// The claims of a valid token; kUnauthenticated otherwise.
Result<Claims> VerifyJwt(std::string_view token, std::string_view secret, Micros now);

// base64url without padding (RFC 7515).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Signs `claims` (which should hold sub, exp and aud) with HS256. For the
// demo loader and tests; Parley itself never issues user tokens.
std::string SignJwt(const boost::json::object& claims, std::string_view secret);

}  // namespace parley::api
