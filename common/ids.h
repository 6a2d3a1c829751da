// Server-chosen ids: a prefix and a ULID (48-bit millisecond time, 80
// random bits, Crockford base32), so that ids sort by creation time, as in
// "c_01JD3X7M5QK8V2N4R6T8W0Y2Z4".
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"

namespace parley {

std::string NewId(std::string_view prefix, Micros now);

}  // namespace parley
