// The texts of every e-mail Parley sends (SPEC sections 6 and 7), in fr,
// nl, en and de. Pure: the caller gathers the facts, this only words them,
// so that what a mail says can be tested without a mailer. Nothing goes
// into a mail that is not in its MailFacts, and a client is never told of
// a private note.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"  // parley::Micros (microseconds since the Unix epoch, UTC)

namespace parley::domain {

// What an e-mail is about: the X-Parley-Kind header's values.
enum class MailKind { kNewConversation, kNewMessage, kMention, kNote, kUnreadNudge, kReminder, kDigest };
// "new_conversation", "new_message", "mention", "note", "unread_nudge",
// "reminder", "digest".
const char* ToString(MailKind kind);
// The inverse of ToString; nullopt for anything else (exact, lower case).
std::optional<MailKind> ParseMailKind(std::string_view text);

// Every e-mail that takes replies carries this line above the quoted part;
// the inbound parser cuts a reply at the first line starting with it.
inline constexpr std::string_view kReplyMarkerPrefix = "##-";

// Subjects are cut to this many characters (code points), shortening the
// conversation subject first, so that mail clients show them whole.
inline constexpr std::size_t kMaxMailSubjectChars = 150;
// At most this many characters of a message are quoted in a mail.
inline constexpr std::size_t kMaxExcerptChars = 1500;

// One conversation in a digest.
struct DigestLine {
  std::string dossier_name, conversation_subject, link;
  int messages = 0;  // new public messages
  int notes = 0;     // new private notes (staff digests only; ignored for clients)
  bool mentioned = false;
  bool new_conversation = false;
};

struct MailFacts {
  MailKind kind = MailKind::kNewMessage;
  std::string language;  // fr, nl, en, de; anything else: fr
  bool recipient_is_staff = false;
  std::string recipient_name, sender_name, firm_name, dossier_name, conversation_subject;
  // The message or note text to quote; may be empty (then the mail only
  // says there is something new and links to it).
  std::string excerpt;
  std::string link;      // the conversation's URL (for digests: the portal's URL)
  Micros posted_at = 0;  // when the message was posted (nudges say since when)
  // Reminders: "reminder 1 of 2"; a count of 0 is a reminder sent by hand.
  int reminder_number = 0, reminder_count = 0;
  bool hourly = false;  // digests: hourly (true) or daily (false)
  std::vector<DigestLine> digest;
  // Starts the body with the reply marker line and says that replying to
  // the e-mail posts the reply in the conversation.
  bool accepts_reply = true;
};

struct MailText {
  std::string subject, body;
};

// The subject (one line, no control characters, at most kMaxMailSubjectChars)
// and the plain-text body (LF line endings, valid UTF-8, ending with a
// footer on why the mail was sent and where to change the frequency).
//
// Inputs are cleaned, not trusted: names and subjects are made one line,
// invalid UTF-8 becomes U+FFFD, the excerpt is cut at kMaxExcerptChars with
// "…", and an excerpt line that would start with kReplyMarkerPrefix is
// indented by one space so that only the real marker line starts with it.
// A client never gets a note's text: kNote for a client renders a neutral
// mail pointing to the portal, and a client's digest ignores notes (and
// lists no conversation that only has notes).
MailText RenderMail(const MailFacts& facts);

}  // namespace parley::domain
