// Parsing of the mail that comes back to a reply address (SPEC §7 "Reply by
// e-mail"): the raw RFC 5322 message a mail server hands to
// POST /v1/inbound/email becomes the new text of the reply plus its
// attachments. Deciding who may post, and where, is the caller's business.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::api {

struct InboundAttachment {
  std::string name;          // file name without any path; "attachment-N[.ext]" when the mail gave none
  std::string content_type;  // "type/subtype", lower-cased
  std::string bytes;         // decoded content
};

struct InboundMail {
  std::string message_id;               // Message-ID without the angle brackets ("" if none)
  std::string from_address;             // the From address, lower-cased ("" if none)
  std::vector<std::string> recipients;  // every address of To, Cc, Delivered-To, X-Original-To, Envelope-To,
                                        // lower-cased, in that order, no duplicates
  std::string subject;                  // decoded (RFC 2047) UTF-8
  std::string text;  // the reply itself, UTF-8, LF line ends, quoted mail and signature cut; may be ""
  std::vector<InboundAttachment> attachments;  // every part with Content-Disposition attachment, or a
                                               // non-text part with a file name (or that is the whole
                                               // body); decoded bytes, in message order
};

// Error::InvalidArgument (with a sentence a mail admin understands) when the
// bytes are not a parsable message, or have neither a text part nor an HTML
// part nor attachments. Body text in an unknown charset is read as UTF-8; a
// byte invalid in its charset becomes U+FFFD (ISO-8859-1 is read as
// Windows-1252, as mail clients mean it).
Result<InboundMail> ParseInboundMail(std::string_view raw);

// The new text of a reply: cuts the quoted earlier mail and the signature
// (Parley's "##-" marker, "On ... wrote:" and its French, Dutch and German
// forms, Outlook separators and header blocks, "-- ", mobile footers), drops
// remaining "> " lines and trims blank lines at both ends.
std::string StripQuotedReply(std::string_view text);

// HTML to plain text: drops <script>/<style>/<head>, turns <br>, </p>,
// </div>, </li>, </tr> and headings into line breaks, <li> into "- ",
// decodes entities, collapses runs of blank lines, trims. Drops <blockquote>
// content (quoted mail in HTML replies), and elements with class
// "gmail_quote" / id "divRplyFwdMsg" / "moz-cite-prefix" together with all
// that follows them.
std::string HtmlToText(std::string_view html);

}  // namespace parley::api
