// SHA-256 over OpenSSL's EVP interface (used by the hash chain and, later,
// by content-addressed attachments).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley {

using Sha256Digest = std::array<std::uint8_t, 32>;

// The digest of `data`. Thread-safe; reuses a per-thread context because a
// fresh OpenSSL 3 fetch per call costs more than hashing a small event.
Sha256Digest Sha256(std::string_view data);

// Lower-case hexadecimal, 64 characters.
std::string ToHex(const Sha256Digest& digest);
std::string ToHex(std::string_view bytes);

}  // namespace parley
