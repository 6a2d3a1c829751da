// The settings read model: each user's settings (SPEC section 6) under
// <firm>/<user>, as JSON, so that starting a conversation finds who takes
// part by default, and the recipient picker shows it, without the log.
#pragma once

#include <map>
#include <string>

#include "domain/settings.h"
#include "projections/projector.h"

namespace parley::projections {

class SettingsProjection final : public Projection {
 public:
  static constexpr const char* kName = "settings";
  std::string name() const override { return kName; }
  Result<void> Apply(const eventstore::EventView& event, ReadModelWriter& writer) override;
};

// One user's settings (the defaults if they never chose).
Result<domain::UserSettings> LoadSettings(ReadModelStore& store, const std::string& firm,
                                          const std::string& user);
// Every user of the firm who chose something, by user id.
Result<std::map<std::string, domain::UserSettings>> LoadFirmSettings(ReadModelStore& store,
                                                                     const std::string& firm);

}  // namespace parley::projections
