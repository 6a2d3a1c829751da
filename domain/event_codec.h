// Conversation events to and from their FlatBuffers payloads (events.fbs).
// Pure functions over bytes: the event store keeps them inside envelopes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "domain/attachments.h"
#include "domain/bulk.h"
#include "domain/conversation.h"
#include "domain/notifications.h"
#include "domain/settings.h"
#include "domain/templates.h"

namespace parley::domain {

inline constexpr std::uint32_t kEventSchemaVersion = 1;

std::string EncodeEvent(const Event& event);
std::string EncodeEvent(const DirectoryEvent& event);
std::string EncodeEvent(const SettingsEvent& event);
std::string EncodeEvent(const TemplateEvent& event);
std::string EncodeEvent(const BulkEvent& event);
std::string EncodeEvent(const AttachmentEvent& event);
std::string EncodeEvent(const OutboxEvent& event);

// Verifies `payload` with the FlatBuffers Verifier before reading it; an
// unknown type or version, or bytes that do not verify, are kCorruption.
Result<Event> DecodeEvent(std::string_view type, std::uint32_t schema_version, std::string_view payload);
Result<DirectoryEvent> DecodeDirectoryEvent(std::string_view type, std::uint32_t schema_version,
                                            std::string_view payload);
Result<SettingsEvent> DecodeSettingsEvent(std::string_view type, std::uint32_t schema_version,
                                          std::string_view payload);
Result<TemplateEvent> DecodeTemplateEvent(std::string_view type, std::uint32_t schema_version,
                                          std::string_view payload);
Result<AttachmentEvent> DecodeAttachmentEvent(std::string_view type, std::uint32_t schema_version,
                                              std::string_view payload);
Result<OutboxEvent> DecodeOutboxEvent(std::string_view type, std::uint32_t schema_version,
                                      std::string_view payload);
Result<BulkEvent> DecodeBulkEvent(std::string_view type, std::uint32_t schema_version,
                                  std::string_view payload);

}  // namespace parley::domain
