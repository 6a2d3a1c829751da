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

namespace {

json::object UploadJson(const domain::AttachmentUploaded& u) {
  return {{"id", u.upload},
          {"name", u.name},
          {"size", u.size},
          {"sha256", u.sha256},
          {"content_type", u.content_type},
          {"dossier", u.dossier}};
}

}  // namespace

Result<Written> Service::Upload(const Caller& caller, const std::string& dossier, const std::string& name,
                                const std::string& content_type, std::uint64_t size,
                                const std::function<Result<StoredBlob>()>& keep) {
  auto party = Resolve(caller);
  if (!party.ok()) return party.error();
  auto access = DossierFor(*party, dossier);
  if (!access.ok()) return access.error();
  const std::string firm = party->directory->firm->firm;
  domain::AttachmentUploaded upload{firm, dossier,
                                    "",   party->actor.id,
                                    name, content_type.empty() ? "application/octet-stream" : content_type,
                                    "",   size,
                                    0};
  // The upload's rules first: nothing is kept for a refused one.
  if (auto allowed = domain::Decide(domain::Upload{}, upload); !allowed.ok()) return allowed.error();
  auto blob = keep();
  if (!blob.ok()) return blob.error();
  upload.sha256 = blob->sha256;
  upload.size = blob->size;
  // Under an Idempotency-Key, a retry is the same request only with the same bytes.
  Caller keyed = caller;
  keyed.body_sha = blob->sha256;
  upload.upload = NewResourceId(keyed, "a_", clock_.Now());
  std::optional<Idempotency> idempotency;
  if (!keyed.idempotency_scope.empty()) idempotency = Idempotency{keyed.idempotency_scope, keyed.body_sha};
  auto outcome = RunCommand<domain::Upload, domain::AttachmentEvent>(
      LogOf(firm), projector_, clock_, domain::UploadStream(firm, upload.upload), party->actor.id,
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
