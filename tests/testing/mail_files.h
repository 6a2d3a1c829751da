// Reads the e-mails a test received, as raw RFC 5322 bytes (the .eml files
// parleyd writes under DATA/outbox, or what a test SMTP server got), into
// the few fields tests check.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace parley::testing {

struct ReceivedMail {
  std::map<std::string, std::string> headers;  // lower-case names, unfolded values
  std::string body;                            // quoted-printable decoded
  std::string raw;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string kind() const { return Header("x-parley-kind"); }
  std::string message_id() const { return Header("message-id"); }
  // The bare addresses of To and Reply-To.
  std::string to() const { return Address(Header("to")); }
  std::string reply_to() const { return Address(Header("reply-to")); }

  // "Name <a@b>" -> "a@b"; a bare address stays as it is.
  static std::string Address(const std::string& value) {
    auto lt = value.find('<'), gt = value.find('>');
    return lt != std::string::npos && gt != std::string::npos ? value.substr(lt + 1, gt - lt - 1) : value;
  }
};

inline std::string DecodeQuotedPrintable(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;  // soft line break
    } else if (i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back('=');
    }
  }
  return out;
}

inline ReceivedMail ParseMail(const std::string& raw) {
  ReceivedMail mail;
  mail.raw = raw;
  std::size_t end = raw.find("\r\n\r\n");
  std::size_t body_at = end == std::string::npos ? std::string::npos : end + 4;
  if (end == std::string::npos) {
    end = raw.find("\n\n");
    body_at = end == std::string::npos ? raw.size() : end + 2;
  }
  std::string head = raw.substr(0, std::min(end, raw.size()));
  std::string last;
  std::istringstream lines(head);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (!last.empty()) mail.headers[last] += line;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    mail.headers[name] = value;
    last = name;
  }
  mail.body = body_at < raw.size() ? raw.substr(body_at) : "";
  if (mail.Header("content-transfer-encoding") == "quoted-printable")
    mail.body = DecodeQuotedPrintable(mail.body);
  return mail;
}

// Every .eml file of `dir`, oldest name first (names are mail ids: sorted
// only to be stable).
inline std::vector<ReceivedMail> ReadEmlDirectory(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<ReceivedMail> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    out.push_back(ParseMail(buffer.str()));
  }
  return out;
}

}  // namespace parley::testing
