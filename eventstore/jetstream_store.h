// The NATS JetStream backend of the event store: the log lives in a
// replicated JetStream stream; reads come from a local RocksDB copy that
// follows it (eventstore/JETSTREAM.md describes the design).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "eventstore/event_store.h"

namespace parley::eventstore {

struct JetStreamStoreOptions {
  std::vector<std::string> servers;  // "nats://127.0.0.1:4222", ...
  // Monitoring endpoints ("127.0.0.1:8222") of the servers, where the
  // store checks each server's version (2.10 or later) and that JetStream
  // syncs every write before acknowledging it (sync_interval: always).
  std::vector<std::string> monitors;
  // Skips those checks: acknowledged events may be lost if servers crash.
  bool unsafe_durability = false;
  // The log: `partitions` streams EV_P00, EV_P01, ... (EV_<log_name>_P00,
  // ... when named), each with subjects ev.<partition>.>. The count is
  // recorded in each stream's description, and a start with another count
  // is refused (it would move firms to other partitions).
  std::string log_name;
  std::size_t partitions = 1;
  // This store's partition: its index and name (OpenJetStreamLog sets them).
  std::size_t partition_index = 0;
  std::string partition = "P00";
  int replicas = 3;
  // The local copy (RocksDB), rebuilt if removed. OpenJetStreamLog puts
  // each partition's copy in a folder of its name under this one.
  std::string mirror_path;
  const Clock* clock = &SystemClock::Instance();
  // How long one publish waits for its acknowledgement before it is sent
  // again, and how long an append keeps trying before it answers
  // kUnavailable (its outcome then unknown: retry it with the same ids).
  std::chrono::milliseconds publish_timeout{500};
  std::chrono::milliseconds give_up_after{10000};
};

// Parses "nats://host:port[,host:port...][?monitor=host:port,...&replicas=N
// &partitions=N&log=NAME]" into `options`.
Result<void> ParseJetStreamUrl(std::string_view url, JetStreamStoreOptions& options);

// The name of partition `index` of a log: "P00", or "<log_name>_P00".
std::string PartitionName(const std::string& log_name, std::size_t index);

// Connects, checks the servers, creates the partition stream
// (options.partition) if missing, and catches the local copy up with it
// before returning.
Result<std::unique_ptr<EventStore>> OpenJetStreamStore(const JetStreamStoreOptions& options);

// Opens every partition of the log, in index order, each with its copy
// under options.mirror_path/<partition name>.
Result<std::vector<std::unique_ptr<EventStore>>> OpenJetStreamLog(const JetStreamStoreOptions& options);

// Something at most one process holds at a time, such as the right to send
// e-mail for a log that several parleyd share.
class Lease {
 public:
  virtual ~Lease() = default;
  // True while this process holds it. A holder that cannot renew it stops
  // saying so well before another process can take it.
  virtual bool Held() const = 0;
};

// The lease `name` in the cluster's key-value bucket PARLEY_LEASES
// (PARLEY_LEASES_<log name>): taken when free, renewed every ttl/4, given
// back when the object is destroyed; a holder that dies loses it within
// `ttl`.
Result<std::unique_ptr<Lease>> OpenJetStreamLease(const JetStreamStoreOptions& options, const std::string& name,
                                                  std::chrono::milliseconds ttl = std::chrono::seconds(10));

// Checks a NATS server's /varz answer (`body`, read from `monitor`): its
// version is 2.10 or later and JetStream syncs every write before
// acknowledging it (sync_interval: always). kInvalidArgument says which is
// not so.
Result<void> CheckNatsServerVarz(std::string_view body, std::string_view monitor);

// The subject token for a stream id: bytes outside [A-Za-z0-9_-] become
// %XX, so that no id can break a subject ('.', '*', '>', spaces).
std::string SubjectToken(std::string_view id);

}  // namespace parley::eventstore
