// Outgoing e-mail: the bytes of a message (RFC 5322 + MIME), and the ways
// to deliver them: a real SMTP server (libcurl), or .eml files in a folder
// when no SMTP server is configured (`parleyd` without `--smtp`).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"   // parley::Micros (microseconds since the Unix epoch)
#include "common/result.h"  // parley::Result<T>, parley::Error, ErrorCode

namespace parley::api {

struct OutgoingMail {
  std::string id;    // stable across retries; the Message-ID is <id@domain-of-from>
  std::string from;  // "Cabinet Dupont <no-reply@parley.example>" or a bare address
  std::string to_name, to_address;
  std::string reply_to;  // a bare address, or empty for none
  std::string subject;   // UTF-8
  std::string text;      // UTF-8 plain text body, LF line endings
  std::string
      kind;  // X-Parley-Kind: new_conversation, new_message, mention, note, unread_nudge, reminder, digest
  std::string link;      // the conversation's URL (also sent as header X-Parley-Link), may be empty
  std::string language;  // Content-Language (fr, nl, en, de), may be empty
  Micros date = 0;       // the Date header
};

// The message as sent: CRLF line endings; headers Date (RFC 5322, UTC
// "+0000"), From, To ("name" <addr>, the name RFC 2047-encoded when not plain
// ASCII), Reply-To (if any), Subject (RFC 2047 Q-encoded UTF-8 when not plain
// ASCII, folded so that no header line exceeds 78 characters), Message-ID,
// MIME-Version: 1.0, Content-Type: text/plain; charset=utf-8,
// Content-Transfer-Encoding: quoted-printable (lines ≤ 76, soft breaks),
// Content-Language (if any), Auto-Submitted: auto-generated, X-Parley-Kind,
// X-Parley-Link (if any). Same input, same bytes.
// It never lets a field add a header: control characters are dropped from
// header fields here, and Send() refuses such a mail outright.
std::string RenderRfc5322(const OutgoingMail& mail);

// The Message-ID value without angle brackets: "<id>@<domain of from's
// address>" ("parley.invalid" if from has none).
std::string MessageIdOf(const OutgoingMail& mail);

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Delivers one mail. OK once the server accepted it (250 after DATA) or the
  // file is synced.
  // kUnavailable: temporary (connection refused, timeout, 4xx, login refused,
  //   disk full): retry later.
  // kInvalidArgument: permanent (5xx, e.g. the recipient is refused), or a
  //   mail that cannot be sent as it is (an address with CR/LF or without
  //   '@', CR/LF in the subject, names, reply_to or link, an id that is not
  //   a dot-atom, an unknown kind): do not retry. Checked before connecting.
  // The message names the server's reply when there is one.
  // Safe to call from several threads at once.
  virtual Result<void> Send(const OutgoingMail& mail) = 0;
  // "smtp://host:port" without credentials, or the folder.
  virtual std::string Describe() const = 0;
};

// smtp://[user[:password]@]host[:port] (STARTTLS when the server offers it;
// with `?tls=required` insist on it) or smtps://... (implicit TLS). Default
// ports 25 and 465. Credentials are percent-decoded. Anything else is
// InvalidArgument. `timeout` bounds the connect and the whole transfer.
Result<std::unique_ptr<MailTransport>> OpenSmtpTransport(
    const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Writes each mail to <dir>/<id>.eml: written to a temporary name, fsynced,
// renamed, directory fsynced; the same id again overwrites it with the same
// bytes. Creates the folder.
Result<std::unique_ptr<MailTransport>> OpenEmlDirectory(const std::string& dir);

}  // namespace parley::api
