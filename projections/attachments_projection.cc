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
  // Only a message's attachments can make an upload visible to others,
  // and only while the message is not deleted.
  if (!event.stream().starts_with(domain::kConversationStreamPrefix)) return {};
  if (event.type() != "MessagePosted" && event.type() != "MessageDeleted") return {};
  auto decoded = domain::DecodeEvent(event.type(), event.schema_version(), event.payload());
  if (!decoded.ok()) return decoded.error();
  const std::string conversation(event.stream().substr(domain::kConversationStreamPrefix.size()));
  if (const auto* posted = std::get_if<domain::MessagePosted>(&*decoded)) {
    std::string uploads;
    for (const auto& a : posted->attachments) {
      if (a.upload_id.empty()) continue;
      writer.Put("ref/" + a.upload_id + "/" + conversation + "/" + posted->message, "");
      uploads.append(a.upload_id).append("\n");
    }
    if (!uploads.empty()) writer.Put("msg/" + conversation + "/" + posted->message, uploads);
    return {};
  }
  const auto& deleted = std::get<domain::MessageDeleted>(*decoded);
  auto uploads = writer.Get("msg/" + conversation + "/" + deleted.message);
  if (!uploads.ok()) return uploads.error();
  if (!uploads->has_value()) return {};
  std::string_view list = **uploads;
  for (std::size_t end; (end = list.find('\n')) != std::string_view::npos; list.remove_prefix(end + 1))
    writer.Delete("ref/" + std::string(list.substr(0, end)) + "/" + conversation + "/" + deleted.message);
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
  // ref/<upload>/<conversation>/<message>: each conversation once.
  std::vector<std::string> out;
  for (const auto& [key, value] : *rows) {
    std::string conversation = key.substr(prefix.size(), key.find('/', prefix.size()) - prefix.size());
    if (out.empty() || out.back() != conversation) out.push_back(std::move(conversation));
  }
  return out;
}

}  // namespace parley::projections
