// The log's stream of each aggregate instance. The names are part of the
// stored format (eventstore/FORMAT.md): never change them.
#pragma once

#include <string>
#include <string_view>

namespace parley::domain {

inline constexpr std::string_view kConversationStreamPrefix = "conv-";
inline constexpr std::string_view kDirectoryStreamPrefix = "firm-";

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

}  // namespace parley::domain
