// Bearer tokens: JWT signed with HS256 (SPEC section 9). Verification
// accepts only HS256, compares signatures in constant time, and requires
// `sub`, `exp` in the future and `aud` "parley".
#pragma once

#include <boost/json/object.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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

// Tokens already verified, so that a client's every request does not pay
// for the HMAC and the claims' JSON again: the same token string under the
// same secret verifies the same way, and `exp` is checked on every use.
// One cache per secret (a server has one).
// Thread-safe; bounded (forgets everything when full).
class VerifiedTokens {
 public:
  explicit VerifiedTokens(std::size_t capacity = 10'000) : capacity_(capacity) {}
  Result<Claims> Verify(std::string_view token, std::string_view secret, Micros now);

 private:
  std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Claims> claims_;  // guarded by mu_
};

// HMAC-SHA256 of `data` under `key` (32 raw bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
// Compares secrets without leaking where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// base64url without padding (RFC 7515).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Signs `claims` (which should hold sub, exp and aud) with HS256. For the
// demo loader and tests; Parley itself never issues user tokens.
std::string SignJwt(const boost::json::object& claims, std::string_view secret);

}  // namespace parley::api
