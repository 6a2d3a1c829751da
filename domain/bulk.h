// Sending to many dossiers (SPEC section 5): one job starts one
// conversation per chosen dossier. The job is an aggregate on its own
// stream, so that what was asked, and each dossier's outcome, survive a
// crash and the job resumes where it stopped. Pure decide/evolve.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace parley::domain {

// At most this many dossiers in one job.
inline constexpr std::size_t kMaxBulkDossiers = 10000;

// One dossier's outcome: its conversation, or why it has none.
struct BulkResult {
  std::string dossier, conversation;
  std::string error_code, error;  // empty when the conversation was started
  bool operator==(const BulkResult&) const = default;
};

// ---- Events (stream "bulk-<firm>/<job>") ----

struct BulkRequested {
  std::string firm, job, by;
  std::vector<std::string> dossiers;  // resolved from the list or the filter, in order
  std::string request;                // the fields of each start, as the caller sent them
  Micros at = 0;
  bool operator==(const BulkRequested&) const = default;
};
struct BulkProgressed {
  std::string firm, job;
  std::vector<BulkResult> results;
  Micros at = 0;
  bool operator==(const BulkProgressed&) const = default;
};
struct BulkCompleted {
  std::string firm, job;
  Micros at = 0;
  bool operator==(const BulkCompleted&) const = default;
};
using BulkEvent = std::variant<BulkRequested, BulkProgressed, BulkCompleted>;
const char* TypeName(const BulkEvent& event);
Micros TimeOf(const BulkEvent& event);

// ---- State ----

struct BulkJob {
  std::string firm, job, by;
  std::vector<std::string> dossiers;
  std::string request;
  std::map<std::string, BulkResult> results;  // by dossier
  bool completed = false;
  Micros requested_at = 0, completed_at = 0;

  bool exists() const { return !job.empty(); }
  // Dossiers without an outcome yet, in the requested order.
  std::vector<std::string> Pending() const;
  std::size_t Succeeded() const;
  std::size_t Failed() const { return results.size() - Succeeded(); }
};

// ---- Commands ----

struct RequestBulk {
  std::string firm, job, by;
  std::vector<std::string> dossiers;
  std::string request;
};
struct RecordResults {
  std::vector<BulkResult> results;
};
struct CompleteBulk {};
using BulkCommand = std::variant<RequestBulk, RecordResults, CompleteBulk>;

// A request again for an existing job records nothing (the caller's retry);
// results for dossiers outside the job, or already decided, are dropped;
// a job completes once every dossier has its outcome, and only once.
Result<std::vector<BulkEvent>> Decide(const BulkJob& state, const BulkCommand& command, Micros now);
void Evolve(BulkJob& state, const BulkEvent& event);

}  // namespace parley::domain
