#pragma once
// Asking a budgetd server from the command line, shared by `budgetd gate` and `budgetd deploy`
// so both read --url, --timeout and --token ($BUDGETD_TOKEN) the same way and map an answer to
// the same exit codes:
//
//   0 done (gate: allowed)   1 gate: denied
//   2 could not ask: unreachable, timeout, 5xx, 408, 429, an answer that is not budgetd's;
//     --fail-open turns this, and only this, into 0 with a loud warning
//   3 the question was refused: other 4xx, a redirect (--url is not budgetd), a bad --url
//
//   auto target = server_target("deploy", flags);          // nullopt: printed why, exit 3
//   ServerAnswer a = ask_server(kDeployAsk, *target, "POST", "/v1/deploys", body, fail_open);
//   if (!a.ok()) return a.exit_code;                       // printed why
//   a.json["id"] ...

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "budgetd/config/config.h"
#include "cli/flags.h"

namespace budgetd::cli {

inline constexpr int kExitDone = 0, kExitDenied = 1, kExitCouldNotAsk = 2, kExitRefused = 3;

// How a subcommand names what it failed to do, in its messages.
struct AskWording {
  std::string_view command;    // "gate"
  std::string_view action;     // "ask the gate"
  std::string_view refused;    // "the gate refused the question"
  std::string_view fail_open;  // "the deploy is ALLOWED without an error-budget check"
};

// The server --url names, with --timeout (default 10s) and the bearer token of --token or
// $BUDGETD_TOKEN. nullopt after printing why (exit kExitRefused).
std::optional<config::HttpTarget> server_target(std::string_view command, const ParsedFlags& flags);

// `path` under --url's own path ("http://h/prefix/" + "/v1/gate" = "/prefix/v1/gate").
std::string under(const config::HttpTarget& target, std::string_view path);
std::string percent_encode(std::string_view s);

struct ServerAnswer {
  int exit_code = kExitDone;  // kExitDone: a 2xx answer, in status/body/json
  unsigned status = 0;
  std::string body;
  nlohmann::json json;  // discarded when the body is not JSON
  bool ok() const { return exit_code == kExitDone && status >= 200 && status < 300; }
};

// Sends the request and maps what came back. Not 2xx: prints why and gives the exit code
// (kExitDone for could-not-ask under --fail-open, after the warning).
ServerAnswer ask_server(const AskWording& wording, const config::HttpTarget& target, const std::string& method,
                        const std::string& path, const std::string& body, bool fail_open);

// For a 2xx answer that is not what budgetd answers: could not ask (or 0 under --fail-open).
int could_not_ask(const AskWording& wording, bool fail_open, const std::string& why);

// The string at `key`, or `fallback` when it is missing or not a string: an answer is never
// trusted to have the right shape.
std::string text_at(const nlohmann::json& j, std::string_view key, std::string fallback);

}  // namespace budgetd::cli
