#pragma once
// The typed configuration: what `budgetd check` validates and `budgetd serve` runs.
// Loading and validation live in loader.h; every value here has already been checked.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/objective.h"
#include "budgetd/config/source.h"
#include "budgetd/core/calendar.h"
#include "budgetd/core/status.h"
#include "budgetd/core/time.h"

namespace budgetd::config {

// The calendar part of a calendar budget window: periods of `unit` in `timezone`.
struct CalendarWindow {
  CalendarUnit unit = CalendarUnit::kMonthly;
  std::string timezone = "UTC";
  const TimeZone* zone = nullptr;
  // The buckets it is evaluated at: 1h, or 5m in zones whose offsets are not whole hours
  // (calendar_resolution), so that every period starts on a bucket edge.
  Millis resolution{0};

  friend bool operator==(const CalendarWindow&, const CalendarWindow&) = default;
};

// A window (DESIGN.md §3). Rolling ("30d"): at time t it covers the `length` ending with the
// bucket that holds t. Calendar ({calendar: month, timezone: Europe/Berlin}, budget windows
// only): from the start of the period holding t to the end of the bucket holding t.
struct WindowSpec {
  // Rolling: the window. Calendar: the nominal period (1d, 7d, 30d, 90d, 365d), which the
  // default alert factors scale with.
  Millis length{0};
  std::string name;  // canonical: "30d", "1h30m"; calendar: "month:Europe/Berlin"
  std::optional<CalendarWindow> calendar;

  static WindowSpec rolling(Millis length) { return {length, format_duration(length), std::nullopt}; }
  bool is_calendar() const { return calendar.has_value(); }
  // The most time the window can span: what its ring must retain (before lookback).
  Millis span() const { return calendar ? longest_period(calendar->unit) : length; }
  friend bool operator==(const WindowSpec&, const WindowSpec&) = default;
};

// How an SLO's error budget counts (DESIGN.md §3): events, or time slices.
enum class BudgetingMethod { kOccurrences, kTimeslices, kRatioTimeslices };
const char* to_string(BudgetingMethod m);

struct BudgetingSpec {
  BudgetingMethod method = BudgetingMethod::kOccurrences;
  // Timeslice methods: the slice length, one of the store's bucket sizes (10s, 1m, 5m, 1h).
  Millis slice{0};
  // Timeslices: the good/total share a slice needs to be good, exact in 1e-9 (0.95 is 950'000'000).
  int64_t slice_target = 0;
  static constexpr int64_t kTargetScale = 1'000'000'000;
  double slice_target_ratio() const { return static_cast<double>(slice_target) / kTargetScale; }

  bool timesliced() const { return method != BudgetingMethod::kOccurrences; }
  friend bool operator==(const BudgetingSpec&, const BudgetingSpec&) = default;
};

enum class SliType { kRatio, kLatency };

struct SliSpec {
  SliType type = SliType::kRatio;
  // Latency SLIs: an event is good when latency_ms <= threshold_ms ...
  double threshold_ms = 0;
  // ... and, unless this is false, it did not also say "good": false.
  bool failed_requests_are_bad = true;

  friend bool operator==(const SliSpec&, const SliSpec&) = default;
};

enum class Severity { kPage, kTicket };
const char* to_string(Severity s);

// One multi-window, multi-burn-rate alert rule (SRE Workbook, "Alerting on SLOs"): it fires
// while the burn rate over both windows exceeds `factor` and the long window holds at least
// `min_events` events.
struct AlertRuleSpec {
  std::string name;
  Severity severity = Severity::kPage;
  WindowSpec long_window;
  WindowSpec short_window;
  double factor = 0;
  uint64_t min_events = 0;
  std::string runbook_url;

  friend bool operator==(const AlertRuleSpec&, const AlertRuleSpec&) = default;
};

// Deploy policy (DESIGN.md §3): tiers by remaining budget, each deciding per change type.
enum class ChangeType { kFeature, kRisky, kReliability, kSecurity };
inline constexpr std::array<ChangeType, 4> kChangeTypes{ChangeType::kFeature, ChangeType::kRisky,
                                                        ChangeType::kReliability, ChangeType::kSecurity};
const char* to_string(ChangeType c);

struct ChangeRule {
  bool allow = true;
  std::vector<std::string> requirements;  // e.g. "canary", "extra-testing"
  friend bool operator==(const ChangeRule&, const ChangeRule&) = default;
};

struct TierSpec {
  std::string name;
  // The tier applies while the remaining budget share is strictly above `above`, held exactly in
  // 1e-9 percent like objectives (50 % is 50'000'000'000); the last tier has none (catch-all).
  std::optional<int64_t> above;
  double above_percent() const { return above ? static_cast<double>(*above) / 1e9 : 0.0; }
  std::array<ChangeRule, 4> changes;  // indexed by ChangeType
  const ChangeRule& rule(ChangeType c) const { return changes[static_cast<size_t>(c)]; }
  friend bool operator==(const TierSpec&, const TierSpec&) = default;
};

// What the gate answers for an SLO whose primary budget window has no events at all
// (policy.no_data): nothing is known about the change's risk, so it is a choice.
enum class NoDataDecision { kAllow, kDeny, kRequireCanary };
const char* to_string(NoDataDecision d);

struct PolicySpec {
  std::vector<TierSpec> tiers;  // healthiest first; thresholds strictly decreasing
  NoDataDecision no_data = NoDataDecision::kAllow;
  // The longest a gate override (POST /v1/gate/overrides) may last; a service's overrides are
  // held to the shortest of its SLOs'.
  Millis max_override = 24 * kHour;
  friend bool operator==(const PolicySpec&, const PolicySpec&) = default;
};

// The default policy of DESIGN.md §3: healthy > 50 %, caution > 25 %, warning > 0 %, exhausted.
PolicySpec default_policy();

// Which label values burned the budget (attribution:): for each listed event label, exact
// good/total counts per value, for up to `max_values` values per label; later values are
// counted together as "other", so a label's parts always add up to the SLO.
struct AttributionSpec {
  std::vector<std::string> labels;  // empty: no attribution
  uint32_t max_values = 64;
  bool enabled() const { return !labels.empty(); }
  friend bool operator==(const AttributionSpec&, const AttributionSpec&) = default;
};

struct SloSpec {
  std::string name;
  std::string service;
  std::string description;
  Objective objective;
  std::vector<WindowSpec> windows;  // budget windows
  size_t primary = 0;               // index in `windows` of the one tiers and the gate use
  BudgetingSpec budgeting;
  std::optional<Objective> sla;  // a contractual target, looser than the objective
  SliSpec sli;
  std::map<std::string, std::string> match;  // label matchers, all must hold
  std::vector<AlertRuleSpec> alert_rules;
  PolicySpec policy;
  AttributionSpec attribution;
  CountSource source;  // events (the default), or counters pushed over OTLP or remote_write

  const WindowSpec& primary_window() const { return windows[primary]; }
  // What makes two SLOs "the same data": reload keeps the counts of an SLO whose identity is
  // unchanged, and only then.
  std::string identity() const;
  friend bool operator==(const SloSpec&, const SloSpec&) = default;
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  int threads = 2;         // I/O threads: connections, parsing, routing, probes, writing answers
  int read_threads = 2;    // the read executor: status, list, gate, alerts, /metrics
  int ingest_threads = 2;  // the ingest executor: POST /v1/events (decode, route, log, apply)
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  uint32_t max_header_bytes = 16 * 1024;
  Millis read_timeout = 30 * kSecond;   // to receive one whole request, headers and body
  Millis write_timeout = 30 * kSecond;  // to send one whole response
  Millis idle_timeout = 60 * kSecond;   // keep-alive connection with no request in flight
  uint32_t max_connections = 10'000;
  Millis drain_timeout = 10 * kSecond;  // SIGTERM: time in-flight requests get to finish
};

enum class FsyncPolicy { kAlways, kInterval, kNever };
const char* to_string(FsyncPolicy p);

struct StorageConfig {
  std::string dir = "./data";
  // When an accepted batch is on disk: always (fsync before the 200; concurrent batches share
  // one fsync), interval (fsync every fsync_interval), never (the kernel decides).
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  Millis fsync_interval = kSecond;
  Millis snapshot_interval = 5 * kMinute;
  uint64_t wal_segment_bytes = 64ull << 20;
  // A snapshot is also taken as soon as the log's segments on disk hold more than
  // max(wal_max_bytes, wal_max_store_ratio x the last snapshot's size), so a log that grows
  // faster than snapshot_interval is trimmed (and a restart replays less) all the same.
  uint64_t wal_max_bytes = 1ull << 30;
  double wal_max_store_ratio = 4;
  // How far back `GET /v1/slos/{name}?at=T` can ask while every window stays answerable; the
  // rings keep this much beyond their longest window.
  Millis status_lookback = kHour;
};

struct IngestConfig {
  Millis max_future = 5 * kMinute;   // events further ahead of the clock are rejected
  uint32_t max_errors_listed = 100;  // per-item errors listed in one answer
  Millis idempotency_ttl = kDay;     // a retried Idempotency-Key is answered from memory this long
  uint64_t idempotency_max_keys = 1'000'000;
  // Memory the remembered answers may take: answers list per-event errors, so keys alone do not
  // bound it. The oldest keys go first past either limit.
  uint64_t idempotency_max_bytes = 256ull << 20;
  OtlpIngestConfig otlp;  // ingest.otlp: how spans become events
  // How long the increase of an SLO's total counter waits in a bucket for its good/bad
  // counter's (remote_write may send the two series in different requests) before it is
  // counted on its own (issue 16).
  Millis counter_pairing_delay = kMinute;
};

enum class Scope : uint8_t { kIngest = 1, kRead = 2, kGate = 4, kAdmin = 8 };

struct AuthToken {
  std::string name;
  std::array<uint8_t, 32> sha256{};  // of the token; the token itself is never configured
  uint8_t scopes = 0;                // Scope bits; admin implies every scope
};

struct AuthConfig {
  std::vector<AuthToken> tokens;  // empty: no authentication
};

struct HttpTarget {
  std::string url;  // as written
  std::string host;
  uint16_t port = 80;
  std::string path;  // begins with '/'
  Millis timeout = 5 * kSecond;
  std::map<std::string, std::string> headers;
};

// "http://host[:port][/path]" (http only).
Result<HttpTarget> parse_http_url(std::string_view url);

struct NotifyConfig {
  std::vector<HttpTarget> alertmanagers;  // POST {path}/api/v2/alerts
  std::vector<HttpTarget> webhooks;       // POST {path} with budgetd's JSON
  Millis resend_interval = kMinute;       // firing alerts are re-sent this often
  std::string external_url;               // budgetd's own address, for links in notifications
};

struct LogConfig {
  std::string level = "info";
};

enum class AckMode { kReplicated, kLocal };
const char* to_string(AckMode m);  // "replicated", "local" (defined in config.cpp)

struct RedisConfig {
  std::string url;                     // "redis://host:port"; or the two below
  std::vector<std::string> sentinels;  // "host:port" each
  std::string master;                  // the Sentinel master name
  int shards = 1;                      // streams the log spreads over (Redis Cluster)
  Millis timeout = 2 * kSecond;        // connect and every command
};

struct ClusterConfig {
  std::string node;       // this replica's unique name, [a-z0-9-]+
  std::string advertise;  // how peers reach this node's API, "http://host:port"
  RedisConfig redis;
  std::string stream = "budgetd";  // prefix of every key budgetd keeps in Redis
  AckMode ack = AckMode::kReplicated;
  int wait_replicas = 1;        // Redis replicas that must hold a record before a replicated 200
  std::string peer_token_file;  // admin token for a peer's snapshot, when auth is on
  Millis heartbeat_interval = kSecond;
  Millis node_timeout = 10 * kSecond;  // a node whose heartbeat is older is not live (trim ignores it)
  Millis lease = 3 * kSecond;          // the notification leader's lease; renewed every lease / 3
  Millis stale_after = 5 * kSecond;    // replication.stale once the lag is longer
  // ack: local: payload bytes accepted here and not yet in Redis that memory may hold; past it
  // ingest answers 503 until the backlog drains (Redis away for long, or behind).
  uint64_t max_backlog_bytes = 1ull << 30;
};

struct Config {
  std::string source;  // the file it came from
  ServerConfig server;
  StorageConfig storage;
  IngestConfig ingest;
  LogConfig log;
  AuthConfig auth;
  NotifyConfig notify;
  Millis evaluation_interval = 10 * kSecond;  // alerting.evaluation_interval
  std::vector<SloSpec> slos;
  std::optional<ClusterConfig> cluster;
};

}  // namespace budgetd::config
