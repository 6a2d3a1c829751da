#include "api/inbound_mail.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace parley::api {
namespace {

// ---------------------------------------------------------------------------
// Small string helpers (ASCII only: mail syntax is ASCII, content is UTF-8).

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string AsciiLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view s) {
  return Trim(s).empty();
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Valid UTF-8 stays as is; each byte that is not part of a well-formed
// sequence becomes U+FFFD, and NUL bytes are dropped (they end C strings
// further down the line).
std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b == 0) {
      ++i;
      continue;
    }
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cb = static_cast<unsigned char>(in[i + k]);
      if ((cb & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cb & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      AppendUtf8(out, 0xFFFD);
      ++i;
    }
  }
  return out;
}

std::string NormalizeNewlines(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += '\n';
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Quoted reply detection.

// Non-breaking and narrow non-breaking spaces (French typography puts them
// before ':') and tabs become plain spaces; the result is trimmed.
std::string NormalizeSpaces(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size(); ++i) {
    if (line.compare(i, 2, "\xC2\xA0") == 0) {
      out += ' ';
      ++i;
    } else if (line.compare(i, 3, "\xE2\x80\xAF") == 0) {
      out += ' ';
      i += 2;
    } else if (line[i] == '\t') {
      out += ' ';
    } else {
      out += line[i];
    }
  }
  return std::string(Trim(out));
}

bool HasDigitOrAt(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '@'; });
}

// "On <date>, <who> wrote:" and its French, Dutch and German forms. An
// attribution always carries a date or an address, which keeps ordinary
// sentences that happen to start with "On" out.
bool IsAttribution(std::string_view s) {
  if (s.size() > 400 || !HasDigitOrAt(s)) return false;
  if (StartsWith(s, "On ") && EndsWith(s, "wrote:")) return true;
  if (StartsWith(s, "Le ") && (EndsWith(s,
                                        "a \xC3\xA9"
                                        "crit :") ||
                               EndsWith(s,
                                        "a \xC3\xA9"
                                        "crit:"))) {
    return true;
  }
  if (StartsWith(s, "Op ") && s.find(" schreef") != std::string_view::npos && EndsWith(s, ":")) return true;
  if (StartsWith(s, "Am ") && s.find(" schrieb") != std::string_view::npos && EndsWith(s, ":")) return true;
  return false;
}

// "-----Original Message-----" and the like (Outlook, Android).
bool IsOriginalMessageSeparator(std::string_view s) {
  if (!StartsWith(s, "--") || !EndsWith(s, "--")) return false;
  while (!s.empty() && (s.front() == '-' || s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '-' || s.back() == ' ')) s.remove_suffix(1);
  const std::string inner = AsciiLowerCopy(s);
  static constexpr std::array<std::string_view, 7> kSeparators = {
      "original message",       "message d'origine", "message d\xE2\x80\x99origine",
      "oorspronkelijk bericht", "message original",  "urspr\xC3\xBCngliche nachricht",
      "originalnachricht",
  };
  return std::find(kSeparators.begin(), kSeparators.end(), inner) != kSeparators.end();
}

// True when the line is "<label>:" or "<label> :" for one of the labels,
// allowing the "*From:*" bold markers of HTML turned into text.
template <size_t N>
bool StartsWithHeaderLabel(std::string_view s, const std::array<std::string_view, N>& labels) {
  while (!s.empty() && s.front() == '*') s.remove_prefix(1);
  for (std::string_view label : labels) {
    if (!StartsWith(s, label)) continue;
    std::string_view rest = s.substr(label.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == ':') return true;
  }
  return false;
}

constexpr std::array<std::string_view, 4> kFromLabels = {"From", "De", "Van", "Von"};
constexpr std::array<std::string_view, 10> kHeaderLabels = {
    "Sent",  "Envoy\xC3\xA9", "Verzonden", "Gesendet", "Subject",
    "Objet", "Onderwerp",     "Betreff",   "Date",     "Datum",
};

bool IsMobileFooter(std::string_view s) {
  if (s.size() > 80) return false;
  static constexpr std::array<std::string_view, 20> kPrefixes = {
      "Sent from my ",
      "Sent from Outlook",
      "Sent from Mail for ",
      "Sent from Yahoo Mail",
      "Get Outlook for ",
      "Envoy\xC3\xA9 de mon ",
      "Envoy\xC3\xA9 depuis mon ",
      "Envoy\xC3\xA9 \xC3\xA0 partir de ",
      "Envoy\xC3\xA9 de Outlook",
      "Envoy\xC3\xA9 depuis Outlook",
      "Obtenir Outlook pour ",
      "T\xC3\xA9l\xC3\xA9"
      "charger Outlook pour ",
      "Verzonden vanaf mijn ",
      "Verstuurd vanaf mijn ",
      "Verzonden met ",
      "Download Outlook voor ",
      "Gesendet von meinem ",
      "Gesendet von Outlook",
      "Gesendet mit ",
      "Holen Sie sich Outlook f\xC3\xBCr ",
  };
  for (std::string_view prefix : kPrefixes) {
    if (StartsWith(s, prefix)) return true;
  }
  // "Von meinem iPhone gesendet": the prefix alone is an ordinary German phrase.
  return StartsWith(s, "Von meinem ") && EndsWith(s, " gesendet");
}

// Index of the first line where the quoted mail or the signature starts, or
// lines.size() when there is none.
size_t FindCut(const std::vector<std::string_view>& raw_lines) {
  std::vector<std::string> lines;
  lines.reserve(raw_lines.size());
  for (std::string_view line : raw_lines) lines.push_back(NormalizeSpaces(line));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (StartsWith(line, "##-")) return i;
    if (raw_lines[i] == "-- " || raw_lines[i] == "--") return i;
    if (line.empty()) continue;
    if (IsAttribution(line)) return i;
    // Mail clients wrap a long attribution over two lines.
    if (i + 1 < lines.size() && !lines[i + 1].empty() && IsAttribution(line + " " + lines[i + 1])) return i;
    if (IsOriginalMessageSeparator(line)) return i;
    if (StartsWithHeaderLabel(line, kFromLabels)) {
      for (size_t k = i + 1; k < lines.size() && k <= i + 4; ++k) {
        if (StartsWithHeaderLabel(lines[k], kHeaderLabels)) return i;
      }
    }
    if (IsMobileFooter(line)) return i;
  }
  return lines.size();
}

// RFC 3676 format=flowed: a line ending in a space continues on the next
// line of the same quote depth. Joining them first lets the attribution and
// the quote detection see whole lines.
std::string Unflow(std::string_view text, bool delsp) {
  struct Line {
    size_t depth;
    std::string content;
    bool flowed;
  };
  std::vector<Line> out;
  bool continue_previous = false;
  for (std::string_view line : SplitLines(text)) {
    size_t depth = 0;
    while (depth < line.size() && line[depth] == '>') ++depth;
    std::string_view content = line.substr(depth);
    if (!content.empty() && content.front() == ' ') content.remove_prefix(1);  // space-stuffing
    const bool is_signature = content == "-- ";
    bool flowed = !is_signature && !content.empty() && content.back() == ' ';
    if (flowed && delsp) content.remove_suffix(1);
    if (continue_previous && !out.empty() && out.back().depth == depth && !is_signature) {
      out.back().content += content;
      out.back().flowed = flowed;
    } else {
      out.push_back({depth, std::string(content), flowed});
    }
    continue_previous = flowed;
  }
  std::string result;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '\n';
    if (out[i].depth > 0) result += std::string(out[i].depth, '>') + " ";
    result += out[i].content;
  }
  return result;
}

// ---------------------------------------------------------------------------
// HTML.

struct HtmlTag {
  std::string name;  // lower-cased
  bool closing = false;
  bool self_closing = false;
  std::string id;
  std::string class_attr;
};

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAsciiAlnum(char c) {
  return IsAsciiAlpha(c) || (c >= '0' && c <= '9');
}

// Parses the tag at html[pos] == '<'. Returns the position after its '>',
// 0 when this '<' does not open a tag (it is text), npos when the tag runs
// to the end of the input.
size_t ParseTag(std::string_view html, size_t pos, HtmlTag& tag) {
  size_t i = pos + 1;
  if (i < html.size() && html[i] == '/') {
    tag.closing = true;
    ++i;
  }
  if (i >= html.size() || !IsAsciiAlpha(html[i])) return 0;
  while (i < html.size() && (IsAsciiAlnum(html[i]) || html[i] == '-' || html[i] == ':')) {
    tag.name += AsciiLower(html[i++]);
  }
  while (i < html.size()) {
    while (i < html.size() && IsAsciiSpace(html[i])) ++i;
    if (i >= html.size()) break;
    if (html[i] == '>') return i + 1;
    if (html[i] == '/') {
      tag.self_closing = true;
      ++i;
      continue;
    }
    std::string name;
    while (i < html.size() && !IsAsciiSpace(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/') {
      name += AsciiLower(html[i++]);
    }
    while (i < html.size() && IsAsciiSpace(html[i])) ++i;
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && IsAsciiSpace(html[i])) ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        const char quote = html[i++];
        const size_t end = html.find(quote, i);
        if (end == std::string_view::npos) return std::string_view::npos;
        value = html.substr(i, end - i);
        i = end + 1;
      } else {
        while (i < html.size() && !IsAsciiSpace(html[i]) && html[i] != '>') value += html[i++];
      }
    }
    if (name.empty()) {
      ++i;  // a stray character such as '"': skip it rather than loop
    } else {
      tag.self_closing = false;  // a '/' before an attribute does not close the tag
      if (name == "id") tag.id = value;
      if (name == "class") tag.class_attr = value;
    }
  }
  return std::string_view::npos;
}

bool HasClass(const HtmlTag& tag, std::string_view wanted) {
  std::string_view classes = tag.class_attr;
  size_t start = 0;
  while (start < classes.size()) {
    while (start < classes.size() && IsAsciiSpace(classes[start])) ++start;
    size_t end = start;
    while (end < classes.size() && !IsAsciiSpace(classes[end])) ++end;
    if (end > start && classes.substr(start, end - start) == wanted) return true;
    start = end;
  }
  return false;
}

// The start of the quoted earlier mail in the HTML of Gmail, Outlook (web
// and desktop), Thunderbird and Yahoo.
bool StartsQuotedMail(const HtmlTag& tag) {
  if (HasClass(tag, "gmail_quote") || HasClass(tag, "moz-cite-prefix") || HasClass(tag, "yahoo_quoted")) {
    return true;
  }
  return tag.id.find("divRplyFwdMsg") != std::string::npos || tag.id == "moz-cite-prefix" ||
         tag.id == "appendonsend";
}

bool IsBlockTag(std::string_view name) {
  static constexpr std::array<std::string_view, 28> kBlocks = {
      "p",  "div",   "tr",   "h1",      "h2",      "h3",     "h4",         "h5",      "h6",     "ul",
      "ol", "table", "pre",  "section", "article", "header", "footer",     "address", "center", "dl",
      "dt", "dd",    "form", "hr",      "body",    "main",   "blockquote", "aside",
  };
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end();
}

std::optional<uint32_t> NamedEntity(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 45> kEntities = {{
      {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", ' '},      {"eacute", 0xE9},  {"Eacute", 0xC9},  {"egrave", 0xE8},  {"Egrave", 0xC8},
      {"ecirc", 0xEA},    {"euml", 0xEB},    {"agrave", 0xE0},  {"Agrave", 0xC0},  {"acirc", 0xE2},
      {"auml", 0xE4},     {"Auml", 0xC4},    {"ccedil", 0xE7},  {"Ccedil", 0xC7},  {"icirc", 0xEE},
      {"iuml", 0xEF},     {"ocirc", 0xF4},   {"ouml", 0xF6},    {"Ouml", 0xD6},    {"ugrave", 0xF9},
      {"ucirc", 0xFB},    {"uuml", 0xFC},    {"Uuml", 0xDC},    {"szlig", 0xDF},   {"oelig", 0x153},
      {"euro", 0x20AC},   {"copy", 0xA9},    {"reg", 0xAE},     {"laquo", 0xAB},   {"raquo", 0xBB},
      {"hellip", 0x2026}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
      {"ldquo", 0x201C},  {"rdquo", 0x201D}, {"bull", 0x2022},  {"middot", 0xB7},  {"deg", 0xB0},
  }};
  for (const auto& [entity, cp] : kEntities) {
    if (entity == name) return cp;
  }
  return std::nullopt;
}

// Decodes the entity at html[pos] == '&' into out; returns the position
// after it, or 0 when it is not an entity (the '&' is then text).
size_t DecodeEntity(std::string_view html, size_t pos, std::string& out) {
  const size_t semicolon = html.find(';', pos + 1);
  if (semicolon == std::string_view::npos || semicolon - pos > 12 || semicolon == pos + 1) return 0;
  const std::string_view name = html.substr(pos + 1, semicolon - pos - 1);
  if (name.front() == '#') {
    std::string_view digits = name.substr(1);
    int base = 10;
    if (!digits.empty() && (digits.front() == 'x' || digits.front() == 'X')) {
      base = 16;
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 8) return 0;
    uint32_t cp = 0;
    for (char c : digits) {
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (base == 16 && c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (base == 16 && c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return 0;
      }
      cp = cp * static_cast<uint32_t>(base) + d;
      if (cp > 0x10FFFF) cp = 0x110000;  // stays invalid, never overflows
    }
    if (cp == 0xA0) cp = ' ';
    AppendUtf8(out, cp);
    return semicolon + 1;
  }
  const std::optional<uint32_t> cp = NamedEntity(name);
  if (!cp) return 0;
  AppendUtf8(out, *cp);
  return semicolon + 1;
}

// Position after the "</name ...>" that closes a raw-text element, or the
// end of the input.
size_t SkipRawText(std::string_view html, size_t pos, std::string_view name) {
  for (size_t i = html.find('<', pos); i != std::string_view::npos; i = html.find('<', i + 1)) {
    // Mail HTML often forgets </head>; its <body> ends it as well.
    if (name == "head" && EqualsIgnoreCase(html.substr(i + 1, 4), "body")) return i;
    if (html.compare(i, 2, "</") != 0 || !EqualsIgnoreCase(html.substr(i + 2, name.size()), name)) continue;
    const size_t end = html.find('>', i);
    return end == std::string_view::npos ? html.size() : end + 1;
  }
  return html.size();
}

// Trims trailing spaces of each line, keeps at most one blank line in a row
// and none at either end.
std::string TidyLines(std::string_view text) {
  std::string out;
  bool pending_blank = false;
  for (std::string_view line : SplitLines(text)) {
    line = TrimRight(line);
    if (line.empty()) {
      pending_blank = !out.empty();
      continue;
    }
    if (!out.empty()) out += pending_blank ? "\n\n" : "\n";
    pending_blank = false;
    out.append(line);
  }
  return out;
}

// ---------------------------------------------------------------------------
// GMime.

void EnsureGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};

std::string WrapperBytes(GMimeDataWrapper* content) {
  if (content == nullptr) return {};
  GPtr<GMimeStream> stream(g_mime_stream_mem_new());
  // Decodes the transfer encoding; broken base64 loses its invalid bytes.
  g_mime_data_wrapper_write_to_stream(content, stream.get());
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  if (array == nullptr || array->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

std::string ObjectBytes(GMimeObject* object) {
  GPtr<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_object_write_to_stream(object, nullptr, stream.get());
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  if (array == nullptr || array->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

bool IsUtf8Name(std::string_view charset) {
  const std::string lower = AsciiLowerCopy(charset);
  return lower == "utf-8" || lower == "utf8" || lower == "us-ascii" || lower == "ascii" || lower.empty();
}

// Converts bytes in charset to UTF-8. An unknown charset reads the bytes as
// UTF-8; a byte the charset does not define becomes U+FFFD.
std::string ToUtf8(std::string_view bytes, const char* charset) {
  if (charset == nullptr || IsUtf8Name(charset)) return SanitizeUtf8(bytes);
  const char* name = g_mime_charset_iconv_name(charset);
  if (name == nullptr) return SanitizeUtf8(bytes);
  // Mail labelled Latin-1 is nearly always Windows-1252 (curly quotes, euro).
  if (EqualsIgnoreCase(name, "iso-8859-1")) name = "CP1252";
  GIConv cd = g_iconv_open("UTF-8", name);
  if (cd == reinterpret_cast<GIConv>(-1)) return SanitizeUtf8(bytes);
  std::string out;
  std::string buffer(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  gsize in_left = bytes.size();
  while (in_left > 0) {
    char* out_ptr = buffer.data();
    gsize out_left = buffer.size();
    const gsize result = g_iconv(cd, &in, &in_left, &out_ptr, &out_left);
    out.append(buffer.data(), buffer.size() - out_left);
    if (result != static_cast<gsize>(-1)) break;
    if (errno == E2BIG) continue;
    AppendUtf8(out, 0xFFFD);  // EILSEQ: an invalid byte; EINVAL: a cut sequence at the end
    if (errno == EINVAL) break;
    ++in;
    --in_left;
  }
  g_iconv_close(cd);
  return SanitizeUtf8(out);
}

std::string ContentTypeOf(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "application/octet-stream";
  std::unique_ptr<char, GFree> mime_type(g_mime_content_type_get_mime_type(type));
  return mime_type ? AsciiLowerCopy(mime_type.get()) : "application/octet-stream";
}

bool IsAttachmentDisposition(GMimeObject* object) {
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  if (disposition == nullptr) return false;
  const char* value = g_mime_content_disposition_get_disposition(disposition);
  return value != nullptr && EqualsIgnoreCase(value, "attachment");
}

const char* FileNameOf(GMimeObject* object) {
  if (GMIME_IS_PART(object)) return g_mime_part_get_filename(GMIME_PART(object));
  // A message/rfc822 part is no GMimePart; read the same parameters.
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  const char* name =
      disposition ? g_mime_content_disposition_get_parameter(disposition, "filename") : nullptr;
  if (name == nullptr) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    name = type ? g_mime_content_type_get_parameter(type, "name") : nullptr;
  }
  return name;
}

// Keeps what follows the last '/' or '\' and no control characters.
std::string CleanFileName(const char* raw) {
  if (raw == nullptr) return {};
  std::string_view name = raw;
  const size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : SanitizeUtf8(name)) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) out += c;
  }
  const std::string_view trimmed = Trim(out);
  if (trimmed == "." || trimmed == "..") return {};
  return std::string(trimmed);
}

std::string DefaultExtension(std::string_view content_type) {
  if (content_type == "application/pdf") return ".pdf";
  if (content_type == "image/jpeg" || content_type == "image/jpg" || content_type == "image/pjpeg")
    return ".jpg";
  if (content_type == "image/png") return ".png";
  if (content_type == "image/gif") return ".gif";
  if (content_type == "text/plain") return ".txt";
  if (content_type == "message/rfc822") return ".eml";
  return {};
}

struct BodyParts {
  GMimeTextPart* plain = nullptr;  // borrowed from the message
  GMimeTextPart* html = nullptr;
  std::vector<InboundAttachment> attachments;
};

constexpr int kMaxDepth = 32;  // deeper nesting is no real mail

void AddAttachment(GMimeObject* object, std::string bytes, BodyParts& parts) {
  InboundAttachment attachment;
  attachment.content_type = ContentTypeOf(object);
  attachment.name = CleanFileName(FileNameOf(object));
  if (attachment.name.empty()) {
    attachment.name = "attachment-" + std::to_string(parts.attachments.size() + 1) +
                      DefaultExtension(attachment.content_type);
  }
  attachment.bytes = std::move(bytes);
  parts.attachments.push_back(std::move(attachment));
}

void Walk(GMimeObject* object, int depth, BodyParts& parts) {
  if (object == nullptr || depth > kMaxDepth) return;
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    int count = g_mime_multipart_get_count(multipart);
    // The second part of multipart/signed is the signature, not a file the sender attached.
    if (GMIME_IS_MULTIPART_SIGNED(object)) count = std::min(count, 1);
    for (int i = 0; i < count; ++i) Walk(g_mime_multipart_get_part(multipart, i), depth + 1, parts);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    // A forwarded mail sent as a file is kept whole; an inline one is quoted mail.
    if (!IsAttachmentDisposition(object) && FileNameOf(object) == nullptr) return;
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    AddAttachment(object, inner ? ObjectBytes(GMIME_OBJECT(inner)) : std::string(), parts);
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  GMimePart* part = GMIME_PART(object);
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const bool is_text = type != nullptr && g_mime_content_type_is_type(type, "text", "*");
  const bool has_name = g_mime_part_get_filename(part) != nullptr;
  // A message whose whole body is one non-text part (a scanner's PDF) carries that file.
  if (IsAttachmentDisposition(object) || (!is_text && (has_name || depth == 0))) {
    AddAttachment(object, WrapperBytes(g_mime_part_get_content(part)), parts);
    return;
  }
  if (!is_text || !GMIME_IS_TEXT_PART(object)) return;
  if (g_mime_content_type_is_type(type, "text", "plain")) {
    if (parts.plain == nullptr) parts.plain = GMIME_TEXT_PART(object);
  } else if (g_mime_content_type_is_type(type, "text", "html")) {
    if (parts.html == nullptr) parts.html = GMIME_TEXT_PART(object);
  }
}

// The body of a text part as UTF-8 with LF line ends (format=flowed joined).
std::string TextOf(GMimeTextPart* part) {
  GMimeObject* object = GMIME_OBJECT(part);
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const char* charset = type ? g_mime_content_type_get_parameter(type, "charset") : nullptr;
  std::string text =
      NormalizeNewlines(ToUtf8(WrapperBytes(g_mime_part_get_content(GMIME_PART(part))), charset));
  const char* format = type ? g_mime_content_type_get_parameter(type, "format") : nullptr;
  if (format != nullptr && EqualsIgnoreCase(format, "flowed") &&
      g_mime_content_type_is_type(type, "text", "plain")) {
    const char* delsp = g_mime_content_type_get_parameter(type, "delsp");
    text = Unflow(text, delsp != nullptr && EqualsIgnoreCase(delsp, "yes"));
  }
  return text;
}

void AddAddresses(InternetAddressList* list, std::vector<std::string>& out, int depth = 0) {
  if (list == nullptr || depth > 4) return;
  const int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AddAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, depth + 1);
      continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    if (addr == nullptr) continue;
    std::string lower = SanitizeUtf8(AsciiLowerCopy(Trim(addr)));
    if (lower.empty() || std::find(out.begin(), out.end(), lower) != out.end()) continue;
    out.push_back(std::move(lower));
  }
}

bool HasHeader(GMimeObject* object, const char* name) {
  return g_mime_object_get_header(object, name) != nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string StripQuotedReply(std::string_view text) {
  const std::vector<std::string_view> lines = SplitLines(text);
  const size_t cut = FindCut(lines);
  std::string kept;
  for (size_t i = 0; i < cut; ++i) {
    const std::string_view line = lines[i];
    size_t first = 0;
    while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
    if (first < line.size() && line[first] == '>') continue;
    kept.append(TrimRight(line));
    kept += '\n';
  }
  // Trailing whitespace and blank lines at both ends go; inner blank lines stay.
  std::vector<std::string_view> out_lines = SplitLines(kept);
  size_t begin = 0;
  size_t end = out_lines.size();
  while (begin < end && IsBlank(out_lines[begin])) ++begin;
  while (end > begin && IsBlank(out_lines[end - 1])) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += '\n';
    out.append(out_lines[i]);
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  bool pending_space = false;
  int pre_depth = 0;
  int skip_depth = 0;  // inside a dropped <blockquote>
  // A fresh "- " list marker counts as the start of its line: <li><p>x</p></li> is "- x".
  auto at_line_start = [&] {
    if (out.empty() || out.back() == '\n') return true;
    return EndsWith(out, "- ") && (out.size() == 2 || out[out.size() - 3] == '\n');
  };
  auto line_break = [&] {
    out += '\n';
    pending_space = false;
  };
  auto ensure_line_break = [&] {
    if (!at_line_start()) out += '\n';
    pending_space = false;
  };
  auto emit_text = [&](std::string_view s) {
    if (pending_space && !at_line_start() && out.back() != ' ') out += ' ';
    pending_space = false;
    out.append(s);
  };

  size_t pos = 0;
  while (pos < html.size()) {
    const char c = html[pos];
    if (c == '<') {
      if (html.compare(pos, 4, "<!--") == 0) {
        const size_t end = html.find("-->", pos + 4);
        pos = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      if (pos + 1 < html.size() && (html[pos + 1] == '!' || html[pos + 1] == '?')) {
        const size_t end = html.find('>', pos);
        pos = end == std::string_view::npos ? html.size() : end + 1;
        continue;
      }
      HtmlTag tag;
      const size_t next = ParseTag(html, pos, tag);
      if (next == std::string_view::npos) break;  // a tag cut off at the end
      if (next == 0) {
        if (skip_depth == 0) emit_text("<");
        ++pos;
        continue;
      }
      pos = next;
      if (skip_depth > 0) {
        if (tag.name == "blockquote" && !tag.self_closing) skip_depth += tag.closing ? -1 : 1;
        if (skip_depth == 0) ensure_line_break();
        continue;
      }
      const std::string& name = tag.name;
      if (!tag.closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
        if (!tag.self_closing) pos = SkipRawText(html, pos, name);
        continue;
      }
      if (!tag.closing && StartsQuotedMail(tag)) break;  // it and all that follows are the earlier mail
      if (!tag.closing && name == "blockquote") {
        if (!tag.self_closing) skip_depth = 1;
        ensure_line_break();
        continue;
      }
      if (name == "br") {
        line_break();
      } else if (name == "li") {
        ensure_line_break();
        if (!tag.closing) out += "- ";
      } else if (name == "td" || name == "th") {
        if (tag.closing) pending_space = true;
      } else if (IsBlockTag(name)) {
        ensure_line_break();
        if (name == "pre") pre_depth = std::max(0, pre_depth + (tag.closing ? -1 : 1));
      }
      continue;
    }
    if (skip_depth > 0) {
      ++pos;
      continue;
    }
    if (c == '&') {
      std::string decoded;
      const size_t next = DecodeEntity(html, pos, decoded);
      if (next != 0) {
        emit_text(decoded);
        pos = next;
        continue;
      }
      emit_text("&");
      ++pos;
      continue;
    }
    if (IsAsciiSpace(c)) {
      if (pre_depth > 0) {
        if (c == '\n') {
          line_break();
        } else if (c != '\r') {
          out += c;
        }
      } else {
        pending_space = true;
      }
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < html.size() && html[end] != '<' && html[end] != '&' && !IsAsciiSpace(html[end])) ++end;
    emit_text(html.substr(pos, end - pos));
    pos = end;
  }
  return TidyLines(SanitizeUtf8(out));
}

Result<InboundMail> ParseInboundMail(std::string_view raw) {
  if (IsBlank(raw)) return Error::InvalidArgument("The e-mail is empty: the mail server sent no message.");
  // A pipe from the mail server may start with an mbox "From sender date" line.
  if (StartsWith(raw, "From ")) {
    const size_t eol = raw.find('\n');
    raw.remove_prefix(eol == std::string_view::npos ? raw.size() : eol + 1);
  }
  EnsureGMime();

  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) {
    return Error::InvalidArgument("This is not an e-mail message: its headers could not be read.");
  }
  GMimeObject* object = GMIME_OBJECT(message.get());
  // GMime reads almost anything as a message; a real one has at least one of these.
  if (!HasHeader(object, "From") && !HasHeader(object, "To") && !HasHeader(object, "Message-ID") &&
      !HasHeader(object, "Date") && !HasHeader(object, "Subject")) {
    return Error::InvalidArgument(
        "This is not an e-mail message: it has none of the From, To, Date, Subject or Message-ID headers.");
  }

  InboundMail mail;
  if (const char* id = g_mime_message_get_message_id(message.get())) mail.message_id = SanitizeUtf8(Trim(id));
  {
    std::vector<std::string> from;
    AddAddresses(g_mime_message_get_from(message.get()), from);
    if (!from.empty()) mail.from_address = from.front();
  }
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  const int header_count = headers ? g_mime_header_list_get_count(headers) : 0;
  for (const char* name : {"To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"}) {
    for (int i = 0; i < header_count; ++i) {
      GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
      const char* header_name = g_mime_header_get_name(header);
      if (header_name == nullptr || !EqualsIgnoreCase(header_name, name)) continue;
      const char* value = g_mime_header_get_raw_value(header);
      if (value == nullptr) continue;
      GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, value));
      AddAddresses(list.get(), mail.recipients);
    }
  }
  if (const char* subject = g_mime_message_get_subject(message.get())) {
    mail.subject = std::string(Trim(SanitizeUtf8(subject)));
  }

  BodyParts parts;
  Walk(g_mime_message_get_mime_part(message.get()), 0, parts);
  std::string body;
  bool has_body = false;
  if (parts.plain != nullptr) {
    body = TextOf(parts.plain);
    has_body = !IsBlank(body);
  }
  if (!has_body && parts.html != nullptr) {
    body = HtmlToText(TextOf(parts.html));
    has_body = !IsBlank(body);
  }
  if (!has_body && parts.attachments.empty()) {
    return Error::InvalidArgument(
        "The e-mail has nothing to post: no text part, no HTML part and no attachment.");
  }
  mail.text = has_body ? StripQuotedReply(body) : std::string();
  mail.attachments = std::move(parts.attachments);
  return mail;
}

}  // namespace parley::api
