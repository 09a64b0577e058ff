// The sections of budgetd's own document other than `slos:` and `include:`, and the one table
// that says which key holds which.

#include "sections.h"

#include <arpa/inet.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "budgetd/core/log.h"
#include "source_reader.h"

namespace budgetd::config {
namespace {

void read_server(MapReader& m, ServerConfig& s) {
  if (auto listen = m.string("listen")) {
    // host:port or [v6-host]:port
    const size_t colon = listen->rfind(':');
    std::string host = colon == std::string::npos ? "" : listen->substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    uint32_t port = 0;
    bool port_ok = colon != std::string::npos && colon + 1 < listen->size();
    for (size_t i = colon + 1; port_ok && i < listen->size(); ++i) {
      port_ok = (*listen)[i] >= '0' && (*listen)[i] <= '9';
      port = port * 10 + static_cast<uint32_t>((*listen)[i] - '0');
      port_ok = port_ok && port <= 65535;
    }
    unsigned char addr[16];
    const bool ip_ok = ::inet_pton(AF_INET, host.c_str(), addr) == 1 || ::inet_pton(AF_INET6, host.c_str(), addr) == 1;
    if (host.empty() || !port_ok) {
      m.diags().error(m.get("listen"),
                      fmt::format("server.listen must be host:port such as 127.0.0.1:8080, not '{}'", *listen));
    } else if (!ip_ok) {
      m.diags().error(
          m.get("listen"),
          fmt::format("server.listen: '{}' is not an IP address; use 127.0.0.1, 0.0.0.0, [::1] or [::]", host));
    } else {
      s.listen_host = host;
      s.listen_port = static_cast<uint16_t>(port);
    }
  }
  if (auto v = m.unsigned_integer("threads", 1, 60)) s.threads = static_cast<int>(*v);
  if (auto v = m.unsigned_integer("read_threads", 1, 60)) s.read_threads = static_cast<int>(*v);
  // At most 60: ingest threads (and the log's own) are the store's writers, and it counts the
  // writers inside one bucket in 6 bits (store/bucket_ring.h).
  if (auto v = m.unsigned_integer("ingest_threads", 1, 60)) s.ingest_threads = static_cast<int>(*v);
  if (auto v = m.unsigned_integer("max_body_bytes", 1024, uint64_t{256} << 20)) s.max_body_bytes = *v;
  if (auto v = m.unsigned_integer("max_header_bytes", 1024, 1 << 20)) s.max_header_bytes = static_cast<uint32_t>(*v);
  const auto bounded = [&](std::string_view key, Millis max, Millis& out) {
    if (auto v = m.duration(key)) {
      if (*v > max)
        m.diags().error(m.get(key), fmt::format("server.{} must be at most {}", key, format_duration(max)));
      else
        out = *v;
    }
  };
  bounded("read_timeout", kHour, s.read_timeout);
  bounded("write_timeout", kHour, s.write_timeout);
  bounded("idle_timeout", kHour, s.idle_timeout);
  bounded("drain_timeout", 10 * kMinute, s.drain_timeout);
  if (auto v = m.unsigned_integer("max_connections", 1, 1'000'000)) s.max_connections = static_cast<uint32_t>(*v);
}

void read_storage(MapReader& m, StorageConfig& s) {
  if (auto v = m.string("dir")) {
    if (v->empty())
      m.diags().error(m.get("dir"), "storage.dir must not be empty");
    else
      s.dir = *v;
  }
  if (auto v = m.duration("status_lookback")) {
    if (*v > 7 * kDay)
      m.diags().error(m.get("status_lookback"), "storage.status_lookback must be at most 7d");
    else
      s.status_lookback = *v;
  }
  if (auto v = m.string("fsync")) {
    if (*v == "always")
      s.fsync = FsyncPolicy::kAlways;
    else if (*v == "interval")
      s.fsync = FsyncPolicy::kInterval;
    else if (*v == "never")
      s.fsync = FsyncPolicy::kNever;
    else
      m.diags().error(m.get("fsync"), fmt::format("storage.fsync must be always, interval or never, not '{}'", *v));
  }
  if (auto v = m.duration("fsync_interval")) {
    if (*v > kMinute)
      m.diags().error(m.get("fsync_interval"), "storage.fsync_interval must be at most 1m");
    else
      s.fsync_interval = *v;
  }
  if (auto v = m.duration("snapshot_interval")) {
    if (*v < 10 * kSecond || *v > kDay)
      m.diags().error(m.get("snapshot_interval"), "storage.snapshot_interval must be from 10s to 1d");
    else
      s.snapshot_interval = *v;
  }
  if (auto v = m.unsigned_integer("wal_segment_bytes", 1 << 20, uint64_t{1} << 32)) s.wal_segment_bytes = *v;
  // Unset, it is at least two segments whatever wal_segment_bytes says.
  s.wal_max_bytes = std::max(s.wal_max_bytes, 2 * s.wal_segment_bytes);
  if (auto v = m.unsigned_integer("wal_max_bytes", 1, uint64_t{1} << 50)) {
    // A snapshot frees whole segments only: a limit of fewer than two would be passed again by
    // the segments a snapshot must keep, and snapshots would follow one another for nothing.
    if (*v < 2 * s.wal_segment_bytes)
      m.diags().error(m.get("wal_max_bytes"),
                      fmt::format("storage.wal_max_bytes must be at least twice storage.wal_segment_bytes ({}): "
                                  "a snapshot deletes whole log segments",
                                  2 * s.wal_segment_bytes));
    else
      s.wal_max_bytes = *v;
  }
  if (auto v = m.number("wal_max_store_ratio", 0, 1000)) {
    if (*v < 1)
      m.diags().error(m.get("wal_max_store_ratio"),
                      "storage.wal_max_store_ratio must be at least 1: a log smaller than one snapshot of the store "
                      "would be snapshotted again and again");
    else
      s.wal_max_store_ratio = *v;
  }
}

void read_ingest(MapReader& m, IngestConfig& s) {
  if (auto v = m.duration("max_future")) {
    if (*v > kHour)
      m.diags().error(m.get("max_future"), "ingest.max_future must be at most 1h");
    else
      s.max_future = *v;
  }
  if (auto v = m.unsigned_integer("max_errors_listed", 1, 10'000)) s.max_errors_listed = static_cast<uint32_t>(*v);
  if (auto v = m.duration("idempotency_ttl")) {
    if (*v > 7 * kDay)
      m.diags().error(m.get("idempotency_ttl"), "ingest.idempotency_ttl must be at most 7d");
    else
      s.idempotency_ttl = *v;
  }
  if (auto v = m.unsigned_integer("idempotency_max_keys", 1, 100'000'000)) s.idempotency_max_keys = *v;
  if (auto v = m.unsigned_integer("idempotency_max_bytes", 1 << 20, uint64_t{64} << 30)) s.idempotency_max_bytes = *v;
  // issue 16: how OTLP spans become events, and how long counter halves wait for each other.
  if (const YAML::Node otlp = m.get("otlp"); otlp.IsDefined()) {
    MapReader o(otlp, m.diags(), "ingest.otlp");
    if (o.valid()) read_otlp_ingest(o, s.otlp);
  }
  // 0s is valid here (count at the end of each request), which durations elsewhere are not.
  if (const YAML::Node n = m.get("counter_pairing_delay"); n.IsScalar() && (n.Scalar() == "0s" || n.Scalar() == "0")) {
    s.counter_pairing_delay = Millis{0};
  } else if (auto v = m.duration("counter_pairing_delay")) {
    if (*v > kHour)
      m.diags().error(m.get("counter_pairing_delay"), "ingest.counter_pairing_delay must be at most 1h");
    else
      s.counter_pairing_delay = *v;
  }
}

std::optional<uint8_t> parse_hex_byte(std::string_view two) {
  uint8_t v = 0;
  for (const char c : two) {
    v = static_cast<uint8_t>(v << 4);
    if (c >= '0' && c <= '9')
      v = static_cast<uint8_t>(v | (c - '0'));
    else if (c >= 'a' && c <= 'f')
      v = static_cast<uint8_t>(v | (c - 'a' + 10));
    else if (c >= 'A' && c <= 'F')
      v = static_cast<uint8_t>(v | (c - 'A' + 10));
    else
      return std::nullopt;
  }
  return v;
}

void read_auth(MapReader& m, AuthConfig& auth) {
  const YAML::Node tokens = m.get("tokens");
  if (!tokens.IsDefined()) return;
  if (!tokens.IsSequence()) {
    m.diags().error(tokens, "auth.tokens must be a list of {name, sha256, scopes}");
    return;
  }
  std::set<std::string, std::less<>> names;
  // The name of the token that holds each SHA-256 (only one token can: a bearer token is looked
  // up by its hash, so a second entry would be ignored, with its scopes).
  std::map<std::array<uint8_t, 32>, std::string> hashes;
  for (size_t i = 0; i < tokens.size(); ++i) {
    MapReader t(tokens[i], m.diags(), fmt::format("auth.tokens[{}]", i));
    if (!t.valid()) continue;
    AuthToken token;
    bool ok = true;
    if (auto name = t.string("name", true)) {
      token.name = *name;
      if (!names.insert(*name).second) {
        m.diags().error(t.get("name"), fmt::format("token name '{}' is used twice", *name));
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto hex = t.string("sha256", true)) {
      bool hex_ok = hex->size() == 64;
      for (size_t b = 0; hex_ok && b < 32; ++b) {
        const auto v = parse_hex_byte(std::string_view(*hex).substr(2 * b, 2));
        hex_ok = v.has_value();
        if (v) token.sha256[b] = *v;
      }
      if (!hex_ok) {
        m.diags().error(t.get("sha256"), fmt::format("{}.sha256 must be the 64 hex digits of the token's SHA-256 "
                                                     "(printf %s TOKEN | sha256sum), never the token itself",
                                                     t.what()));
        ok = false;
      } else if (const auto [it, fresh] = hashes.try_emplace(token.sha256, token.name); !fresh) {
        m.diags().error(t.get("sha256"),
                        fmt::format("{}.sha256 is the same as token '{}''s: one token cannot have two entries (only "
                                    "the first would count, with its scopes); give each client its own token, or "
                                    "list every scope it needs in one entry",
                                    t.what(), it->second));
        ok = false;
      }
    } else {
      ok = false;
    }
    const YAML::Node scopes = t.get("scopes");
    if (!scopes.IsSequence() || scopes.size() == 0) {
      m.diags().error(scopes.IsDefined() ? scopes : tokens[i],
                      fmt::format("{}.scopes must be a non-empty list of ingest, read, gate, admin", t.what()));
      ok = false;
    } else {
      for (const auto& s : scopes) {
        const std::string v = s.IsScalar() ? s.Scalar() : "";
        if (v == "ingest")
          token.scopes |= static_cast<uint8_t>(Scope::kIngest);
        else if (v == "read")
          token.scopes |= static_cast<uint8_t>(Scope::kRead);
        else if (v == "gate")
          token.scopes |= static_cast<uint8_t>(Scope::kGate);
        else if (v == "admin")
          token.scopes |= static_cast<uint8_t>(Scope::kAdmin);
        else {
          m.diags().error(s, fmt::format("{}: unknown scope '{}' (valid: ingest, read, gate, admin)", t.what(), v));
          ok = false;
        }
      }
    }
    if (ok) auth.tokens.push_back(token);
  }
}

void read_log(MapReader& m, LogConfig& s) {
  if (auto v = m.string("level")) {
    log::Level level;
    if (!log::parse_level(*v, level))
      m.diags().error(m.get("level"), fmt::format("log.level must be one of {}, not '{}'", log::level_names(), *v));
    else
      s.level = *v;
  }
}

// `alerting:` at the top: how often the rules are evaluated, and the defaults every SLO's
// rules start from.
void read_alerting_defaults(MapReader& m, Millis& evaluation_interval, AlertingDefaults& defaults) {
  if (auto v = m.duration("evaluation_interval")) {
    if (*v < kSecond || *v > 10 * kMinute)
      m.diags().error(m.get("evaluation_interval"), "alerting.evaluation_interval must be from 1s to 10m");
    else
      evaluation_interval = *v;
  }
  read_alerting(m, defaults);
}

std::optional<HttpTarget> read_target(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  MapReader m(n, diags, what);
  if (!m.valid()) return std::nullopt;
  HttpTarget t;
  const auto url = m.string("url", true);
  if (!url) return std::nullopt;
  auto parsed = parse_http_url(*url);
  if (!parsed.ok()) {
    diags.error(m.get("url"), fmt::format("{}.url: {}", what, parsed.status().message()));
    return std::nullopt;
  }
  t = std::move(*parsed);
  if (auto v = m.duration("timeout")) {
    if (*v > kMinute)
      diags.error(m.get("timeout"), fmt::format("{}.timeout must be at most 1m", what));
    else
      t.timeout = *v;
  }
  if (const YAML::Node h = m.get("headers"); h.IsDefined()) {
    if (!h.IsMap()) {
      diags.error(h, fmt::format("{}.headers must be a mapping of header to value", what));
      return std::nullopt;
    }
    for (const auto& kv : h) {
      if (!kv.second.IsScalar()) {
        diags.error(kv.second, fmt::format("{}.headers.{} must be a single value", what, kv.first.Scalar()));
        return std::nullopt;
      }
      t.headers[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  return t;
}

void read_targets(MapReader& m, std::string_view key, std::vector<HttpTarget>& out) {
  const YAML::Node list = m.get(key);
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    m.diags().error(list, fmt::format("notify.{} must be a list of {{url: ...}}", key));
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (auto t = read_target(list[i], m.diags(), fmt::format("notify.{}[{}]", key, i))) out.push_back(std::move(*t));
  }
}

void read_notify(MapReader& m, NotifyConfig& out) {
  read_targets(m, "alertmanager", out.alertmanagers);
  read_targets(m, "webhooks", out.webhooks);
  if (auto v = m.duration("resend_interval")) {
    if (*v < 10 * kSecond || *v > kDay)
      m.diags().error(m.get("resend_interval"), "notify.resend_interval must be from 10s to 1d");
    else
      out.resend_interval = *v;
  }
  if (auto v = m.string("external_url")) out.external_url = *v;
}

struct Section {
  std::string_view key;
  void (*read)(MapReader& m, const SectionOutputs& out);
};

// Which key holds which section, in the order they are read: errors at one place are listed in
// the order they are found.
constexpr Section kSections[] = {
    {"server", [](MapReader& m, const SectionOutputs& out) { read_server(m, out.config.server); }},
    {"storage", [](MapReader& m, const SectionOutputs& out) { read_storage(m, out.config.storage); }},
    {"ingest", [](MapReader& m, const SectionOutputs& out) { read_ingest(m, out.config.ingest); }},
    {"auth", [](MapReader& m, const SectionOutputs& out) { read_auth(m, out.config.auth); }},
    {"log", [](MapReader& m, const SectionOutputs& out) { read_log(m, out.config.log); }},
    {"alerting",
     [](MapReader& m, const SectionOutputs& out) {
       read_alerting_defaults(m, out.config.evaluation_interval, out.alerting);
     }},
    {"policy", [](MapReader& m, const SectionOutputs& out) { read_policy(m, out.policy); }},
    {"notify", [](MapReader& m, const SectionOutputs& out) { read_notify(m, out.config.notify); }},
    {"cluster", [](MapReader& m, const SectionOutputs& out) { read_cluster(m, out.config.cluster); }},
};

}  // namespace

void read_sections(MapReader& top, const SectionOutputs& out) {
  for (const Section& s : kSections) {
    if (const YAML::Node n = top.get(s.key); n.IsDefined()) {
      MapReader m(n, top.diags(), std::string(s.key));
      s.read(m, out);
    }
  }
}

}  // namespace budgetd::config
