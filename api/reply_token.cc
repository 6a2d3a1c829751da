#include "api/reply_token.h"

#include <cctype>
#include <charconv>

#include "api/jwt.h"
#include "common/sha256.h"

namespace parley::api {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

ReplyTokens::ReplyTokens(std::string_view server_secret, std::string domain)
    // A key of its own: a reply token is never a valid JWT signature.
    : key_(HmacSha256(server_secret, "parley reply-by-mail tokens v1")), domain_(Lower(domain)) {}

std::string ReplyTokens::Mac(const std::string& mail, std::int64_t expires_day, const std::string& firm,
                             const std::string& user, const std::string& conversation) const {
  const std::string signed_text =
      mail + '\n' + std::to_string(expires_day) + '\n' + firm + '\n' + user + '\n' + conversation;
  return ToHex(HmacSha256(key_, signed_text)).substr(0, 20);
}

std::string ReplyTokens::Issue(const std::string& mail, const std::string& firm, const std::string& user,
                               const std::string& conversation, Micros expires) const {
  const std::int64_t day = expires / (24LL * 3600 * 1'000'000);
  char hex[17];
  auto [end, ec] = std::to_chars(hex, hex + sizeof hex - 1, day, 16);
  *end = '\0';
  return Lower(mail) + "-" + hex + "-" + Mac(Lower(mail), day, firm, user, conversation);
}

std::optional<ReplyToken> ReplyTokens::Parse(std::string_view address) const {
  const std::string lower = Lower(address);
  const auto at = lower.rfind('@');
  if (at == std::string::npos || lower.substr(at + 1) != domain_) return std::nullopt;
  std::string_view local = std::string_view(lower).substr(0, at);
  if (!local.starts_with("reply+")) return std::nullopt;
  local.remove_prefix(6);
  const auto first = local.find('-'), second = local.rfind('-');
  if (first == std::string_view::npos || first == second) return std::nullopt;
  ReplyToken token;
  token.mail = std::string(local.substr(0, first));
  const std::string_view day = local.substr(first + 1, second - first - 1);
  auto [end, ec] = std::from_chars(day.data(), day.data() + day.size(), token.expires_day, 16);
  if (ec != std::errc() || end != day.data() + day.size() || token.mail.empty()) return std::nullopt;
  token.mac = std::string(local.substr(second + 1));
  return token;
}

bool ReplyTokens::Verify(const ReplyToken& token, const std::string& firm, const std::string& user,
                         const std::string& conversation) const {
  return ConstantTimeEquals(token.mac, Mac(token.mail, token.expires_day, firm, user, conversation));
}

}  // namespace parley::api
