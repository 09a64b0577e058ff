// POST /v1/events: decode and route the batch, log it, apply it, answer.

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"
#include "budgetd/ingest/batch.h"
#include "handler_util.h"

namespace budgetd::api {

namespace {

// Decoder and batch buffers, one set per server thread, reused request after request.
struct IngestScratch {
  ingest::BatchDecoder decoder;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
};

json answer_json(const ingest::BatchReport& r) {
  json errors = json::array();
  for (const auto& e : r.errors) {
    json item = {{"index", e.index}, {"error", e.error}};
    if (e.line != 0) item["line"] = e.line;
    errors.push_back(std::move(item));
  }
  json answer = {
      {"accepted", r.accepted}, {"rejected", r.rejected}, {"unmatched", r.unmatched}, {"errors", std::move(errors)}};
  if (r.errors_omitted != 0) answer["errors_omitted"] = r.errors_omitted;
  return answer;
}

std::optional<ingest::BodyFormat> body_format(std::string_view media) {
  if (media == "application/json") return ingest::BodyFormat::kJson;
  if (media == "application/x-ndjson" || media == "application/ndjson") return ingest::BodyFormat::kNdjson;
  return std::nullopt;
}

}  // namespace

Api::KeyClaim Api::claim_idempotency_key(const Request& req, Timestamp now) {
  KeyClaim out;
  const std::string_view k = req.raw["Idempotency-Key"];
  if (k.empty()) return out;
  if (!valid_idempotency_key(k)) {
    out.answer = reply_error(req, http::status::bad_request, "Idempotency-Key must be 1-255 visible ASCII characters");
    return out;
  }
  durable::IdempotentAnswer key;
  key.key = std::string(k);
  key.body_hash = durable::IdempotencyTable::hash_body(req.raw.body());
  key.received = now;
  std::string first_answer;
  switch (backend_.idempotency().claim(key.key, key.body_hash, now, &first_answer)) {
    case durable::IdempotencyTable::Claim::kNew:
      out.key = std::move(key);
      break;
    case durable::IdempotencyTable::Claim::kReplay:
      idempotent_replays_.inc();
      out.answer = text_response(http::status::ok, std::move(first_answer), "application/json", req.raw.version(),
                                 req.raw.keep_alive());
      out.answer->set("Idempotent-Replayed", "true");
      break;
    case durable::IdempotencyTable::Claim::kMismatch:
      out.answer =
          reply_error(req, http::status::unprocessable_entity,
                      "Idempotency-Key '" + bounded_echo(key.key) + "' was already used for a different batch");
      break;
    case durable::IdempotencyTable::Claim::kInFlight:
      out.answer = reply_error(
          req, http::status::conflict,
          "a batch with Idempotency-Key '" + bounded_echo(key.key) + "' is still being applied; retry shortly");
      out.answer->set(http::field::retry_after, "1");
      break;
  }
  return out;
}

void Api::count_events(const EventTally& t) {
  events_accepted_.inc(t.accepted);
  events_unmatched_.inc(t.unmatched);
  events_rejected_too_old_.inc(t.too_old);
  events_rejected_future_.inc(t.future);
  events_rejected_invalid_.inc(t.invalid);
}

void Api::post_events(Request& req, Respond respond) {
  const std::string type = media_type(req.raw[http::field::content_type]);
  const std::optional<ingest::BodyFormat> format = body_format(type);
  if (!format) {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Type '" + bounded_echo(type) +
                                   "' is not accepted; send application/json ({\"events\": [...]}) or "
                                   "application/x-ndjson (one event per line)"));
  }
  // A gzip body is undone first (bounded by max_body_bytes, as the body itself is); any other
  // coding is a 415, never bytes read as if they were JSON.
  std::string decoded;
  if (auto bad = decoded_body(req, decoded, batches_malformed_)) return respond(std::move(*bad));
  req.raw.body() = std::move(decoded);
  const std::shared_ptr<const ServingState> state = backend_.state();
  const Timestamp now = clock_.now();
  // Idempotency-Key: a retry of a batch already applied is answered from memory.
  KeyClaim claim = claim_idempotency_key(req, now);
  if (claim.answer) return respond(std::move(*claim.answer));

  thread_local IngestScratch scratch;
  std::string& body = req.raw.body();
  // simdjson reads up to 64 bytes past the end; reserve them once instead of copying the body.
  if (body.capacity() < body.size() + ingest::required_padding())
    body.reserve(body.size() + ingest::required_padding());
  const ingest::IngestLimits limits{state->config->ingest.max_future, state->config->ingest.max_errors_listed};
  if (const auto bad = ingest::prepare_batch(scratch.decoder, body.data(), body.size(), body.capacity(), *format, now,
                                             *state->router, limits, scratch.deltas, scratch.report)) {
    if (claim.key) backend_.idempotency().abandon(claim.key->key);
    batches_malformed_.inc();
    return respond(reply_error(req, http::status::bad_request, ingest::describe_body_error(*bad)));
  }
  std::string answer = answer_json(scratch.report).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (scratch.deltas.empty() && !claim.key) {
    // Nothing to apply and nothing to remember: no log record.
    count_events(EventTally(scratch.report));
    return respond(reply_text(req, http::status::ok, std::move(answer)));
  }
  durable::PendingBatch batch;
  batch.slos = state->slos;
  batch.deltas.assign(scratch.deltas.deltas().begin(), scratch.deltas.deltas().end());
  batch.attributed = scratch.deltas.attributed();
  batch.now = now;
  if (claim.key) {
    claim.key->answer = answer;
    batch.key = std::move(claim.key);
  }
  commit_and_answer(req, std::move(batch), std::move(answer), EventTally(scratch.report), std::move(respond));
}

void Api::commit_and_answer(const Request& req, durable::PendingBatch batch, std::string answer, EventTally tally,
                            Respond respond) {
  const std::string key = batch.key ? batch.key->key : std::string();
  // The request may be gone when the log calls back: keep what the answer needs.
  const unsigned version = req.raw.version();
  const bool keep_alive = req.raw.keep_alive();
  backend_.committer().commit(std::move(batch), [this, respond = std::move(respond), answer = std::move(answer), tally,
                                                 key, version, keep_alive](Status st) mutable {
    if (!st.ok()) {
      if (!key.empty()) backend_.idempotency().abandon(key);
      if (st.code() == StatusCode::kInvalidArgument) {  // too big for one log record: retrying cannot help
        return respond(error_response(http::status::payload_too_large, "payload_too_large",
                                      "the batch was not applied: " + st.message(), version, keep_alive));
      }
      batches_unavailable_.inc();
      HttpResponse res =
          error_response(http::status::service_unavailable, "unavailable",
                         "the batch was not applied: " + st.message() + "; retry later", version, keep_alive);
      res.set(http::field::retry_after, "5");
      return respond(std::move(res));
    }
    count_events(tally);
    respond(text_response(http::status::ok, std::move(answer), "application/json", version, keep_alive));
  });
}

}  // namespace budgetd::api
