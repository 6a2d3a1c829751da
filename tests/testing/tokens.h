// Bearer tokens for end-to-end tests, signed with the test servers' secret.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "api/jwt.h"
#include "tests/testing/parleyd_process.h"

namespace parley::testing {

inline std::int64_t InAnHour() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count() + 3600;
}

inline std::string Token(boost::json::object claims, std::string_view secret = kTestJwtSecret) {
  if (!claims.contains("aud")) claims["aud"] = "parley";
  if (!claims.contains("exp")) claims["exp"] = InAnHour();
  return api::SignJwt(claims, secret);
}

inline std::string PlatformToken() {
  return Token({{"sub", "ops"}, {"platform_admin", true}});
}

inline std::string UserToken(const std::string& user, const std::string& firm) {
  return Token({{"sub", user}, {"firm", firm}});
}

inline std::map<std::string, std::string> Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace parley::testing
