#include "projections/attachments_projection.h"

#include <boost/json.hpp>

#include "domain/event_codec.h"
#include "domain/streams.h"

namespace parley::projections {

namespace json = boost::json;

Result<void> AttachmentsProjection::Apply(const eventstore::EventView& event, ReadModelWriter& writer) {
  if (event.stream().starts_with(domain::kUploadStreamPrefix)) {
    auto decoded = domain::DecodeAttachmentEvent(event.type(), event.schema_version(), event.payload());
    if (!decoded.ok()) return decoded.error();
    const auto& u = std::get<domain::AttachmentUploaded>(*decoded);
    writer.Put("up/" + u.upload, json::serialize(json::object{{"firm", u.firm},
                                                              {"dossier", u.dossier},
                                                              {"upload", u.upload},
                                                              {"uploader", u.uploader},
                                                              {"name", u.name},
                                                              {"content_type", u.content_type},
                                                              {"sha256", u.sha256},
                                                              {"size", u.size},
                                                              {"at", u.at}}));
    return {};
  }
  // Only a message's attachments can make an upload visible to others.
  if (!event.stream().starts_with(domain::kConversationStreamPrefix) || event.type() != "MessagePosted")
    return {};
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string conversation(event.stream().substr(domain::kConversationStreamPrefix.size()));
  for (const auto& a : std::get<domain::MessagePosted>(*decoded).attachments) {
    if (!a.upload_id.empty()) writer.Put("ref/" + a.upload_id + "/" + conversation, "");
  }
  return {};
}

Result<std::optional<domain::AttachmentUploaded>> LoadUpload(ReadModelStore& store,
                                                             const std::string& upload) {
  auto stored = store.Get(AttachmentsProjection::kName, "up/" + upload);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<domain::AttachmentUploaded>();
  json::error_code ec;
  json::value v = json::parse(**stored, ec);
  if (ec || !v.is_object()) return Error::Corruption("a stored upload is not JSON", 0);
  try {
    return std::optional<domain::AttachmentUploaded>(domain::AttachmentUploaded{
        std::string(v.at("firm").as_string()), std::string(v.at("dossier").as_string()),
        std::string(v.at("upload").as_string()), std::string(v.at("uploader").as_string()),
        std::string(v.at("name").as_string()), std::string(v.at("content_type").as_string()),
        std::string(v.at("sha256").as_string()), v.at("size").to_number<std::uint64_t>(),
        v.at("at").as_int64()});
  } catch (const std::exception&) {
    return Error::Corruption("a stored upload is malformed", 0);
  }
}

Result<std::vector<std::string>> UploadReferences(ReadModelStore& store, const std::string& upload) {
  const std::string prefix = "ref/" + upload + "/";
  auto rows = store.Scan(AttachmentsProjection::kName, prefix, "", 1000);
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  for (const auto& [key, value] : *rows) out.push_back(key.substr(prefix.size()));
  return out;
}

}  // namespace parley::projections
