// Key layout of the RocksDB backend (internal; FORMAT.md describes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::eventstore::keys {

// Column families.
inline constexpr const char* kLogFamily = "log";             // position -> envelope
inline constexpr const char* kStreamsFamily = "streams";     // stream \0 version -> position
inline constexpr const char* kEventIdsFamily = "event_ids";  // event id -> position
// The default family holds kHeadKey -> position, SHA-256 of the last event.
inline constexpr std::string_view kHeadKey = "head";
// A mirror (the JetStream backend's copy) also holds kSourceSequenceKey ->
// the source message applied last (u64), written with its events.
inline constexpr std::string_view kSourceSequenceKey = "source_sequence";
// ... and, per stream, its subject: the last source message on it (u64),
// whether or not it placed events (what the next conditional write
// expects), then the owner's subject token (the firm's).
inline std::string StreamSubjectKey(std::string_view stream) {
  std::string key("stream_subject");
  key.push_back('\0');
  key.append(stream);
  return key;
}

// Big-endian, so that byte order is numeric order.
inline std::string EncodeU64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

inline std::optional<std::uint64_t> DecodeU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  std::uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

inline std::string LogKey(std::uint64_t position) {
  return EncodeU64(position);
}

// Stream ids never hold a NUL byte, so "stream\0" prefixes exactly one stream.
inline std::string StreamPrefix(std::string_view stream) {
  std::string key(stream);
  key.push_back('\0');
  return key;
}

inline std::string StreamKey(std::string_view stream, std::uint64_t version) {
  return StreamPrefix(stream) + EncodeU64(version);
}

}  // namespace parley::eventstore::keys
