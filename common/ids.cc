#include "common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace parley {

std::string NewId(std::string_view prefix, Micros now) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::array<unsigned char, 10> random{};
  if (RAND_bytes(random.data(), random.size()) != 1) throw std::runtime_error("no randomness from OpenSSL");
  // 128 bits: 48 of time, 80 of randomness, written as 26 base32 digits.
  unsigned __int128 value = static_cast<unsigned __int128>(static_cast<std::uint64_t>(now / 1000) & 0xFFFFFFFFFFFF)
                            << 80;
  for (std::size_t i = 0; i < random.size(); ++i) {
    value |= static_cast<unsigned __int128>(random[i]) << (8 * (random.size() - 1 - i));
  }
  std::string id(prefix);
  char digits[26];
  for (int i = 25; i >= 0; --i) {
    digits[i] = kAlphabet[static_cast<unsigned>(value & 31)];
    value >>= 5;
  }
  id.append(digits, 26);
  return id;
}

}  // namespace parley
