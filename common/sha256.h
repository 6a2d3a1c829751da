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

// SHA-256 over data given piece by piece.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  Sha256Digest Final();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// Lower-case hexadecimal, 64 characters.
std::string ToHex(const Sha256Digest& digest);
std::string ToHex(std::string_view bytes);

}  // namespace parley
