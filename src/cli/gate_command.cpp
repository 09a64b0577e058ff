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
#include "cli/commands.h"
#include "cli/server_request.h"

namespace budgetd::cli {
namespace {

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
    {"--dry-run", "", "print the decision and exit 0 whatever it is (budgetd logs it as a dry run)"},
};

std::vector<std::string> texts_at(const nlohmann::json& j, std::string_view key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

constexpr AskWording kGateAsk{"gate", "ask the gate", "the gate refused the question",
                              "the deploy is ALLOWED without an error-budget check"};

}  // namespace

const Command kGateCommand{
    "gate",
    "Ask budgetd whether the error budget permits a deploy (for CI).",
    kGateFlags,
    {},
    0,
    "exit codes: 0 allowed (requirements printed), 1 denied, 2 could not ask (unreachable, timeout, 5xx, 408,\n"
    "429; --fail-open makes it 0) or bad flags, 3 the question was refused (other 4xx, or a redirect);\n"
    "--dry-run: 0 whatever the decision (2 and 3 stay)\n"};

int gate(const ParsedFlags& flags) {
  const std::string service = *flags.value("--service");
  const std::string change = *flags.value("--change");
  const bool fail_open = flags.has("--fail-open");
  const std::optional<config::HttpTarget> target = server_target("gate", flags);
  if (!target) return kExitRefused;
  std::string path =
      under(*target, "/v1/gate?service=" + percent_encode(service) + "&change=" + percent_encode(change));
  for (const auto& [name, param] :
       {std::pair{"--slo", "slo"}, std::pair{"--ci-job", "ci_job"}, std::pair{"--commit", "commit"}}) {
    if (const auto v = flags.value(name)) path += std::string("&") + param + "=" + percent_encode(*v);
  }
  const bool dry_run = flags.has("--dry-run");
  if (dry_run) path += "&dry_run=true";
  const ServerAnswer answer = ask_server(kGateAsk, *target, "GET", path, "", fail_open);
  if (!answer.ok()) return answer.exit_code;
  const nlohmann::json& body = answer.json;
  if (answer.status != 200 || !body.is_object() || !body.contains("allowed") || !body["allowed"].is_boolean()) {
    return could_not_ask(kGateAsk, fail_open,
                         "the answer is not a budgetd gate decision: " + answer.body.substr(0, 200));
  }
  const bool allowed = body["allowed"].get<bool>();
  if (flags.has("--json")) {
    std::cout << body.dump(2) << "\n";
  } else {
    std::cout << "budgetd gate: " << (dry_run ? "dry run: would be " : "") << (allowed ? "ALLOWED" : "DENIED") << ": "
              << change << " change for " << service << " (decision " << text_at(body, "decision", "?") << ", tier "
              << text_at(body, "tier", "?") << ")\n";
    for (const auto& r : texts_at(body, "reasons")) std::cout << "  - " << r << "\n";
    const auto reqs = texts_at(body, "requirements");
    if (allowed && !reqs.empty()) {
      std::cout << "  requirements:";
      for (const auto& r : reqs) std::cout << " " << r;
      std::cout << "\n";
    }
  }
  if (dry_run) return kExitDone;  // the decision is printed; nothing is held back on it
  return allowed ? kExitDone : kExitDenied;
}

}  // namespace budgetd::cli
