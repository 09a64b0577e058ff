// budgetd postmortem: the first page of a postmortem for one burn episode, from a budgetd
// server (GET /v1/slos/{name}/episodes): title, date, duration, status, the SLO impact, the
// detection delay, a timeline, the top contributors, empty sections for the author, and where
// each number came from. --json prints the same as data.
//
// Exit codes as budgetd gate's (cli/server_request.h): 0 printed, 2 could not ask or bad
// flags, 3 refused (an unknown SLO, a missing token, a redirect) or no such episode.

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/postmortem_report.h"
#include "cli/server_request.h"

namespace budgetd::cli {
namespace {

constexpr Flag kPostmortemFlags[] = {
    {"--url", "URL", "budgetd's address, e.g. http://budgetd:8080", true},
    {"--slo", "S", "the SLO whose episode it is", true},
    {"--episode", "ID", "the episode (GET /v1/slos/S/episodes lists them; default: the newest)"},
    {"--json", "", "print the same as JSON"},
    {"--timeout", "D", "for the whole request (default 10s)"},
    {"--token", "T", "bearer token with the read scope (default $BUDGETD_TOKEN)"},
};

constexpr AskWording kPostmortemAsk{"postmortem", "read the episodes", "the server refused the question", ""};

}  // namespace

const Command kPostmortemCommand{
    "postmortem",
    "Print the first page of a postmortem (Markdown) for a burn episode of an SLO.",
    kPostmortemFlags,
    {},
    0,
    "exit codes: 0 printed, 2 could not ask (unreachable, timeout, 5xx, 408, 429) or bad flags,\n"
    "3 refused (other 4xx: an unknown SLO, a missing token; or a redirect) or no such episode\n"};

int postmortem(const ParsedFlags& flags) {
  std::optional<config::HttpTarget> target = server_target("postmortem", flags);
  if (!target) return kExitRefused;
  const std::string slo = *flags.value("--slo");
  const ServerAnswer answer = ask_server(kPostmortemAsk, *target, "GET",
                                         under(*target, "/v1/slos/" + percent_encode(slo) + "/episodes"), "", false);
  if (!answer.ok()) return answer.exit_code;
  const auto list = answer.json.find("episodes");
  if (list == answer.json.end() || !list->is_array()) {
    return could_not_ask(kPostmortemAsk, false, "the answer has no episodes: " + answer.body.substr(0, 200));
  }
  const nlohmann::json* chosen = nullptr;
  const auto wanted = flags.value("--episode");
  for (const nlohmann::json& e : *list) {  // newest first
    if (!e.is_object()) continue;
    if (!wanted || text_at(e, "id", "") == *wanted) {
      chosen = &e;
      break;
    }
  }
  if (chosen == nullptr) {
    std::cerr << "budgetd postmortem: "
              << (wanted ? "SLO " + slo + " has no episode " + *wanted + " in its budget window"
                         : "SLO " + slo + " had no burn episode in its budget window")
              << " (GET /v1/slos/" << slo << "/episodes lists them)\n";
    return kExitRefused;
  }
  const nlohmann::ordered_json data = postmortem_data(answer.json, *chosen);
  if (flags.has("--json")) {
    std::cout << data.dump(2) << "\n";
  } else {
    std::cout << postmortem_markdown(data);
  }
  return kExitDone;
}

}  // namespace budgetd::cli
