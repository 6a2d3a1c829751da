// Sending to many dossiers (SPEC section 5): the request becomes a job on
// its own stream; a background runner starts one conversation per dossier
// and records each outcome, so that a retry or a restart resumes the job
// and never starts a second conversation in a dossier.
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/bulk_runner.h"
#include "api/command_runner.h"
#include "api/json_fields.h"
#include "api/service.h"
#include "common/ids.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/bulk_projection.h"

namespace parley::api {

namespace json = boost::json;

namespace {

// Conversations started at once by one job: enough for the group commit
// to share syncs, few enough to leave the HTTP threads their share.
constexpr int kBulkWorkers = 4;
// Outcomes are recorded on the job's stream in batches of this many.
constexpr std::size_t kResultsPerEvent = 100;

// The dossiers a filter {assigned_to_me?, language?, all?} selects.
Result<std::vector<std::string>> Filtered(const Service::Party& party, const json::value& filter) {
  if (!filter.is_object())
    return Error::InvalidArgument("\"filter\" is {assigned_to_me?: true, language?: \"nl\", all?: true}.");
  const json::object& f = filter.as_object();
  bool all = false, mine = false;
  std::string language;
  for (const auto& [name, value] : f) {
    if (name == "all" && value.is_bool()) {
      all = value.as_bool();
    } else if (name == "assigned_to_me" && value.is_bool()) {
      mine = value.as_bool();
    } else if (name == "language" && value.is_string() && domain::IsLanguage(value.as_string())) {
      language = value.as_string();
    } else {
      return Error::InvalidArgument(
          "\"filter\" takes assigned_to_me (true), language (fr, nl, en, de) and all "
          "(true); \"" +
          std::string(name) + "\" is not one of them or has a wrong value.");
    }
  }
  if (!all && !mine && language.empty())
    return Error::InvalidArgument("The filter selects nothing: give all, assigned_to_me or language.");
  const domain::Directory& directory = *party.directory;
  std::vector<std::string> out;
  for (const auto& [id, dossier] : directory.dossiers) {
    if (mine && std::find(dossier.staff.begin(), dossier.staff.end(), party.actor.id) == dossier.staff.end())
      continue;
    if (!language.empty() &&
        domain::RenderLanguage(dossier.language, directory.firm->default_language) != language)
      continue;
    out.push_back(id);
  }
  return out;
}

// What each dossier's start takes: the request without its selection.
json::object StartFields(const json::object& body) {
  json::object fields = body;
  fields.erase("dossiers");
  fields.erase("filter");
  return fields;
}

}  // namespace

Result<domain::BulkJob> Service::RunBulk(const std::string& firm, const std::string& job,
                                         const std::string& actor, const domain::BulkCommand& command,
                                         const Idempotency* idempotency) {
  auto outcome = RunCommand<domain::BulkJob, domain::BulkEvent>(
      LogOf(firm), projector_, clock_, domain::BulkStream(firm, job), actor,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeBulkEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::BulkJob& state, Micros now) { return domain::Decide(state, command, now); },
      std::nullopt, idempotency);
  if (!outcome.ok()) return outcome.error();
  return std::move(outcome->state);
}

Result<json::object> Service::StartBulk(const Caller& caller, const json::object& body) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (!party->actor.is_staff()) return Error::Forbidden("Only staff send to many dossiers.");
  const json::value* list = body.if_contains("dossiers");
  const json::value* filter = body.if_contains("filter");
  if ((list == nullptr) == (filter == nullptr))
    return Error::InvalidArgument("Give either \"dossiers\": [ids] or \"filter\": {...}.");
  std::vector<std::string> dossiers;
  if (list != nullptr) {
    auto ids = StringList(body, "dossiers");
    if (!ids.ok()) return ids.error();
    dossiers = std::move(*ids);
  } else {
    auto selected = Filtered(*party, *filter);
    if (!selected.ok()) return selected.error();
    dossiers = std::move(*selected);
  }
  const json::object fields = StartFields(body);
  // What would fail in every dossier (no subject or text, a template that
  // does not render) is refused now, before any job: the start is decided,
  // not written, for the first dossier of the firm.
  for (const auto& dossier : dossiers) {
    auto found = party->directory->AccessFor(dossier);
    if (!found) continue;
    auto access = WithParticipation(*party, std::move(*found));
    if (!access.ok()) return access.error();
    auto command = StartCommand(*party, *access, caller, fields);
    if (!command.ok()) return command.error();
    auto decided = domain::Decide(domain::Conversation{}, *command, {party->actor, *access, clock_.Now()});
    if (!decided.ok() && decided.error().code == ErrorCode::kInvalidArgument) return decided.error();
    break;
  }
  const std::string firm = party->directory->firm->firm;
  const std::string job = NewResourceId(caller, "bulk_", clock_.Now());
  std::optional<Idempotency> idempotency;
  if (!caller.idempotency_scope.empty()) idempotency = Idempotency{caller.idempotency_scope, caller.body_sha};
  auto state =
      RunBulk(firm, job, party->actor.id,
              domain::RequestBulk{firm, job, party->actor.id, std::move(dossiers), json::serialize(fields)},
              idempotency ? &*idempotency : nullptr);
  if (!state.ok()) return state.error();
  // A retry of a job that was interrupted resumes it here, as a restart does.
  if (!state->completed) bulk_runner_->Submit(firm, job);
  return projections::BulkJobJson(*state);
}

Result<json::object> Service::GetBulk(const Claims& caller, const std::string& job) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  if (!party->actor.is_staff() && party->actor.kind != domain::UserKind::kAdmin)
    return Error::NotFound("There is no such job.");
  auto stored = projections::LoadBulkJob(models_, party->directory->firm->firm, job);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return Error::NotFound("There is no such job.");
  return projections::BulkJobJson(**stored);
}

Result<void> Service::ResumeBulkJobs() {
  auto running = projections::RunningBulkJobs(models_);
  if (!running.ok()) return running.error();
  for (const auto& [firm, job] : *running) bulk_runner_->Submit(firm, job);
  return {};
}

void Service::StopBulkJobs() {
  bulk_runner_->Stop();
}

void Service::RunBulkJob(const std::string& firm, const std::string& job, const std::atomic<bool>& stopping) {
  // The job as the log has it, with its request.
  auto loaded = RunBulk(firm, job, "", domain::RecordResults{}, nullptr);
  if (!loaded.ok() || !loaded->exists()) return;
  const domain::BulkJob state = std::move(*loaded);
  json::error_code ec;
  json::value request = json::parse(state.request, ec);
  if (ec || !request.is_object()) return;
  const std::string body_sha = ToHex(Sha256(state.request));
  const std::vector<std::string> pending = state.Pending();

  // Workers start conversations; this thread records their outcomes.
  std::mutex mutex;
  std::condition_variable ready;
  std::vector<domain::BulkResult> outcomes;
  std::atomic<std::size_t> next = 0;
  int working = kBulkWorkers;
  auto work = [&] {
    for (std::size_t i; !stopping && (i = next++) < pending.size();) {
      const std::string& dossier = pending[i];
      // Each dossier's start is idempotent on its own key: a resumed job
      // finds the conversation it started before the crash.
      Caller caller;
      caller.subject = state.by;
      caller.firm = firm;
      caller.idempotency_scope = "bulk/" + firm + "/" + job + "/" + dossier;
      caller.body_sha = body_sha;
      auto started = StartConversation(caller, dossier, request.as_object());
      domain::BulkResult outcome{dossier, "", "", ""};
      if (started.ok()) {
        outcome.conversation = started->resource.at("id").as_string();
      } else {
        outcome.error_code = ToString(started.error().code);
        outcome.error = started.error().message;
      }
      std::lock_guard lock(mutex);
      outcomes.push_back(std::move(outcome));
      if (outcomes.size() >= kResultsPerEvent) ready.notify_one();
    }
    std::lock_guard lock(mutex);
    --working;
    ready.notify_one();
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < kBulkWorkers; ++w) workers.emplace_back(work);
  for (bool done = false; !done;) {
    std::vector<domain::BulkResult> batch;
    {
      std::unique_lock lock(mutex);
      ready.wait_for(lock, std::chrono::milliseconds(250),
                     [&] { return working == 0 || outcomes.size() >= kResultsPerEvent; });
      done = working == 0;
      batch.swap(outcomes);
    }
    if (batch.empty()) continue;
    // Not recorded: those dossiers stay pending, and the next run finds
    // their conversations by their keys.
    if (auto recorded = RunBulk(firm, job, state.by, domain::RecordResults{std::move(batch)}, nullptr);
        !recorded.ok())
      std::cerr << "parleyd: bulk job " << job << ": " << recorded.error().message << "\n";
  }
  for (auto& w : workers) w.join();
  if (stopping) return;
  if (auto completed = RunBulk(firm, job, state.by, domain::CompleteBulk{}, nullptr); !completed.ok())
    std::cerr << "parleyd: bulk job " << job
              << " stays open until the next start: " << completed.error().message << "\n";
}

}  // namespace parley::api
