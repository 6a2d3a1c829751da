// Bearer token verification: only valid HS256 tokens for "parley" pass.
#include "api/jwt.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace parley::api {
namespace {

constexpr std::string_view kSecret = "test-secret-of-some-length";
constexpr Micros kNow = 1'790'000'000'000'000;
constexpr std::int64_t kNowSeconds = kNow / 1'000'000;

boost::json::object GoodClaims() {
  return {{"sub", "u-cmc"}, {"firm", "f1"}, {"aud", "parley"}, {"exp", kNowSeconds + 3600}};
}

// A token with any header and payload, signed with `secret` (or not at all).
std::string Forge(std::string_view header, const boost::json::object& claims, std::string_view secret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(boost::json::serialize(claims));
  if (secret.empty()) return input + ".";
  std::string signed_token = SignJwt(claims, secret);  // reuse HS256 only for the signature part
  return input + signed_token.substr(signed_token.rfind('.'));
}

void ExpectRefused(const std::string& token) {
  auto r = VerifyJwt(token, kSecret, kNow);
  ASSERT_FALSE(r.ok()) << token;
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST(JwtTest, AcceptsAValidToken) {
  auto r = VerifyJwt(SignJwt(GoodClaims(), kSecret), kSecret, kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subject, "u-cmc");
  EXPECT_EQ(r->firm, "f1");
  EXPECT_FALSE(r->platform_admin);
  EXPECT_EQ(r->expires, (kNowSeconds + 3600) * 1'000'000);
}

TEST(JwtTest, AcceptsAPlatformTokenAndAnAudienceList) {
  boost::json::object claims{
      {"sub", "ops"}, {"platform_admin", true}, {"aud", {"other", "parley"}}, {"exp", kNowSeconds + 60}};
  auto r = VerifyJwt(SignJwt(claims, kSecret), kSecret, kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->platform_admin);
  EXPECT_TRUE(r->firm.empty());
}

TEST(JwtTest, RefusesAnotherSecretOrATamperedPayload) {
  ExpectRefused(SignJwt(GoodClaims(), "another-secret"));
  std::string token = SignJwt(GoodClaims(), kSecret);
  auto tampered = GoodClaims();
  tampered["sub"] = "u-ec";
  std::string other = SignJwt(tampered, kSecret);
  // Header and signature of one token around the payload of another.
  std::string spliced = token.substr(0, token.find('.') + 1) +
                        other.substr(other.find('.') + 1, other.rfind('.') - other.find('.') - 1) +
                        token.substr(token.rfind('.'));
  ExpectRefused(spliced);
}

TEST(JwtTest, RefusesAlgNoneAndEveryOtherAlgorithm) {
  ExpectRefused(Forge(R"({"alg":"none","typ":"JWT"})", GoodClaims(), ""));
  ExpectRefused(Forge(R"({"alg":"none"})", GoodClaims(), kSecret));
  ExpectRefused(Forge(R"({"alg":"HS512"})", GoodClaims(), kSecret));
  ExpectRefused(Forge(R"({"alg":"RS256"})", GoodClaims(), kSecret));
  ExpectRefused(Forge(R"({"typ":"JWT"})", GoodClaims(), kSecret));
}

TEST(JwtTest, RefusesExpiredMissingOrForeignClaims) {
  auto expired = GoodClaims();
  expired["exp"] = kNowSeconds - 1;
  auto r = VerifyJwt(SignJwt(expired, kSecret), kSecret, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
  for (const char* missing : {"sub", "exp", "aud", "firm"}) {
    auto claims = GoodClaims();
    claims.erase(missing);
    ExpectRefused(SignJwt(claims, kSecret));
  }
  auto foreign = GoodClaims();
  foreign["aud"] = "someone-else";
  ExpectRefused(SignJwt(foreign, kSecret));
  auto not_yet = GoodClaims();
  not_yet["nbf"] = kNowSeconds + 600;
  ExpectRefused(SignJwt(not_yet, kSecret));
  auto wrong_type = GoodClaims();
  wrong_type["exp"] = "tomorrow";
  ExpectRefused(SignJwt(wrong_type, kSecret));
}

TEST(JwtTest, RefusesMalformedTokens) {
  for (const char* bad : {"", "abc", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30.", "..."}) ExpectRefused(bad);
  std::string token = SignJwt(GoodClaims(), kSecret);
  ExpectRefused(token + "A");  // a longer, non-canonical signature
}

TEST(JwtTest, VerifiedTokensStillExpireAndForgeriesAreNeverRemembered) {
  VerifiedTokens tokens;
  const std::string token = SignJwt(GoodClaims(), kSecret);
  const Micros now = kNow;
  for (int i = 0; i < 2; ++i) {
    auto claims = tokens.Verify(token, kSecret, now);
    ASSERT_TRUE(claims.ok());
    EXPECT_EQ(claims->subject, "u-cmc");
  }
  const Micros after_exp = GoodClaims().at("exp").as_int64() * 1'000'000 + 1;
  auto expired = tokens.Verify(token, kSecret, after_exp);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  const std::string forged = token.substr(0, token.rfind('.') + 1) + Base64UrlEncode(std::string(32, 'x'));
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(tokens.Verify(forged, kSecret, now).ok());
}

TEST(JwtTest, Base64UrlRoundTrips) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00\x01"}) {
    auto back = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(Base64UrlDecode("ab+c").has_value());
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
}

}  // namespace
}  // namespace parley::api
