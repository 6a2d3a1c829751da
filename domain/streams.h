// The log's stream of each aggregate instance. The names are part of the
// stored format (eventstore/FORMAT.md): never change them.
#pragma once

#include <string>
#include <string_view>

namespace parley::domain {

inline constexpr std::string_view kConversationStreamPrefix = "conv-";
inline constexpr std::string_view kDirectoryStreamPrefix = "firm-";
inline constexpr std::string_view kSettingsStreamPrefix = "settings-";
inline constexpr std::string_view kTemplatesStreamPrefix = "templates-";
inline constexpr std::string_view kBulkStreamPrefix = "bulk-";
inline constexpr std::string_view kUploadStreamPrefix = "upload-";
inline constexpr std::string_view kOutboxStreamPrefix = "outbox-";

// "<prefix><id>", or "<prefix><firm>/<id>" ('/' never appears in an id).
inline std::string StreamName(std::string_view prefix, std::string_view id, std::string_view within = {}) {
  std::string stream(prefix);
  if (!within.empty()) stream.append(within).append("/");
  stream.append(id);
  return stream;
}

// One stream per conversation: "conv-<conversation id>".
inline std::string ConversationStream(std::string_view conversation) {
  return StreamName(kConversationStreamPrefix, conversation);
}
// One directory per firm: "firm-<firm id>".
inline std::string DirectoryStream(std::string_view firm) {
  return StreamName(kDirectoryStreamPrefix, firm);
}
// One per user: "settings-<firm>/<user>".
inline std::string SettingsStream(std::string_view firm, std::string_view user) {
  return StreamName(kSettingsStreamPrefix, user, firm);
}
// A firm's overrides and own templates: "templates-<firm>".
inline std::string TemplatesStream(std::string_view firm) {
  return StreamName(kTemplatesStreamPrefix, firm);
}
// One per job of sending to many dossiers: "bulk-<firm>/<job>".
inline std::string BulkStream(std::string_view firm, std::string_view job) {
  return StreamName(kBulkStreamPrefix, job, firm);
}

// One per uploaded file: "upload-<firm>/<upload id>".
inline std::string UploadStream(std::string_view firm, std::string_view upload) {
  return StreamName(kUploadStreamPrefix, upload, firm);
}

// A firm's e-mails, decided and delivered: "outbox-<firm>".
inline std::string OutboxStream(std::string_view firm) {
  return StreamName(kOutboxStreamPrefix, firm);
}

}  // namespace parley::domain
