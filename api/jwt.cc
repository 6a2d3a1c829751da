#include "api/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <optional>

namespace parley::api {

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string b64(text);
  for (char& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;  // not base64url
  }
  const std::size_t padding = (4 - b64.size() % 4) % 4;
  b64.append(padding, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);  // EVP_DecodeBlock counts padding as zero bytes
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

std::optional<boost::json::object> ParseObject(std::string_view part) {
  auto text = Base64UrlDecode(part);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value.as_object();
}

bool HasAudience(const boost::json::value* aud) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->as_string() == kAudience;
  if (!aud->is_array()) return false;
  for (const auto& v : aud->as_array()) {
    if (v.is_string() && v.as_string() == kAudience) return true;
  }
  return false;
}

// A NumericDate (seconds since the epoch) as microseconds.
std::optional<Micros> NumericDate(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64() * 1'000'000;
  if (v->is_uint64() && v->as_uint64() < (1ull << 40)) return static_cast<Micros>(v->as_uint64()) * 1'000'000;
  if (v->is_double()) return static_cast<Micros>(v->as_double() * 1e6);
  return std::nullopt;
}

}  // namespace

Result<Claims> VerifyJwt(std::string_view token, std::string_view secret, Micros now) {
  const Error invalid = Error::Unauthenticated("The bearer token is not valid.");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return invalid;

  auto header = ParseObject(token.substr(0, first));
  if (!header) return invalid;
  // Only HS256: "none" and every other algorithm are refused outright.
  const auto* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") return invalid;

  // Compared as text, so that only the one canonical encoding passes.
  const std::string_view signature = token.substr(second + 1);
  const std::string expected = Base64UrlEncode(HmacSha256(secret, token.substr(0, second)));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return invalid;
  }

  auto payload = ParseObject(token.substr(first + 1, second - first - 1));
  if (!payload) return invalid;
  Claims claims;
  const auto* sub = payload->if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->as_string().empty()) return invalid;
  claims.subject = sub->as_string();
  auto exp = NumericDate(payload->if_contains("exp"));
  if (!exp) return invalid;
  if (*exp <= now) return Error::Unauthenticated("The bearer token has expired.");
  if (auto nbf = NumericDate(payload->if_contains("nbf")); nbf && *nbf > now) return invalid;
  if (!HasAudience(payload->if_contains("aud"))) return invalid;
  claims.expires = *exp;
  if (const auto* firm = payload->if_contains("firm")) {
    if (!firm->is_string()) return invalid;
    claims.firm = firm->as_string();
  }
  if (const auto* admin = payload->if_contains("platform_admin")) {
    claims.platform_admin = admin->is_bool() && admin->as_bool();
  }
  if (claims.firm.empty() && !claims.platform_admin) return invalid;
  return claims;
}

Result<Claims> VerifiedTokens::Verify(std::string_view token, std::string_view secret, Micros now) {
  {
    std::lock_guard lock(mu_);
    auto it = claims_.find(std::string(token));
    if (it != claims_.end()) {
      if (it->second.expires > now) return it->second;
      claims_.erase(it);
      return Error::Unauthenticated("The bearer token has expired.");
    }
  }
  auto claims = VerifyJwt(token, secret, now);
  if (!claims.ok()) return claims;
  std::lock_guard lock(mu_);
  if (claims_.size() >= capacity_) claims_.clear();
  claims_.emplace(std::string(token), *claims);
  return claims;
}

std::string SignJwt(const boost::json::object& claims, std::string_view secret) {
  std::string signing_input = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                              Base64UrlEncode(boost::json::serialize(claims));
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

}  // namespace parley::api
