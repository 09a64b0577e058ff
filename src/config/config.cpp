// What belongs to the typed configuration of config.h itself, apart from reading it: the names
// of its enums (as the config spells them), the default policy, an SLO's identity, HTTP targets.

#include "budgetd/config/config.h"

#include <charconv>

#include <fmt/format.h>

namespace budgetd::config {

const char* to_string(BudgetingMethod m) {
  switch (m) {
    case BudgetingMethod::kOccurrences:
      return "occurrences";
    case BudgetingMethod::kTimeslices:
      return "timeslices";
    case BudgetingMethod::kRatioTimeslices:
      return "ratio_timeslices";
  }
  return "?";
}

const char* to_string(Severity s) { return s == Severity::kPage ? "page" : "ticket"; }

const char* to_string(ChangeType c) {
  switch (c) {
    case ChangeType::kFeature:
      return "feature";
    case ChangeType::kRisky:
      return "risky";
    case ChangeType::kReliability:
      return "reliability";
    case ChangeType::kSecurity:
      return "security";
  }
  return "?";
}

const char* to_string(AckMode m) { return m == AckMode::kReplicated ? "replicated" : "local"; }

const char* to_string(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "?";
}

const char* to_string(NoDataDecision d) {
  switch (d) {
    case NoDataDecision::kAllow:
      return "allow";
    case NoDataDecision::kDeny:
      return "deny";
    case NoDataDecision::kRequireCanary:
      return "require_canary";
  }
  return "?";
}

PolicySpec default_policy() {
  const ChangeRule allow{true, {}};
  const ChangeRule deny{false, {}};
  PolicySpec p;
  constexpr int64_t kPercent = 1'000'000'000;
  p.tiers.push_back({"healthy", 50 * kPercent, {allow, allow, allow, allow}});
  p.tiers.push_back({"caution", 25 * kPercent, {allow, ChangeRule{true, {"extra-testing"}}, allow, allow}});
  p.tiers.push_back({"warning", 0, {deny, deny, ChangeRule{true, {"canary"}}, allow}});
  p.tiers.push_back({"exhausted", std::nullopt, {deny, deny, allow, allow}});
  return p;
}

std::string SloSpec::identity() const {
  std::string id =
      fmt::format("name={}\nservice={}\nsli={}", name, service, sli.type == SliType::kRatio ? "ratio" : "latency");
  if (sli.type == SliType::kLatency)
    id += fmt::format(",threshold_ms={},failed_requests_are_bad={}", sli.threshold_ms, sli.failed_requests_are_bad);
  for (const auto& [k, v] : match) id += fmt::format("\nmatch {}={}", k, v);
  if (source.from_counters()) id += "\nsource " + source.describe();  // events-fed SLOs keep their old identity
  return id;
}

Result<HttpTarget> parse_http_url(std::string_view url) {
  HttpTarget t;
  t.url = std::string(url);
  constexpr std::string_view kHttp = "http://";
  if (url.rfind("https://", 0) == 0) {
    return InvalidArgument(
        "https is not supported; use an http endpoint on a trusted network, or a local proxy that adds TLS");
  }
  if (url.rfind(kHttp, 0) != 0) return InvalidArgument(fmt::format("'{}' must start with http://", url));
  std::string_view rest = url.substr(kHttp.size());
  if (rest.find('#') != std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}' has a #fragment, which is never sent to a server; remove it", url));
  }
  const size_t path_at = rest.find_first_of("/?");
  std::string_view hostport = rest.substr(0, path_at);
  // Built with push_back/append: GCC 12 at -O3 misreports assigning or prepending a literal to a
  // std::string here (-Wrestrict, GCC bug 105651).
  if (path_at == std::string_view::npos || rest[path_at] == '?') t.path.push_back('/');
  if (path_at != std::string_view::npos) t.path.append(rest.substr(path_at));
  if (hostport.find('@') != std::string_view::npos) {
    return InvalidArgument(fmt::format(
        "'{}' holds credentials (user:password@host), which budgetd does not send and would log; give them as a "
        "header instead, e.g. headers: {{Authorization: \"Basic <base64 of user:password>\"}}",
        url));
  }
  std::string_view host = hostport;
  if (!hostport.empty() && hostport.front() == '[') {  // [v6]:port
    const size_t close = hostport.find(']');
    host = close == std::string_view::npos ? "" : hostport.substr(1, close - 1);
    hostport = close == std::string_view::npos ? "" : hostport.substr(close + 1);
  } else if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    hostport = hostport.substr(colon);
  } else {
    hostport = "";
  }
  if (!hostport.empty()) {  // ":port"
    uint32_t port = 0;
    const auto [end, ec] = std::from_chars(hostport.data() + 1, hostport.data() + hostport.size(), port);
    if (hostport.front() != ':' || ec != std::errc{} || end != hostport.data() + hostport.size() || port == 0 ||
        port > 65535) {
      return InvalidArgument(fmt::format("'{}' has a bad port", url));
    }
    t.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return InvalidArgument(fmt::format("'{}' has no host", url));
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':' || c == '_';
    if (!ok) return InvalidArgument(fmt::format("'{}' has a host with a character a host name cannot have", url));
  }
  t.host = std::string(host);
  return t;
}

}  // namespace budgetd::config
