#include "projections/bulk_projection.h"

#include "common/clock.h"
#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {

namespace json = boost::json;

namespace {

std::string Key(std::string_view firm, std::string_view job) {
  std::string key(firm);
  key.append("/").append(job);
  return key;
}

json::object ResultJson(const domain::BulkResult& r) {
  json::object out{{"dossier", r.dossier}};
  if (r.error_code.empty()) {
    out["conversation"] = r.conversation;
  } else {
    out["error"] = json::object{{"code", r.error_code}, {"message", r.error}};
  }
  return out;
}

std::string Encode(const domain::BulkJob& job) {
  json::object out = BulkJobJson(job);
  out["firm"] = job.firm;
  out["requested_at_micros"] = job.requested_at;
  out["completed_at_micros"] = job.completed_at;
  json::array dossiers;
  for (const auto& d : job.dossiers) dossiers.emplace_back(d);
  out["dossiers"] = std::move(dossiers);
  return json::serialize(out);
}

Result<domain::BulkJob> Decode(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::Corruption("a stored bulk job is not JSON", 0);
  domain::BulkJob job;
  try {
    const json::object& o = v.as_object();
    job.firm = o.at("firm").as_string();
    job.job = o.at("id").as_string();
    job.by = o.at("requested_by").as_string();
    job.completed = o.at("status").as_string() == "done";
    job.requested_at = o.at("requested_at_micros").as_int64();
    job.completed_at = o.at("completed_at_micros").as_int64();
    for (const auto& d : o.at("dossiers").as_array()) job.dossiers.emplace_back(d.as_string());
    for (const auto& r : o.at("results").as_array()) {
      domain::BulkResult result{std::string(r.at("dossier").as_string()), "", "", ""};
      if (const json::value* c = r.as_object().if_contains("conversation"))
        result.conversation = c->as_string();
      if (const json::value* e = r.as_object().if_contains("error")) {
        result.error_code = e->at("code").as_string();
        result.error = e->at("message").as_string();
      }
      job.results[result.dossier] = std::move(result);
    }
  } catch (const std::exception&) {
    return Error::Corruption("a stored bulk job is malformed", 0);
  }
  return job;
}

}  // namespace

json::object BulkJobJson(const domain::BulkJob& job) {
  json::array results;
  for (const auto& dossier : job.dossiers) {
    if (auto it = job.results.find(dossier); it != job.results.end())
      results.push_back(ResultJson(it->second));
  }
  return {
      {"id", job.job},
      {"status", job.completed ? "done" : "running"},
      {"total", job.dossiers.size()},
      {"succeeded", job.Succeeded()},
      {"failed", job.Failed()},
      {"requested_by", job.by},
      {"requested_at", FormatRfc3339(job.requested_at)},
      {"completed_at", job.completed ? json::value(FormatRfc3339(job.completed_at)) : json::value(nullptr)},
      {"results", std::move(results)}};
}

Result<void> BulkProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (!event.stream().starts_with(domain::kBulkStreamPrefix)) return {};
  auto decoded = domain::DecodeBulkEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const auto [firm, job_id] = std::visit([](const auto& e) { return std::pair(e.firm, e.job); }, *decoded);
  return UpdateStored<domain::BulkJob>(
      writer, Key(firm, job_id), Decode, [&](domain::BulkJob& job) { domain::Evolve(job, *decoded); },
      Encode);
}

Result<std::optional<domain::BulkJob>> LoadBulkJob(ReadModelStore& store, const std::string& firm,
                                                   const std::string& job) {
  auto stored = store.Get(BulkProjection::kName, Key(firm, job));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<domain::BulkJob>();
  auto decoded = Decode(**stored);
  if (!decoded.ok()) return decoded.error();
  return std::optional<domain::BulkJob>(std::move(*decoded));
}

Result<std::vector<std::pair<std::string, std::string>>> RunningBulkJobs(ReadModelStore& store) {
  std::vector<std::pair<std::string, std::string>> out;
  constexpr std::size_t kPage = 256;
  for (std::string start;;) {
    auto rows = store.Scan(BulkProjection::kName, "", start, kPage);
    if (!rows.ok()) return rows.error();
    for (const auto& [key, value] : *rows) {
      auto job = Decode(value);
      if (!job.ok()) return job.error();
      if (!job->completed) out.emplace_back(job->firm, job->job);
    }
    if (rows->size() < kPage) return out;
    start = rows->back().first + '\0';
  }
}

}  // namespace parley::projections
