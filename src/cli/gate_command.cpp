// budgetd gate: asks a budgetd server whether the error budget permits a deploy, for CI.
//
// Exit codes: 0 allowed (possibly with requirements), 1 denied, 2 could not ask (unreachable,
// timeout, 5xx, 408, 429, an answer that is not budgetd's), 3 the question was refused (other
// 4xx: unknown service, bad change type, missing token; or a redirect: --url is not budgetd).
// --fail-open turns 2, and only 2, into 0. A command line it cannot take is exit 2 too (with the
// usage), never turned into 0: a misspelt flag must not pass a deploy.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/config.h"
#include "budgetd/net/http_client.h"
#include "cli/commands.h"

namespace budgetd::cli {
namespace {

constexpr int kAllowed = 0, kDenied = 1, kCouldNotAsk = 2, kRefused = 3;

constexpr Flag kGateFlags[] = {
    {"--url", "URL", "budgetd's address, e.g. http://budgetd:8080", true},
    {"--service", "S", "the service to deploy", true},
    {"--change", "C", "feature, risky, reliability or security", true},
    {"--slo", "NAME", "ask for this SLO of the service only"},
    {"--fail-open", "", "exit 0, with a warning, when budgetd cannot be asked (exit 2)"},
    {"--json", "", "print budgetd's answer as JSON"},
    {"--timeout", "D", "for the whole request (default 10s)"},
    {"--token", "T", "bearer token with the gate scope (default $BUDGETD_TOKEN)"},
    {"--ci-job", "J", "logged with the decision"},
    {"--commit", "C", "logged with the decision"},
};

std::string percent_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// The string at `key`, or `fallback` when it is missing or not a string: an answer is never
// trusted to have the right shape.
std::string text_at(const nlohmann::json& j, std::string_view key, std::string fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::vector<std::string> texts_at(const nlohmann::json& j, std::string_view key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

int could_not_ask(bool fail_open, const std::string& why) {
  if (fail_open) {
    std::fprintf(stderr,
                 "budgetd gate: WARNING: could not ask the gate (%s).\n"
                 "budgetd gate: WARNING: --fail-open is set, so the deploy is ALLOWED without an error-budget check.\n",
                 why.c_str());
    return kAllowed;
  }
  std::fprintf(stderr, "budgetd gate: could not ask the gate: %s\n", why.c_str());
  return kCouldNotAsk;
}

}  // namespace

const Command kGateCommand{
    "gate",
    "Ask budgetd whether the error budget permits a deploy (for CI).",
    kGateFlags,
    {},
    0,
    "exit codes: 0 allowed (requirements printed), 1 denied, 2 could not ask (unreachable, timeout, 5xx, 408,\n"
    "429; --fail-open makes it 0) or bad flags, 3 the question was refused (other 4xx, or a redirect)\n"};

int gate(const ParsedFlags& flags) {
  const std::string url = *flags.value("--url");
  const std::string service = *flags.value("--service");
  const std::string change = *flags.value("--change");
  const bool fail_open = flags.has("--fail-open");
  auto target = config::parse_http_url(url);
  if (!target.ok()) {
    std::fprintf(stderr, "budgetd gate: --url: %s\n", target.status().message().c_str());
    return kRefused;
  }
  if (const auto t = flags.value("--timeout")) {
    auto d = parse_duration(*t);
    if (!d.ok()) {
      std::fprintf(stderr, "budgetd gate: --timeout: %s\n", d.status().message().c_str());
      return kRefused;
    }
    target->timeout = *d;
  } else {
    target->timeout = 10 * kSecond;
  }
  std::optional<std::string> token = flags.value("--token");
  if (!token) {
    if (const char* env = std::getenv("BUDGETD_TOKEN"); env != nullptr && *env != '\0') token = env;
  }
  if (token) target->headers["Authorization"] = "Bearer " + *token;

  std::string_view base = target->path;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string path =
      std::string(base) + "/v1/gate?service=" + percent_encode(service) + "&change=" + percent_encode(change);
  for (const auto& [name, param] :
       {std::pair{"--slo", "slo"}, std::pair{"--ci-job", "ci_job"}, std::pair{"--commit", "commit"}}) {
    if (const auto v = flags.value(name)) path += std::string("&") + param + "=" + percent_encode(*v);
  }
  const auto answer = net::http_request(*target, "GET", path, "");
  if (!answer.ok()) return could_not_ask(fail_open, answer.status().message());
  const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  const unsigned status = answer->status;
  // Overloaded, timed out or failing: asking again later may work.
  if (status >= 500 || status == 408 || status == 429 || status < 200)
    return could_not_ask(fail_open, fmt::format("the server answered {}: {}", status, answer->body.substr(0, 300)));
  if (status >= 300 && status < 400) {
    std::fprintf(stderr, "budgetd gate: the server answered a redirect (%u); point --url at budgetd itself\n", status);
    return kRefused;
  }
  if (status != 200) {
    const std::string why =
        text_at(body.is_object() ? body.value("error", nlohmann::json()) : nlohmann::json(), "message", answer->body);
    std::fprintf(stderr, "budgetd gate: the gate refused the question (%u): %s\n", status, why.c_str());
    return kRefused;
  }
  if (!body.is_object() || !body.contains("allowed") || !body["allowed"].is_boolean()) {
    return could_not_ask(fail_open, "the answer is not a budgetd gate decision: " + answer->body.substr(0, 200));
  }
  const bool allowed = body["allowed"].get<bool>();
  if (flags.has("--json")) {
    std::cout << body.dump(2) << "\n";
  } else {
    std::cout << "budgetd gate: " << (allowed ? "ALLOWED" : "DENIED") << ": " << change << " change for " << service
              << " (decision " << text_at(body, "decision", "?") << ", tier " << text_at(body, "tier", "?") << ")\n";
    for (const auto& r : texts_at(body, "reasons")) std::cout << "  - " << r << "\n";
    const auto reqs = texts_at(body, "requirements");
    if (allowed && !reqs.empty()) {
      std::cout << "  requirements:";
      for (const auto& r : reqs) std::cout << " " << r;
      std::cout << "\n";
    }
  }
  return allowed ? kAllowed : kDenied;
}

}  // namespace budgetd::cli
