// The application service: turns authenticated requests into commands
// (load the aggregate from its stream, decide, append with its version,
// wait for the projections) and queries of the read models. The router
// maps HTTP onto it; it knows nothing of HTTP itself.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/attachment_store.h"
#include "api/jwt.h"
#include "common/clock.h"
#include "common/result.h"
#include "domain/attachments.h"
#include "domain/bulk.h"
#include "domain/conversation.h"
#include "domain/directory.h"
#include "domain/settings.h"
#include "domain/templates.h"
#include "eventstore/event_store.h"
#include "eventstore/partitioned_log.h"
#include "projections/conversation_projection.h"
#include "projections/directory_projection.h"
#include "projections/projector.h"

namespace parley::api {

struct Idempotency;
class BulkRunner;
class ReplyTokens;

// The caller of a request: the token's claims and the request's
// preconditions.
struct Caller : Claims {
  std::optional<std::uint64_t> if_match;  // If-Match: the conversation's expected version
  // Idempotency-Key, scoped to firm, user, method and path (empty: none),
  // and the hex SHA-256 of the request body.
  std::string idempotency_scope;
  std::string body_sha;
};

// A new id, or under an Idempotency-Key the same one on every retry.
std::string NewResourceId(const Caller& caller, std::string_view prefix, Micros now);

// A successful write: the resource as JSON and whether it was created.
struct Written {
  boost::json::object resource;
  bool created = false;
  std::optional<std::uint64_t> version;  // for the ETag of a conversation
};

class Service {
 public:
  // A user of a firm as the directory knows them, with that directory.
  struct Party {
    std::shared_ptr<const domain::Directory> directory;  // shared with the cache: never copied
    domain::Actor actor;
  };

  // `directory` tells the service's directory cache when to reload.
  Service(const eventstore::PartitionedLog& log, projections::ReadModelStore& models,
          projections::Projector& projector,
          const projections::DirectoryProjection& directory, const Clock& clock);
  ~Service();

  // PUT /v1/admin/firms/{firm}[/users/{user} | /dossiers/{dossier}]
  Result<Written> PutFirm(const Claims& caller, const std::string& firm, const boost::json::object& body);
  Result<Written> PutUser(const Claims& caller, const std::string& firm, const std::string& user,
                          const boost::json::object& body);
  Result<Written> PutDossier(const Claims& caller, const std::string& firm, const std::string& dossier,
                             const boost::json::object& body);

  // POST /v1/admin/clock: platform tokens, or admins of their own firm.
  Result<void> AuthorizeClock(const Claims& caller);

  // Conversations (SPEC sections 2-4); ids are the server's.
  Result<Written> StartConversation(const Caller& caller, const std::string& dossier,
                                    const boost::json::object& body);
  // `as_of`: the conversation as it was then (SPEC section 8).
  Result<boost::json::object> GetConversation(const Claims& caller, const std::string& conversation,
                                              std::optional<Micros> as_of = std::nullopt);
  Result<boost::json::object> ListConversations(const Claims& caller, const std::string& dossier,
                                                const std::string& status, std::size_t limit,
                                                const std::string& cursor);
  Result<boost::json::object> Counters(const Claims& caller, const std::string& dossier,
                                       std::optional<Micros> as_of = std::nullopt);
  // GET /v1/inbox: the caller's dossiers (staff: those they are assigned
  // to; clients: those they belong to) with their counters, and totals.
  Result<boost::json::object> Inbox(const Claims& caller);
  Result<Written> PostMessage(const Caller& caller, const std::string& conversation,
                              const boost::json::object& body);
  Result<Written> AddNote(const Caller& caller, const std::string& conversation,
                          const boost::json::object& body);
  Result<void> MarkRead(const Caller& caller, const std::string& conversation,
                        const boost::json::object& body);
  Result<Written> CloseOrReopen(const Caller& caller, const std::string& conversation, bool reopen);
  // PATCH / DELETE /v1/conversations/{c}/messages/{m}: the author's own message.
  Result<Written> EditMessage(const Caller& caller, const std::string& conversation,
                              const std::string& message, const boost::json::object& body);
  Result<Written> DeleteMessage(const Caller& caller, const std::string& conversation,
                                const std::string& message);
  // PUT /v1/conversations/{c}/reminders {enabled, every_days?, count?} and
  // POST .../reminders/resend (one more reminder e-mail now): staff only.
  Result<Written> SetReminders(const Caller& caller, const std::string& conversation,
                               const boost::json::object& body);
  Result<Written> ResendReminder(const Caller& caller, const std::string& conversation);
  // POST /v1/inbound/email: a reply to a notification, as the raw mail
  // (service accounts of the firm). Posts its text and attachments as the
  // message of the user its reply address was issued to; the same mail
  // (Message-ID) posts once.
  Result<Written> InboundEmail(const Caller& caller, std::string_view raw, AttachmentStore* files);
  // Reply addresses to check inbound mail against (none: 503).
  void SetReplyTokens(const ReplyTokens* tokens) { reply_tokens_ = tokens; }

  // POST /v1/conversations/{c}/participants {user}: staff add staff.
  Result<Written> AddParticipant(const Caller& caller, const std::string& conversation,
                                 const boost::json::object& body);

  // Settings (SPEC section 6): GET/PUT /v1/me/settings and
  // /v1/me/participation, GET /v1/dossiers/{d}/recipients.
  Result<boost::json::object> GetSettings(const Claims& caller);
  Result<Written> PutSettings(const Caller& caller, const boost::json::object& body);
  Result<boost::json::object> GetParticipation(const Claims& caller);
  Result<Written> PutParticipation(const Caller& caller, const boost::json::object& body);
  Result<boost::json::object> Recipients(const Claims& caller, const std::string& dossier);

  // Templates (SPEC section 5): every staff user reads the firm's
  // effective set (`language` empty: every language); managers and admins
  // save overrides and the firm's own, reset and delete. Clients get 404.
  Result<boost::json::object> ListTemplates(const Claims& caller, const std::string& language);
  Result<Written> CreateTemplate(const Caller& caller, const boost::json::object& body);
  Result<Written> PutTemplate(const Caller& caller, const std::string& id, const boost::json::object& body);
  Result<Written> ResetTemplate(const Caller& caller, const std::string& id);
  Result<void> DeleteTemplate(const Caller& caller, const std::string& id);

  // Sending to many dossiers (SPEC section 5), staff only: the job is
  // recorded, then runs in the background; a retry with the same
  // Idempotency-Key answers the same job (and resumes it if interrupted).
  Result<boost::json::object> StartBulk(const Caller& caller, const boost::json::object& body);
  Result<boost::json::object> GetBulk(const Claims& caller, const std::string& job);
  // At start: queue every job a stop or a crash interrupted.
  Result<void> ResumeBulkJobs();
  // Before the projector and the log stop: the running job records what it
  // did and stops (it resumes at the next start).
  void StopBulkJobs();

  // Attachments (SPEC section 3): checks the upload (caller, dossier,
  // name, size), then `keep`s its bytes, then records it (201 {id, name,
  // size, sha256, content_type}).
  Result<Written> Upload(const Caller& caller, const std::string& dossier, const std::string& name,
                         const std::string& content_type, std::uint64_t size,
                         const std::function<Result<StoredBlob>()>& keep);
  // The upload if the caller may download it: its uploader, or whoever
  // sees a conversation with a message that holds it; 404 otherwise.
  Result<domain::AttachmentUploaded> DownloadableUpload(const Claims& caller, const std::string& upload);

  // Audit (SPEC section 8), for managers and compliance service accounts:
  // every event in log order, `limit` per page from `cursor`.
  Result<boost::json::object> ConversationHistory(const Claims& caller, const std::string& conversation,
                                                  const std::string& cursor, std::size_t limit);
  Result<boost::json::object> DossierHistory(const Claims& caller, const std::string& dossier,
                                             std::optional<Micros> from, std::optional<Micros> to,
                                             const std::string& cursor, std::size_t limit);
  // The dossier's whole history as JSON Lines, one entry per line.
  Result<std::string> ExportDossier(const Claims& caller, const std::string& dossier);

  // The caller as a user of their firm (GET /v1/stream decides with it).
  Result<Party> PartyOf(const Claims& caller) { return Resolve(caller); }
  // A dossier's counters as the party sees them now (the live stream's
  // counter events).
  Result<boost::json::object> PartyCounters(const Party& party, const std::string& dossier);

 private:
  // Platform tokens may administer every firm; a user of kind admin only
  // their own. Others' firms answer 404, as if they did not exist.
  Result<Party> Resolve(const Claims& caller);
  // Runs a conversation command and returns the conversation's record.
  Result<projections::ConversationRecord> RunConversation(
      const Party& party, const domain::DossierAccess& access, const std::string& conversation,
      const domain::Command& command, const Caller* preconditions = nullptr,
      const projections::ConversationRecord* known = nullptr);
  // The dossier with its default participants from every staff user's
  // settings (for a new conversation and the recipient picker).
  Result<domain::DossierAccess> WithParticipation(const Party& party, domain::DossierAccess access);
  // Runs a settings command on the party's own settings.
  Result<domain::UserSettings> RunSettings(const Party& party, const domain::SettingsCommand& command,
                                           const Caller& caller);
  // The start `body` asks for in the dossier: fields checked, the template
  // rendered, ids from the caller's key.
  Result<domain::StartConversation> StartCommand(const Party& party, const domain::DossierAccess& access,
                                                 const Caller& caller, const boost::json::object& body);
  // Upload ids a message holds: the poster's own uploads to this dossier
  // (their names filled in); 400 for any other.
  Result<void> CheckUploads(const Party& party, const std::string& dossier,
                            std::vector<domain::AttachmentRef>& attachments);
  // Runs a command on a bulk job's stream.
  Result<domain::BulkJob> RunBulk(const std::string& firm, const std::string& job, const std::string& actor,
                                  const domain::BulkCommand& command, const Idempotency* idempotency);
  // The runner's work: start the job's pending conversations, record them.
  void RunBulkJob(const std::string& firm, const std::string& job, const std::atomic<bool>& stopping);
  // Runs a templates command on the party's firm.
  Result<domain::FirmTemplates> RunTemplates(const Party& party, const domain::TemplateCommand& command,
                                             const Caller& caller);
  // The subject and body of `template_field` ({id, variables}) rendered for
  // the dossier, addressed to `audience_user` (empty: the dossier's clients).
  Result<domain::TemplateText> RenderTemplate(const Party& party, const domain::DossierAccess& access,
                                              const boost::json::value& template_field,
                                              const std::string& audience_user);
  // The dossier if the party works on it (staff) or belongs to it (client).
  Result<domain::DossierAccess> DossierFor(const Party& party, const std::string& dossier);
  // Calls `visit` for each conversation of the dossier the party may see,
  // newest activity first, from `cursor`, until it returns false. Returns
  // the cursor after the last one looked at (empty: the end).
  Result<std::string> ForEachVisible(
      const Party& party, const domain::DossierAccess& access, const std::string& cursor,
      const std::function<bool(const projections::ConversationRecord&)>& visit);
  // The counters of one dossier over what the party sees.
  Result<boost::json::object> CountersOf(const Party& party, const domain::DossierAccess& access);
  // Resolves the caller, checks they see `conversation`, runs `command`
  // (a message's uploads checked and named first).
  Result<std::pair<Party, projections::ConversationRecord>> Act(const Caller& caller,
                                                                const std::string& conversation,
                                                                domain::Command command);
  // The conversation and the caller's view of its dossier; 404 if unseen.
  Result<std::pair<projections::ConversationRecord, domain::DossierAccess>> Visible(
      const Party& party, const std::string& conversation);

  // The caller's view of an item, or of the whole conversation, after a write.
  Result<Written> ItemWritten(const Party& party, const projections::ConversationRecord& record,
                              const std::string& item_id, bool created);
  Result<Written> ConversationWritten(const Party& party, const projections::ConversationRecord& record);
  // The record with the reminders sent, which the outbox read model counts.
  Result<projections::ConversationRecord> WithRemindersSent(const projections::ConversationRecord& record);
  // The dossier, if the party may read its audit history.
  Result<domain::DossierAccess> AuditedDossier(const Party& party, const std::string& dossier);
  // Calls `visit` with each conversation of the dossier the party sees now
  // and could see at `as_of` (by the directory of then), as it was then.
  Result<void> ForEachAsOf(const Party& party, const domain::DossierAccess& now, Micros as_of,
                           const std::function<void(const domain::Conversation&)>& visit);

  // Returns the firm's directory as the read models have it.
  Result<domain::Directory> AuthorizeAdmin(const Claims& caller, const std::string& firm);

  // The partition of the log that holds `firm`'s streams.
  eventstore::LogPartition LogOf(std::string_view firm) const { return log_.ForFirm(firm); }

  const eventstore::PartitionedLog& log_;
  projections::ReadModelStore& models_;
  projections::Projector& projector_;
  projections::DirectoryCache directories_;
  const Clock& clock_;
  const ReplyTokens* reply_tokens_ = nullptr;
  std::unique_ptr<BulkRunner> bulk_runner_;  // last: stops before the rest goes
};

}  // namespace parley::api
