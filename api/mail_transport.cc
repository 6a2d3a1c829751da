#include "api/mail_transport.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <vector>

namespace parley::api {
namespace {

constexpr size_t kMaxHeaderLine = 78;  // RFC 5322 2.1.1: SHOULD, excluding CRLF
constexpr size_t kMaxQpLine = 76;      // RFC 2045 6.7 (5), excluding CRLF
// Encoded characters per encoded-word: 56 make a 68-char "=?utf-8?Q?...?="
// word that fits after the longest header name we fold ("Reply-To: ",
// "Subject: ") within 78, and under RFC 2047's 75.
constexpr size_t kEncodedWordChars = 56;
constexpr size_t kMaxIdLength = 200;

bool IsCtl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// For unstructured text (subject, names): a control character would break
// the header; HT is harmless and becomes a space.
bool HasForbiddenCtl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c != '\t' && IsCtl(c); });
}
std::string CtlToSpace(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsCtl(c)) c = ' ';
  }
  return out;
}
std::string DropCtl(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!IsCtl(c)) out += c;
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsAtext(char c) {
  return IsAlnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// dot-atom-text over a character class: no leading, trailing or double dot.
template <class Pred>
bool IsDotAtom(std::string_view s, Pred allowed) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!allowed(s[i])) {
      return false;
    }
  }
  return true;
}

// A bare ASCII addr-spec: dot-atom local part, host name domain. Stricter
// than RFC 5322 (no quoted local parts, no literals) on purpose: it is what
// we put in MAIL FROM / RCPT TO and in headers without quoting.
bool IsValidAddress(std::string_view s) {
  if (s.size() > 254) return false;
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  return local.size() <= 64 && IsDotAtom(local, IsAtext) &&
         IsDotAtom(domain, [](char c) { return IsAlnum(c) || c == '-'; });
}

// The id becomes a file name and the left part of the Message-ID: letters,
// digits and -_+= in a dot-atom (so never "." or "..", never a '/').
bool IsSafeId(std::string_view id) {
  return id.size() <= kMaxIdLength &&
         IsDotAtom(id, [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '+' || c == '='; });
}

struct Mailbox {
  std::string name;
  std::string address;
};

// "Name <addr>", "\"Name\" <addr>" or "addr".
Mailbox ParseMailbox(std::string_view text) {
  text = Trim(text);
  Mailbox box;
  const size_t lt = text.rfind('<');
  if (lt == std::string_view::npos || text.empty() || text.back() != '>') {
    box.address = std::string(text);
    return box;
  }
  box.address = std::string(Trim(text.substr(lt + 1, text.size() - lt - 2)));
  std::string_view name = Trim(text.substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
    for (size_t i = 0; i < name.size(); ++i) {
      if (name[i] == '\\' && i + 1 < name.size()) ++i;
      box.name += name[i];
    }
  } else {
    box.name = std::string(name);
  }
  return box;
}

// RFC 2047 Q encoded-words, each a whole number of UTF-8 characters (2047
// section 5: a character must not be split between words). Q rather than
// B: some readers (GMime among them) join adjacent B words' base64 before
// decoding, so the padding a word of 41 bytes needs ends their decoding in
// the middle of the subject; Q words have no padding.
std::vector<std::string> EncodedWords(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto encode = [](unsigned char c) -> std::string {
    if (IsAlnum(static_cast<char>(c)) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/')
      return std::string(1, c);
    if (c == ' ') return "_";
    return {'=', kHex[c >> 4], kHex[c & 15]};
  };
  std::vector<std::string> words;
  std::string payload;
  for (size_t pos = 0; pos < text.size();) {
    // One character: a lead byte and its continuation bytes.
    size_t next = pos + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80 && next - pos < 4)
      ++next;
    std::string encoded;
    for (size_t i = pos; i < next; ++i) encoded += encode(static_cast<unsigned char>(text[i]));
    if (!payload.empty() && payload.size() + encoded.size() > kEncodedWordChars) {
      words.push_back("=?utf-8?Q?" + payload + "?=");
      payload.clear();
    }
    payload += encoded;
    pos = next;
  }
  if (!payload.empty()) words.push_back("=?utf-8?Q?" + payload + "?=");
  return words;
}

// Printable ASCII that a reader will not take for an encoded-word.
bool IsPlainAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }) &&
         s.find("=?") == std::string_view::npos;
}

// Joins words with single spaces, folding (CRLF before the space) where a
// line would pass 78 characters. Unfolding gives back the joined text.
std::string Fold(std::string_view name, const std::vector<std::string>& words) {
  std::string out(name);
  out += ':';
  size_t line = out.size();
  bool first = true;
  for (const std::string& word : words) {
    if (!first && line + 1 + word.size() > kMaxHeaderLine) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += word;
    line += 1 + word.size();
    first = false;
  }
  out += "\r\n";
  return out;
}

// A display name as a quoted-string when plain ASCII and short enough,
// otherwise as encoded-words (which fold).
std::vector<std::string> PhraseWords(std::string_view header, std::string_view name) {
  if (name.empty()) return {};
  if (IsPlainAscii(name)) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    if (header.size() + 2 + quoted.size() <= kMaxHeaderLine) return {quoted};
  }
  return EncodedWords(name);
}

std::string AddressHeader(std::string_view header, std::string_view name, std::string_view address) {
  const std::string clean_name(Trim(CtlToSpace(name)));
  const std::string clean_address = DropCtl(address);
  if (clean_name.empty()) return std::string(header) + ": " + clean_address + "\r\n";
  std::vector<std::string> words = PhraseWords(header, clean_name);
  words.push_back("<" + clean_address + ">");
  return Fold(header, words);
}

std::vector<std::string> SubjectWords(std::string_view raw) {
  const std::string subject = CtlToSpace(raw);
  if (subject.empty()) return {};
  if (IsPlainAscii(subject)) {
    // Kept readable, folded at its own spaces; a run of spaces or a word
    // too long for a line would not survive that, so those get encoded.
    std::vector<std::string> pieces;
    size_t start = 0;
    bool foldable = true;
    while (true) {
      const size_t space = subject.find(' ', start);
      pieces.push_back(subject.substr(start, space == std::string::npos ? std::string::npos : space - start));
      if (pieces.back().empty() || pieces.back().size() > kMaxHeaderLine - 10) foldable = false;
      if (space == std::string::npos) break;
      start = space + 1;
    }
    if (foldable) return pieces;
  }
  return EncodedWords(subject);
}

std::string FormatDate(Micros at) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = static_cast<std::time_t>(at / 1000000 - (at % 1000000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// RFC 2045 6.7: quoted-printable, lines of at most 76 characters with soft
// breaks, every line ending in CRLF, whitespace at a line's end encoded.
std::string QuotedPrintable(std::string_view text) {
  std::string normal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF counts as LF
    normal += text[i];
  }
  if (!normal.empty() && normal.back() == '\n') normal.pop_back();
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t end = std::min(normal.find('\n', start), normal.size());
    size_t line = 0;
    for (size_t i = start; i < end; ++i) {
      const unsigned char c = normal[i];
      const bool last = i + 1 == end;
      char token[3];
      size_t length = 1;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
        token[0] = static_cast<char>(c);
      } else {
        token[0] = '=';
        token[1] = kHex[c >> 4];
        token[2] = kHex[c & 15];
        length = 3;
      }
      // Room for the '=' of a soft break unless this ends the line.
      if (line + length > (last ? kMaxQpLine : kMaxQpLine - 1)) {
        out += "=\r\n";
        line = 0;
      }
      out.append(token, length);
      line += length;
    }
    out += "\r\n";
    if (end >= normal.size()) break;
    start = end + 1;
  }
  return out;
}

bool IsKnownKind(std::string_view kind) {
  static constexpr std::array<std::string_view, 7> kKinds = {
      "new_conversation", "new_message", "mention", "note", "unread_nudge", "reminder", "digest"};
  return std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end();
}

// Everything that makes a mail unsendable as it is, found before any
// connection or file: a retry would fail the same way.
Result<void> ValidateForSending(const OutgoingMail& mail) {
  if (!IsSafeId(mail.id)) {
    return Error::InvalidArgument("mail id must be letters, digits, '-_+=' and single dots");
  }
  if (HasForbiddenCtl(mail.from)) return Error::InvalidArgument("mail from contains a control character");
  const Mailbox from = ParseMailbox(mail.from);
  if (!IsValidAddress(from.address)) return Error::InvalidArgument("mail from has no valid address");
  if (HasForbiddenCtl(mail.to_name))
    return Error::InvalidArgument("recipient name contains a control character");
  if (!IsValidAddress(mail.to_address)) return Error::InvalidArgument("recipient address is not valid");
  if (!mail.reply_to.empty() && !IsValidAddress(mail.reply_to)) {
    return Error::InvalidArgument("reply-to address is not valid");
  }
  if (HasForbiddenCtl(mail.subject)) return Error::InvalidArgument("subject contains a control character");
  if (mail.link.size() > 900 ||
      !std::all_of(mail.link.begin(), mail.link.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Error::InvalidArgument("link must be printable ASCII without spaces");
  }
  if (!IsKnownKind(mail.kind))
    return Error::InvalidArgument("unknown mail kind '" + DropCtl(mail.kind) + "'");
  if (mail.language.size() > 35 || !std::all_of(mail.language.begin(), mail.language.end(),
                                                [](char c) { return IsAlnum(c) || c == '-'; })) {
    return Error::InvalidArgument("language must be a language tag");
  }
  return {};
}

// ---------------------------------------------------------------- SMTP ----

struct SmtpEndpoint {
  bool implicit_tls = false;
  bool tls_required = false;
  std::string host;  // as in a URL: brackets kept around an IPv6 literal
  int port = 0;
  bool has_credentials = false;
  std::string user, password;

  std::string Url() const {
    return std::string(implicit_tls ? "smtps" : "smtp") + "://" + host + ":" + std::to_string(port);
  }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// The messages never repeat the URL: it may hold a password.
Result<SmtpEndpoint> ParseSmtpUrl(std::string_view url) {
  auto bad = [](const std::string& why) { return Error::InvalidArgument("SMTP URL: " + why); };
  SmtpEndpoint ep;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected smtp://... or smtps://...");
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme == "smtps") {
    ep.implicit_tls = true;
  } else if (scheme != "smtp") {
    return bad("the scheme must be smtp or smtps");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return IsCtl(c) || c == ' ' || c == '#'; })) {
    return bad("spaces, control characters and fragments are not allowed");
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view query;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) return bad("a path is not allowed");
    rest = rest.substr(0, slash);
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (!PercentDecode(userinfo.substr(0, colon), ep.user) ||
        (colon != std::string_view::npos && !PercentDecode(userinfo.substr(colon + 1), ep.password))) {
      return bad("bad percent-encoding in the credentials");
    }
    if (ep.user.empty()) return bad("empty user name");
    ep.has_credentials = true;
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    const std::string_view v6 = rest.substr(1, close - 1);
    if (v6.empty() ||
        !std::all_of(v6.begin(), v6.end(), [](char c) { return HexValue(c) >= 0 || c == ':' || c == '.'; })) {
      return bad("bad IPv6 address");
    }
    ep.host = std::string(rest.substr(0, close + 1));
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("unexpected text after the host");
      port = rest.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else {
    const size_t colon = rest.find(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
    if (ep.host.empty() || !IsDotAtom(ep.host, [](char c) { return IsAlnum(c) || c == '-'; })) {
      return bad("bad host name");
    }
  }
  if (port.empty()) {
    ep.port = ep.implicit_tls ? 465 : 25;
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("bad port");
    }
    ep.port = std::stoi(std::string(port));
    if (ep.port < 1 || ep.port > 65535) return bad("port out of range");
  }
  if (!query.empty()) {
    if (query != "tls=required") return bad("the only option is ?tls=required");
    ep.tls_required = true;
  }
  return ep;
}

void InitCurlOnce() {
  static std::once_flag once;
  // Never cleaned up: the process sends mail until it ends.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string_view bytes;
  size_t sent = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->bytes.size() - upload->sent);
  std::memcpy(buffer, upload->bytes.data() + upload->sent, n);
  upload->sent += n;
  return n;
}

// libcurl hands every SMTP response line to the header callback: keep the
// last 4xx/5xx one, to name the server's reply in an error (the 221 answer
// to curl's QUIT comes after it).
size_t KeepLastErrorReply(char* data, size_t size, size_t count, void* user) {
  auto* last = static_cast<std::string*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.size() >= 3 && (line[0] == '4' || line[0] == '5')) *last = DropCtl(line.substr(0, 300));
  return size * count;
}

// One easy handle per Send: no state is shared between sends, so concurrent
// sends need no lock and a connection broken by the server (idle timeout)
// never poisons the next mail. A notification's worth of mail does not need
// the saved handshake a kept-alive connection would give.
class SmtpTransport final : public MailTransport {
 public:
  SmtpTransport(SmtpEndpoint endpoint, std::chrono::milliseconds timeout)
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  Result<void> Send(const OutgoingMail& mail) override {
    if (Result<void> valid = ValidateForSending(mail); !valid) return valid;
    const std::string bytes = RenderRfc5322(mail);
    const std::string mail_from = "<" + ParseMailbox(mail.from).address + ">";
    const std::string url = endpoint_.Url();

    std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
    if (!handle) return Error::Unavailable("cannot create a libcurl handle");
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> recipients(
        curl_slist_append(nullptr, ("<" + mail.to_address + ">").c_str()), curl_slist_free_all);
    if (!recipients) return Error::Unavailable("out of memory");
    Upload upload{bytes};
    std::string last_error_reply;
    char error_buffer[CURL_ERROR_SIZE] = {};

    CURL* h = handle.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, KeepLastErrorReply);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &last_error_reply);
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     static_cast<long>(endpoint_.implicit_tls || endpoint_.tls_required ? CURLUSESSL_ALL
                                                                                        : CURLUSESSL_TRY));
    if (endpoint_.has_credentials) {
      curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.user.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));

    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) return {};
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    std::string message = "SMTP delivery via " + url +
                          " failed: " + (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
    if (!last_error_reply.empty()) message += " (server said: " + last_error_reply + ")";
    // A refused login or missing TLS is the configuration's fault, not the
    // mail's: keep the mail for when it is fixed.
    // (530 "authentication required", 534/535/538: the login is refused.)
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || rc == CURLE_AUTH_ERROR || code == 530 ||
        code == 534 || code == 535 || code == 538) {
      return Error::Unavailable(std::move(message));
    }
    if (code >= 500 && code <= 599) return Error::InvalidArgument(std::move(message));
    return Error::Unavailable(std::move(message));
  }

  std::string Describe() const override { return endpoint_.Url(); }

 private:
  const SmtpEndpoint endpoint_;
  const std::chrono::milliseconds timeout_;
};

// ----------------------------------------------------------- .eml files ----

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class EmlDirectory final : public MailTransport {
 public:
  explicit EmlDirectory(std::string dir) : dir_(std::move(dir)) {}

  Result<void> Send(const OutgoingMail& mail) override {
    if (Result<void> valid = ValidateForSending(mail); !valid) return valid;
    const std::string bytes = RenderRfc5322(mail);
    const std::string final_path = dir_ + "/" + mail.id + ".eml";
    // Unique per process and call: concurrent sends of the same id never
    // share a temporary file. The leading dot keeps it out of "*.eml".
    const std::string temp_path = dir_ + "/." + mail.id + ".eml.tmp-" + std::to_string(getpid()) + "-" +
                                  std::to_string(counter_.fetch_add(1));
    // I/O failures (disk full, permissions) are kUnavailable: the mail is
    // fine, and the outbox must keep it for later.
    const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return Error::Unavailable(ErrnoText("cannot create", temp_path));
    if (!WriteAll(fd, bytes) || fsync(fd) != 0) {
      Error error = Error::Unavailable(ErrnoText("cannot write", temp_path));
      close(fd);
      unlink(temp_path.c_str());
      return error;
    }
    if (close(fd) != 0) {
      Error error = Error::Unavailable(ErrnoText("cannot close", temp_path));
      unlink(temp_path.c_str());
      return error;
    }
    if (rename(temp_path.c_str(), final_path.c_str()) != 0) {
      Error error = Error::Unavailable(ErrnoText("cannot rename to", final_path));
      unlink(temp_path.c_str());
      return error;
    }
    // The rename itself is durable only once the directory is synced.
    const int dir_fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return Error::Unavailable(ErrnoText("cannot open", dir_));
    if (fsync(dir_fd) != 0) {
      Error error = Error::Unavailable(ErrnoText("cannot sync", dir_));
      close(dir_fd);
      return error;
    }
    close(dir_fd);
    return {};
  }

  std::string Describe() const override { return dir_; }

 private:
  const std::string dir_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace

std::string MessageIdOf(const OutgoingMail& mail) {
  const std::string address = DropCtl(ParseMailbox(mail.from).address);
  const size_t at = address.rfind('@');
  std::string domain = at == std::string::npos ? "" : address.substr(at + 1);
  if (domain.empty()) domain = "parley.invalid";
  return DropCtl(mail.id) + "@" + domain;
}

std::string RenderRfc5322(const OutgoingMail& mail) {
  const Mailbox from = ParseMailbox(mail.from);
  std::string out;
  out += "Date: " + FormatDate(mail.date) + "\r\n";
  out += AddressHeader("From", from.name, from.address);
  out += AddressHeader("To", mail.to_name, mail.to_address);
  if (!mail.reply_to.empty()) out += "Reply-To: " + DropCtl(mail.reply_to) + "\r\n";
  out += Fold("Subject", SubjectWords(mail.subject));
  out += "Message-ID: <" + MessageIdOf(mail) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  if (!mail.language.empty()) out += "Content-Language: " + DropCtl(mail.language) + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "X-Parley-Kind: " + DropCtl(mail.kind) + "\r\n";
  if (!mail.link.empty()) out += "X-Parley-Link: " + DropCtl(mail.link) + "\r\n";
  out += "\r\n";
  out += QuotedPrintable(mail.text);
  return out;
}

Result<std::unique_ptr<MailTransport>> OpenSmtpTransport(const std::string& url,
                                                         std::chrono::milliseconds timeout) {
  Result<SmtpEndpoint> endpoint = ParseSmtpUrl(url);
  if (!endpoint) return endpoint.error();
  if (timeout.count() <= 0) return Error::InvalidArgument("SMTP timeout must be positive");
  InitCurlOnce();
  return std::unique_ptr<MailTransport>(new SmtpTransport(std::move(*endpoint), timeout));
}

Result<std::unique_ptr<MailTransport>> OpenEmlDirectory(const std::string& dir) {
  if (dir.empty()) return Error::InvalidArgument("the mail folder is empty");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Internal("cannot create the mail folder " + dir + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) return Error::InvalidArgument(dir + " is not a folder");
  return std::unique_ptr<MailTransport>(new EmlDirectory(dir));
}

}  // namespace parley::api
