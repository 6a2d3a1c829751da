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
  std::string partition = "P00";  // stream EV_<partition>, subjects ev.<partition>.>
  int replicas = 3;
  std::string mirror_path;  // the local copy (RocksDB), rebuilt if removed
  const Clock* clock = &SystemClock::Instance();
  // How long one publish waits for its acknowledgement before it is sent
  // again, and how long an append keeps trying before it answers
  // kUnavailable (its outcome then unknown: retry it with the same ids).
  std::chrono::milliseconds publish_timeout{500};
  std::chrono::milliseconds give_up_after{10000};
};

// Parses "nats://host:port[,host:port...][?replicas=N&monitor=host:port,...
// &partition=P00]" into `options` (servers, monitors, replicas, partition).
Result<void> ParseJetStreamUrl(std::string_view url, JetStreamStoreOptions& options);

// Connects, checks the servers, creates the partition stream if missing,
// and catches the local copy up with it before returning.
Result<std::unique_ptr<EventStore>> OpenJetStreamStore(const JetStreamStoreOptions& options);

// Checks a NATS server's /varz answer (`body`, read from `monitor`): its
// version is 2.10 or later and JetStream syncs every write before
// acknowledging it (sync_interval: always). kInvalidArgument says which is
// not so.
Result<void> CheckNatsServerVarz(std::string_view body, std::string_view monitor);

// The subject token for a stream id: bytes outside [A-Za-z0-9_-] become
// %XX, so that no id can break a subject ('.', '*', '>', spaces).
std::string SubjectToken(std::string_view id);

}  // namespace parley::eventstore
