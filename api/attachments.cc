// The attachments half of the service (SPEC section 3): recording an
// upload whose bytes the router has kept, who may download it, and the
// uploads a message may hold.
#include "api/command_runner.h"
#include "api/service.h"
#include "domain/event_codec.h"
#include "domain/streams.h"
#include "projections/attachments_projection.h"

namespace parley::api {

namespace json = boost::json;

json::object UploadJson(const domain::AttachmentUploaded& u) {
  return {{"id", u.upload},
          {"name", u.name},
          {"size", u.size},
          {"sha256", u.sha256},
          {"content_type", u.content_type},
          {"dossier", u.dossier}};
}

Result<void> Service::CheckUpload(const Claims& caller, const std::string& dossier, const std::string& name,
                                  std::uint64_t size) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  domain::AttachmentUploaded candidate;
  candidate.upload = "check";
  candidate.name = name;
  candidate.size = size;
  auto decided = domain::Decide(domain::Upload{}, candidate);
  if (!decided.ok()) return decided.error();
  return {};
}

Result<Written> Service::RecordUpload(const Caller& caller, const std::string& dossier,
                                      const std::string& name, const std::string& content_type,
                                      const std::string& sha256, std::uint64_t size) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  const std::string firm = party->directory->firm->firm;
  domain::AttachmentUploaded upload{firm,
                                    dossier,
                                    NewResourceId(caller, "a_", clock_.Now()),
                                    party->actor.id,
                                    name,
                                    content_type.empty() ? "application/octet-stream" : content_type,
                                    sha256,
                                    size,
                                    0};
  std::optional<Idempotency> idempotency;
  if (!caller.idempotency_scope.empty()) idempotency = Idempotency{caller.idempotency_scope, caller.body_sha};
  auto outcome = RunCommand<domain::Upload, domain::AttachmentEvent>(
      log_, projector_, clock_, domain::UploadStream(firm, upload.upload), party->actor.id,
      [](const eventstore::RecordedEvent& r) {
        return domain::DecodeAttachmentEvent(r.type(), r.schema_version(), r.payload());
      },
      [&](const domain::Upload& state, Micros now) {
        upload.at = now;
        return domain::Decide(state, upload);
      },
      std::nullopt, idempotency ? &*idempotency : nullptr);
  if (!outcome.ok()) return outcome.error();
  return Written{UploadJson(outcome->state.uploaded), true};
}

Result<domain::AttachmentUploaded> Service::DownloadableUpload(const Claims& caller,
                                                               const std::string& upload) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  const Error unseen = Error::NotFound("There is no such attachment.");
  auto stored = projections::LoadUpload(models_, upload);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value() || (**stored).firm != party->directory->firm->firm) return unseen;
  // Its uploader sees it at once; others once a message they see holds it.
  if ((**stored).uploader == party->actor.id) return std::move(**stored);
  auto references = projections::UploadReferences(models_, upload);
  if (!references.ok()) return references.error();
  for (const auto& conversation : *references) {
    if (Visible(*party, conversation).ok()) return std::move(**stored);
  }
  return unseen;
}

Result<void> Service::CheckUploads(const Party& party, const std::string& dossier,
                                   std::vector<domain::AttachmentRef>& attachments) {
  for (auto& a : attachments) {
    if (a.upload_id.empty()) continue;
    auto stored = projections::LoadUpload(models_, a.upload_id);
    if (!stored.ok()) return stored.error();
    // Only one's own uploads, made in this dossier: an upload id never
    // opens someone else's file.
    if (!stored->has_value() || (**stored).firm != party.directory->firm->firm ||
        (**stored).dossier != dossier || (**stored).uploader != party.actor.id)
      return Error::InvalidArgument("\"" + a.upload_id + "\" is not a file you uploaded to this dossier.");
    a.name = (**stored).name;
  }
  return {};
}

}  // namespace parley::api
