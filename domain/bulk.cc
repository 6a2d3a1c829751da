#include "domain/bulk.h"

#include <algorithm>
#include <set>

#include "common/overloaded.h"

namespace parley::domain {

const char* TypeName(const BulkEvent& event) {
  static constexpr const char* kNames[] = {"BulkRequested", "BulkProgressed", "BulkCompleted"};
  return kNames[event.index()];
}

Micros TimeOf(const BulkEvent& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

std::vector<std::string> BulkJob::Pending() const {
  std::vector<std::string> out;
  for (const auto& dossier : dossiers) {
    if (!results.count(dossier)) out.push_back(dossier);
  }
  return out;
}

std::size_t BulkJob::Succeeded() const {
  return std::count_if(results.begin(), results.end(),
                       [](const auto& r) { return r.second.error_code.empty(); });
}

Result<std::vector<BulkEvent>> Decide(const BulkJob& state, const BulkCommand& command, Micros now) {
  using Events = std::vector<BulkEvent>;
  return std::visit(
      Overloaded{
          [&](const RequestBulk& c) -> Result<Events> {
            if (state.exists()) return Events{};
            if (c.dossiers.empty()) return Error::InvalidArgument("No dossier to send to.");
            if (c.dossiers.size() > kMaxBulkDossiers)
              return Error::InvalidArgument("At most 10000 dossiers in one send.");
            // Each dossier once, in the order given.
            std::vector<std::string> dossiers;
            std::set<std::string> seen;
            for (const auto& d : c.dossiers) {
              if (seen.insert(d).second) dossiers.push_back(d);
            }
            return Events{BulkRequested{c.firm, c.job, c.by, std::move(dossiers), c.request, now}};
          },
          [&](const RecordResults& c) -> Result<Events> {
            if (!state.exists()) return Error::NotFound("There is no such job.");
            std::set<std::string> in_job(state.dossiers.begin(), state.dossiers.end());
            BulkProgressed progressed{state.firm, state.job, {}, now};
            std::set<std::string> taken;
            for (const BulkResult& r : c.results) {
              if (in_job.count(r.dossier) && !state.results.count(r.dossier) &&
                  taken.insert(r.dossier).second)
                progressed.results.push_back(r);
            }
            if (progressed.results.empty()) return Events{};
            return Events{std::move(progressed)};
          },
          [&](const CompleteBulk&) -> Result<Events> {
            if (!state.exists()) return Error::NotFound("There is no such job.");
            if (state.completed) return Events{};
            if (!state.Pending().empty())
              return Error::InvalidArgument("The job still has dossiers without an outcome.");
            return Events{BulkCompleted{state.firm, state.job, now}};
          },
      },
      command);
}

void Evolve(BulkJob& state, const BulkEvent& event) {
  std::visit(Overloaded{
                 [&](const BulkRequested& e) {
                   state.firm = e.firm;
                   state.job = e.job;
                   state.by = e.by;
                   state.dossiers = e.dossiers;
                   state.request = e.request;
                   state.requested_at = e.at;
                 },
                 [&](const BulkProgressed& e) {
                   for (const BulkResult& r : e.results) state.results[r.dossier] = r;
                 },
                 [&](const BulkCompleted& e) {
                   state.completed = true;
                   state.completed_at = e.at;
                 },
             },
             event);
}

}  // namespace parley::domain
