// The log's stream of each aggregate instance. The names are part of the
// stored format (eventstore/FORMAT.md): never change them.
#pragma once

#include <string>
#include <string_view>

namespace parley::domain {

inline constexpr std::string_view kConversationStreamPrefix = "conv-";
inline constexpr std::string_view kDirectoryStreamPrefix = "firm-";
inline constexpr std::string_view kSettingsStreamPrefix = "settings-";

// One stream per conversation: "conv-<conversation id>".
inline std::string ConversationStream(std::string_view conversation) {
  std::string stream(kConversationStreamPrefix);
  stream.append(conversation);
  return stream;
}

// One directory per firm: "firm-<firm id>".
inline std::string DirectoryStream(std::string_view firm) {
  std::string stream(kDirectoryStreamPrefix);
  stream.append(firm);
  return stream;
}

// One per user: "settings-<firm>/<user>" ('/' never appears in an id).
inline std::string SettingsStream(std::string_view firm, std::string_view user) {
  std::string stream(kSettingsStreamPrefix);
  stream.append(firm).append("/").append(user);
  return stream;
}

}  // namespace parley::domain
