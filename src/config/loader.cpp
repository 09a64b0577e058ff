#include "budgetd/config/loader.h"

#include <arpa/inet.h>
#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "alert_rules.h"
#include "budget_windows.h"
#include "budgetd/core/window.h"
#include "openslo.h"
#include "sections.h"
#include "yaml_reader.h"

namespace budgetd::config {
namespace {

constexpr Millis kMaxWindow = 400 * kDay;

}  // namespace

// A window length checked against the bucket ladder of core/window.h.
std::optional<WindowSpec> read_window(const YAML::Node& n, Diagnostics& diags, std::string_view what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d.ok()) {
    diags.error(n, fmt::format("{}: {}", what, d.status().message()));
    return std::nullopt;
  }
  return check_window(*d, n, diags, what, *text);
}

std::optional<WindowSpec> check_window(Millis length, const YAML::Node& where, Diagnostics& diags,
                                       std::string_view what, std::string_view text) {
  const std::string written = text.empty() ? format_duration(length) : std::string(text);
  const Millis r = resolution_for(length);
  if (length > kMaxWindow) {
    diags.error(where, fmt::format("{}: '{}' is longer than the longest supported window, {}", what, written,
                                   format_duration(kMaxWindow)));
    return std::nullopt;
  }
  if (length.count() % r.count() != 0) {
    diags.error(where, fmt::format("{}: '{}' is not a multiple of its bucket resolution {} (windows up to 1h use "
                                   "10s buckets, up to 6h 1m, up to 3d 5m, longer 1h)",
                                   what, written, format_duration(r)));
    return std::nullopt;
  }
  return WindowSpec::rolling(length);
}

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
  // At most 60 threads: the store counts the writers inside one bucket in 6 bits (store/bucket_ring.h).
  if (auto v = m.unsigned_integer("threads", 1, 60)) s.threads = static_cast<int>(*v);
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
    static const std::set<std::string, std::less<>> kLevels{"trace", "debug", "info", "warn", "error", "off"};
    if (kLevels.count(*v) == 0)
      m.diags().error(m.get("level"),
                      fmt::format("log.level must be one of trace, debug, info, warn, error, off, not '{}'", *v));
    else
      s.level = *v;
  }
}

void read_sli(MapReader& m, SliSpec& sli) {
  const auto type = m.string("type", true);
  const YAML::Node threshold = m.get("threshold_ms");
  const YAML::Node failed = m.get("failed_requests_are_bad");
  if (!type) return;
  if (*type == "ratio") {
    sli.type = SliType::kRatio;
    if (threshold.IsDefined()) m.diags().error(threshold, "sli.threshold_ms applies only to latency SLIs");
    if (failed.IsDefined()) m.diags().error(failed, "sli.failed_requests_are_bad applies only to latency SLIs");
  } else if (*type == "latency") {
    sli.type = SliType::kLatency;
    if (auto t = m.number("threshold_ms", 0, 3'600'000))
      sli.threshold_ms = *t;
    else if (!threshold.IsDefined())
      m.diags().error(m.node(), m.what() + ": a latency SLI needs threshold_ms");
    if (auto f = m.boolean("failed_requests_are_bad")) sli.failed_requests_are_bad = *f;
  } else {
    m.diags().error(m.get("type"), fmt::format("sli.type must be ratio or latency, not '{}'", *type));
  }
}

void read_slo(const YAML::Node& node, size_t index, const AlertingDefaults& global, const PolicySpec& global_policy,
              Diagnostics& diags, std::vector<SloSpec>& out) {
  MapReader m(node, diags, fmt::format("slos[{}]", index));
  if (!m.valid()) return;
  SloSpec slo;
  bool ok = true;
  if (auto name = m.string("name", true)) {
    if (!is_slug(*name)) {
      diags.error(
          m.get("name"),
          fmt::format("SLO name '{}' must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
                      *name));
      ok = false;
    }
    slo.name = *name;
  } else {
    ok = false;
  }
  const std::string what = slo.name.empty() ? m.what() : fmt::format("SLO '{}'", slo.name);
  m.set_what(what);
  if (auto service = m.string("service", true)) {
    if (service->empty() || service->size() > 256 || !is_printable(*service)) {
      diags.error(m.get("service"), fmt::format("{}: service must be 1-256 printable characters", what));
      ok = false;
    }
    slo.service = *service;
  } else {
    ok = false;
  }
  if (auto d = m.string("description")) slo.description = *d;
  if (const YAML::Node o = m.get("objective"); o.IsDefined()) {
    if (auto obj = read_objective(o, diags, what)) {
      slo.objective = *obj;
    } else {
      ok = false;
    }
  } else {
    diags.error(node, fmt::format("{}: 'objective' is required (a percentage such as 99.9)", what));
    ok = false;
  }
  if (const YAML::Node w = m.get("windows"); w.IsDefined()) {
    if (!w.IsSequence() || w.size() == 0) {
      diags.error(w, fmt::format("{}: windows must be a non-empty list such as [\"30d\"]", what));
      ok = false;
    } else {
      for (size_t i = 0; i < w.size(); ++i) {
        auto win = read_budget_window(w[i], diags, fmt::format("{}: windows[{}]", what, i));
        if (!win) {
          ok = false;
          continue;
        }
        if (!win->is_calendar() && win->length <= kHour) {
          // Budget windows report coverage in whole minutes, so they need minute-aligned buckets.
          diags.error(w[i], fmt::format("{}: budget window {} is too short; budget windows must be longer than 1h "
                                        "(alert windows may be shorter)",
                                        what, win->name));
          ok = false;
          continue;
        }
        if (std::any_of(slo.windows.begin(), slo.windows.end(),
                        [&](const WindowSpec& x) { return x.name == win->name; })) {
          diags.error(w[i], fmt::format("{}: window {} is listed twice", what, win->name));
          ok = false;
          continue;
        }
        slo.windows.push_back(*win);
      }
    }
  } else {
    slo.windows.push_back(WindowSpec::rolling(30 * kDay));
  }
  if (auto primary = m.string("primary")) {
    const auto it =
        std::find_if(slo.windows.begin(), slo.windows.end(), [&](const WindowSpec& x) { return x.name == *primary; });
    if (it == slo.windows.end()) {
      std::string names;
      for (const auto& x : slo.windows) names += (names.empty() ? "" : ", ") + x.name;
      diags.error(m.get("primary"),
                  fmt::format("{}: primary '{}' is not one of its windows ({})", what, *primary, names));
      ok = false;
    } else {
      slo.primary = static_cast<size_t>(it - slo.windows.begin());
    }
  }
  if (const YAML::Node b = m.get("budgeting"); b.IsDefined()) {
    if (auto budgeting = read_budgeting(b, diags, what + ": budgeting")) {
      slo.budgeting = *budgeting;
      ok = check_slices_fit(slo, b, diags, what) && ok;
    } else {
      ok = false;
    }
  }
  if (const YAML::Node sla = m.get("sla"); sla.IsDefined()) {
    if (auto target = read_objective(sla, diags, what + ": sla")) {
      slo.sla = *target;
      if (slo.objective.nanopercent() != 0 && slo.objective.nanopercent() <= target->nanopercent()) {
        diags.warning(sla, fmt::format("{}: objective {} % is not stricter than its SLA {} %: the SLO should "
                                       "spend its budget, and alert, before the SLA is breached",
                                       what, slo.objective.to_string(), target->to_string()));
      }
    } else {
      ok = false;
    }
  }
  if (const YAML::Node s = m.get("sli"); s.IsDefined()) {
    MapReader sli(s, diags, what + ": sli");
    read_sli(sli, slo.sli);
  } else {
    diags.error(
        node, fmt::format("{}: 'sli' is required, e.g. {{type: ratio}} or {{type: latency, threshold_ms: 300}}", what));
    ok = false;
  }
  if (const YAML::Node match = m.get("match"); match.IsDefined()) {
    if (!match.IsMap()) {
      diags.error(match, fmt::format("{}: match must be a mapping of label to value, e.g. {{region: eu}}", what));
    } else {
      for (const auto& kv : match) {
        const auto value = scalar_text(kv.second, diags, fmt::format("{}: match.{}", what, kv.first.Scalar()));
        if (kv.first.Scalar().empty()) diags.error(kv.first, fmt::format("{}: a label name must not be empty", what));
        if (value) slo.match[kv.first.Scalar()] = *value;
      }
    }
  }
  // Read alerting even when the SLO is already invalid, so its own problems are reported too;
  // only the factor checks need a valid objective and window.
  AlertingDefaults mine = global;
  if (const YAML::Node alerting = m.get("alerting"); alerting.IsDefined()) {
    MapReader a(alerting, diags, what + ": alerting");
    read_alerting(a, mine);
  }
  slo.policy = global_policy;
  if (const YAML::Node policy = m.get("policy"); policy.IsDefined()) {
    MapReader p(policy, diags, what + ": policy");
    read_policy(p, slo.policy);
  }
  if (!ok || slo.windows.empty()) return;
  slo.alert_rules = resolve_alert_rules(mine, slo, node, diags);
  out.push_back(std::move(slo));
}

}  // namespace

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) out += d.to_string() + "\n";
  }
  return out;
}

namespace {

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The files an `include:` entry names: a path (relative to the config's directory) or a glob.
std::vector<std::string> expand_include(const std::string& pattern, const std::string& source) {
  std::string full = pattern;
  if (!full.empty() && full[0] != '/') {
    const auto slash = source.rfind('/');
    if (slash != std::string::npos) full = source.substr(0, slash + 1) + full;
  }
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

// Reads the OpenSLO documents of the files under `include:` into `openslo`, each file with its
// own diagnostics in `files`.
void read_includes(const YAML::Node& list, const std::string& source, Diagnostics& diags,
                   std::deque<Diagnostics>& files, std::vector<OpenSloDoc>& openslo) {
  if (!list.IsSequence()) {
    diags.error(list, "include must be a list of files (paths or globs) holding OpenSLO documents");
    return;
  }
  for (const YAML::Node& entry : list) {
    const auto pattern = scalar_text(entry, diags, "include");
    if (!pattern) continue;
    const auto paths = expand_include(*pattern, source);
    if (paths.empty()) diags.error(entry, fmt::format("include: '{}' matches no file", *pattern));
    for (const std::string& path : paths) {
      std::string error;
      const auto text = read_file(path, error);
      if (!text) {
        diags.error(entry, fmt::format("include: cannot read {}: {}", path, error));
        continue;
      }
      Diagnostics& file = files.emplace_back(path);
      try {
        for (const YAML::Node& doc : YAML::LoadAll(*text)) {
          if (!doc.IsDefined() || doc.IsNull()) continue;
          if (is_openslo(doc)) {
            collect_openslo(doc, file, openslo);
          } else {
            file.error(doc,
                       "an included file holds OpenSLO documents (apiVersion: openslo/v1); budgetd's own "
                       "settings belong in the main config");
          }
        }
      } catch (const YAML::Exception& e) {
        file.error(e.mark, "YAML syntax: " + e.msg);
      }
    }
  }
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, const std::string& source_name) {
  std::deque<Diagnostics> files;  // the main file first, then each included one
  Diagnostics& diags = files.emplace_back(source_name);
  LoadResult result;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    diags.error(e.mark, "YAML syntax: " + e.msg);
    result.diagnostics = diags.take();
    return result;
  }
  // One document is budgetd's own config; OpenSLO documents may stand beside it.
  std::optional<YAML::Node> root;
  std::vector<OpenSloDoc> openslo;
  for (const YAML::Node& doc : docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;
    if (is_openslo(doc)) {
      collect_openslo(doc, diags, openslo);
    } else if (root) {
      diags.error(doc,
                  "a config file holds one budgetd document; the others must be OpenSLO (apiVersion: "
                  "openslo/v1)");
    } else {
      root = doc;
    }
  }
  Config config;
  config.source = source_name;
  if (!root && openslo.empty()) {
    diags.error(YAML::Mark::null_mark(), "the config is empty");
    result.diagnostics = diags.take();
    return result;
  }
  AlertingDefaults global;
  PolicySpec global_policy = default_policy();
  std::set<std::string, std::less<>> names;
  if (root) {
    MapReader top(*root, diags, "config");
    if (top.valid()) {
      if (const YAML::Node n = top.get("server"); n.IsDefined()) {
        MapReader m(n, diags, "server");
        read_server(m, config.server);
      }
      if (const YAML::Node n = top.get("storage"); n.IsDefined()) {
        MapReader m(n, diags, "storage");
        read_storage(m, config.storage);
      }
      if (const YAML::Node n = top.get("ingest"); n.IsDefined()) {
        MapReader m(n, diags, "ingest");
        read_ingest(m, config.ingest);
      }
      if (const YAML::Node n = top.get("auth"); n.IsDefined()) {
        MapReader m(n, diags, "auth");
        read_auth(m, config.auth);
      }
      if (const YAML::Node n = top.get("log"); n.IsDefined()) {
        MapReader m(n, diags, "log");
        read_log(m, config.log);
      }
      if (const YAML::Node n = top.get("alerting"); n.IsDefined()) {
        MapReader m(n, diags, "alerting");
        if (auto v = m.duration("evaluation_interval")) {
          if (*v < kSecond || *v > 10 * kMinute)
            m.diags().error(m.get("evaluation_interval"), "alerting.evaluation_interval must be from 1s to 10m");
          else
            config.evaluation_interval = *v;
        }
        read_alerting(m, global);
      }
      if (const YAML::Node n = top.get("policy"); n.IsDefined()) {
        MapReader m(n, diags, "policy");
        read_policy(m, global_policy);
      }
      if (const YAML::Node n = top.get("notify"); n.IsDefined()) {
        MapReader m(n, diags, "notify");
        read_notify(m, config.notify);
      }
      if (const YAML::Node n = top.get("include"); n.IsDefined()) read_includes(n, source_name, diags, files, openslo);
      const YAML::Node slos = top.get("slos");
      if (slos.IsDefined() && !slos.IsSequence()) {
        diags.error(slos, "slos must be a list of SLOs");
      } else if (slos.IsDefined()) {
        for (size_t i = 0; i < slos.size(); ++i) {
          const YAML::Node slo = slos[i];
          if (slo.IsMap() && slo["name"] && slo["name"].IsScalar() && !names.insert(slo["name"].Scalar()).second) {
            diags.error(slo["name"], fmt::format("SLO name '{}' is used more than once", slo["name"].Scalar()));
          }
          read_slo(slo, i, global, global_policy, diags, config.slos);
        }
      }
    }
  }
  const size_t own = config.slos.size();
  read_openslo(openslo, global, global_policy, config.slos);
  for (size_t i = own; i < config.slos.size(); ++i) {
    if (!names.insert(config.slos[i].name).second) {
      diags.error(YAML::Mark::null_mark(), fmt::format("SLO name '{}' is used more than once (an OpenSLO document "
                                                       "defines it too)",
                                                       config.slos[i].name));
    }
  }
  if (config.slos.empty() && openslo.empty()) {
    diags.warning(root ? *root : YAML::Node(), "no SLOs are configured: every event will be answered as unmatched");
  }
  bool failed = false;
  for (Diagnostics& file : files) {
    failed = failed || file.has_errors();
    std::vector<Diagnostic> items = file.take();
    std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    for (auto& d : items) result.diagnostics.push_back(std::move(d));
  }
  if (!failed) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::string error;
  const auto text = read_file(path, error);
  if (!text) {
    LoadResult r;
    r.diagnostics.push_back({Diagnostic::Severity::kError, path, 0, 0, "cannot open the config file: " + error});
    return r;
  }
  return load_config_string(*text, path);
}

}  // namespace budgetd::config
