// POST /v1/inbound/email: replies to notifications, posted as messages.
#include <fstream>

#include "api/command_runner.h"
#include "api/inbound_mail.h"
#include "api/reply_token.h"
#include "api/service.h"
#include "common/sha256.h"
#include "projections/conversation_projection.h"
#include "projections/outbox_projection.h"

namespace parley::api {

Result<Written> Service::InboundEmail(const Caller& caller, std::string_view raw, AttachmentStore* files) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (party->actor.kind != domain::UserKind::kService)
    return Error::Forbidden("Only the firm's service accounts hand in e-mail.");
  if (reply_tokens_ == nullptr) return Error::Unavailable("This server takes no replies by e-mail.");
  auto mail = ParseInboundMail(raw);
  if (!mail.ok()) return mail.error();

  // The reply address: the first recipient that is one of ours.
  std::optional<ReplyToken> token;
  for (const std::string& address : mail->recipients) {
    if ((token = reply_tokens_->Parse(address))) break;
  }
  if (!token) {
    return Error::InvalidArgument("The e-mail is not addressed to a reply address reply+...@" +
                                  reply_tokens_->domain() + ".");
  }
  const Error forged = Error::Forbidden("The reply address is not valid: nothing was posted.");
  auto sent = projections::LoadMail(models_, token->mail);
  if (!sent.ok()) return sent.error();
  // Another firm's mail is as unknown as a forged one.
  if (!*sent || (**sent).firm != party->directory->firm->firm || (**sent).mail.conversation.empty())
    return forged;
  const domain::QueuedMail& original = (**sent).mail;
  if (!reply_tokens_->Verify(*token, (**sent).firm, original.user, original.conversation)) return forged;
  const Micros day = 24LL * 3600 * 1'000'000;
  if (clock_.Now() / day > token->expires_day) {
    return Error::Forbidden("The reply address has expired: nothing was posted; answer in the portal.");
  }

  // Posted as the user the mail went to; the same mail (Message-ID) posts
  // once, and only to the conversation it first went to.
  Caller author;
  author.subject = original.user;
  author.firm = (**sent).firm;
  const std::string message_id = mail->message_id.empty() ? ToHex(Sha256(raw)) : mail->message_id;
  author.idempotency_scope = author.firm + "/inbound-email/" + message_id;
  author.body_sha = ToHex(Sha256(original.conversation + "\n" + original.user));
  const Idempotency idempotency{author.idempotency_scope, author.body_sha};
  auto earlier = LogOf(author.firm).store.FindEvent(idempotency.Id("ev_", 0));
  if (!earlier.ok()) return earlier.error();
  if (*earlier && (**earlier).correlation_id() != "idem:" + author.body_sha) {
    return Error::Conflict("This e-mail was already posted to another conversation.", 0);
  }
  auto poster = Resolve(author);
  if (!poster.ok()) return forged;  // the user left the directory
  auto visible = Visible(*poster, original.conversation);
  if (!visible.ok()) return forged;  // they no longer see it
  if (!*earlier && visible->first.state.status == domain::Status::kClosed) return Error::ConversationClosed();

  domain::PostMessage command;
  command.message = NewResourceId(author, "m_", clock_.Now());
  command.body = mail->text;
  for (std::size_t i = 0; i < mail->attachments.size(); ++i) {
    const InboundAttachment& a = mail->attachments[i];
    if (files == nullptr) return Error::Unavailable("This server keeps no files.");
    Caller uploader = author;
    uploader.idempotency_scope += "#attachment-" + std::to_string(i);
    auto uploaded = Upload(uploader, visible->second.dossier, a.name, a.content_type, a.bytes.size(),
                           [&]() -> Result<StoredBlob> {
                             const std::string temp = files->NewTempPath();
                             std::ofstream out(temp, std::ios::binary);
                             out.write(a.bytes.data(), static_cast<std::streamsize>(a.bytes.size()));
                             out.close();
                             if (!out) return Error::Unavailable("The attachment could not be written.");
                             return files->Keep(temp);
                           });
    if (!uploaded.ok()) return uploaded.error();
    command.attachments.push_back({std::string(uploaded->resource.at("id").as_string()), "", ""});
  }
  if (command.body.empty() && command.attachments.empty())
    return Error::InvalidArgument("The e-mail holds no reply text above the quoted message, nor any file.");
  auto acted = Act(author, original.conversation, command);
  if (!acted.ok()) return acted.error();
  return ItemWritten(acted->first, acted->second, command.message, true);
}

}  // namespace parley::api
