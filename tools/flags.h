// Command-line flags of the form --name value, --name=value or --switch.
#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace parley::tools {

class Flags {
 public:
  // `switches` take no value; every other flag needs one.
  Flags(int argc, char** argv, std::set<std::string> switches);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<std::string>& positional() const { return positional_; }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback) const;
  // Fails (error()) if the value is not a whole number in [min, max].
  long long GetInt(const std::string& name, long long fallback, long long min, long long max);
  // Every flag given that is not in `known`; empty if all are known.
  std::string Unknown(const std::set<std::string>& known) const;

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::string error_;
};

// The event log of a data directory: DATA/log (the embedded RocksDB log),
// or DATA/jetstream, the local copy a parleyd on JetStream keeps (same
// format), when only that one is there.
std::string LogDirectory(const std::string& data);

}  // namespace parley::tools
