// Reply-by-e-mail addresses (SPEC section 7): reply+<token>@<reply domain>.
//
// A token names the e-mail it came with and when it stops being valid, and
// is signed with a key derived from the server's secret:
//   <mail id>-<expiry, days since the epoch, hex>-<HMAC-SHA256, 20 hex>
// The MAC covers the mail id, the firm, the user and the conversation the
// mail was about (the outbox read model holds them under the mail id), so
// a token cannot be moved to another mail, user or conversation. Hex keeps
// it case-insensitive, as mail servers may fold the local part, and short:
// "reply+" and the token fit the 64 characters of a local part.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace parley::api {

struct ReplyToken {
  std::string mail;
  std::int64_t expires_day = 0;  // valid until the end of this day (UTC)
  std::string mac;               // hex
};

class ReplyTokens {
 public:
  ReplyTokens(std::string_view server_secret, std::string domain);

  // The token for a mail about `conversation` to `user`, valid until `expires`.
  std::string Issue(const std::string& mail, const std::string& firm, const std::string& user,
                    const std::string& conversation, Micros expires) const;
  // "reply+<token>@<domain>"
  std::string Address(const std::string& token) const { return "reply+" + token + "@" + domain_; }
  // The token of `address` if it is one of ours ("reply+...@<domain>",
  // any case); nullopt otherwise.
  std::optional<ReplyToken> Parse(std::string_view address) const;
  // Whether `token` was issued for these facts (constant time).
  bool Verify(const ReplyToken& token, const std::string& firm, const std::string& user,
              const std::string& conversation) const;
  const std::string& domain() const { return domain_; }

 private:
  std::string Mac(const std::string& mail, std::int64_t expires_day, const std::string& firm,
                  const std::string& user, const std::string& conversation) const;

  std::string key_;
  std::string domain_;
};

}  // namespace parley::api
