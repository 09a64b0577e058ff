// budgetd deploy: tells a budgetd server that a service was deployed, for CI (POST /v1/deploys).
//
// Exit codes as budgetd gate's (cli/server_request.h): 0 recorded, 2 could not ask (--fail-open
// makes it 0: a pipeline may choose to go on without its marker) or bad flags, 3 refused (a
// field the server does not take, an unknown service, a missing token; or a redirect).

#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/server_request.h"

namespace budgetd::cli {
namespace {

constexpr Flag kDeployFlags[] = {
    {"--url", "URL", "budgetd's address, e.g. http://budgetd:8080", true},
    {"--service", "S", "the service deployed", true},
    {"--version", "V", "what was deployed: a tag, a build number", true},
    {"--commit", "C", "the commit deployed"},
    {"--ci-job", "J", "the CI job that deployed it"},
    {"--change", "T", "feature, risky, reliability or security"},
    {"--link", "URL", "a link to the change or the pipeline (the deploy's url)"},
    {"--ts", "T", "when it was deployed: RFC 3339 or unix ms (default: now)"},
    {"--idempotency-key", "K", "a key naming this deploy: a retry with the same key records it once"},
    {"--fail-open", "", "exit 0, with a warning, when budgetd cannot be asked (exit 2)"},
    {"--json", "", "print the recorded deploy as JSON"},
    {"--timeout", "D", "for the whole request (default 10s)"},
    {"--token", "T", "bearer token with the gate scope (default $BUDGETD_TOKEN)"},
};

constexpr AskWording kDeployAsk{"deploy", "record the deploy", "the server refused the deploy",
                                "the pipeline goes on WITHOUT the deploy recorded"};

}  // namespace

const Command kDeployCommand{
    "deploy",
    "Record a deploy in budgetd, so its cost shows up (for CI, after the deploy).",
    kDeployFlags,
    {},
    0,
    "exit codes: 0 recorded, 2 could not ask (unreachable, timeout, 5xx, 408, 429; --fail-open makes it 0) or\n"
    "bad flags, 3 the deploy was refused (other 4xx: a bad field, an unknown service; or a redirect)\n"};

int deploy(const ParsedFlags& flags) {
  const bool fail_open = flags.has("--fail-open");
  std::optional<config::HttpTarget> target = server_target("deploy", flags);
  if (!target) return kExitRefused;
  if (const auto key = flags.value("--idempotency-key")) target->headers["Idempotency-Key"] = *key;
  nlohmann::json body = nlohmann::json::object();
  for (const auto& [name, field] :
       {std::pair{"--service", "service"}, std::pair{"--version", "version"}, std::pair{"--commit", "commit"},
        std::pair{"--ci-job", "ci_job"}, std::pair{"--change", "change"}, std::pair{"--link", "url"},
        std::pair{"--ts", "ts"}}) {
    if (const auto v = flags.value(name)) body[field] = *v;
  }
  // Bytes that are not UTF-8 are sent replaced (U+FFFD) rather than throw; the server refuses
  // what is not printable.
  const std::string sent = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const ServerAnswer answer = ask_server(kDeployAsk, *target, "POST", under(*target, "/v1/deploys"), sent, fail_open);
  if (!answer.ok()) return answer.exit_code;
  const nlohmann::json& d = answer.json;
  // 200: a retry the server recognised by its Idempotency-Key, answered with the first deploy.
  if ((answer.status != 201 && answer.status != 200) || text_at(d, "id", "").empty()) {
    return could_not_ask(kDeployAsk, fail_open, "the answer is not a recorded deploy: " + answer.body.substr(0, 200));
  }
  if (flags.has("--json")) {
    std::cout << d.dump(2) << "\n";
  } else {
    std::cout << "budgetd deploy: " << (answer.status == 200 ? "already recorded " : "recorded ")
              << text_at(d, "id", "?") << ": " << text_at(d, "service", "?") << " " << text_at(d, "version", "?")
              << " at " << text_at(d, "ts", "?") << "\n";
  }
  return kExitDone;
}

}  // namespace budgetd::cli
