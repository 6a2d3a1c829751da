// Command-line flags of the form --name value, --name=value or --switch.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "eventstore/partitioned_log.h"

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

// The event log of a data directory, read-only (for tools beside a running
// server): DATA/log, the embedded RocksDB log, or else the local copies a
// parleyd on JetStream keeps of its partitions (same format), in
// DATA/jetstream/<partition>, in partition order.
Result<std::unique_ptr<eventstore::PartitionedLog>> OpenDataLog(const std::string& data);

}  // namespace parley::tools
