#include "cli/server_request.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "budgetd/net/http_client.h"

namespace budgetd::cli {

std::optional<config::HttpTarget> server_target(std::string_view command, const ParsedFlags& flags) {
  auto target = config::parse_http_url(*flags.value("--url"));
  if (!target.ok()) {
    std::fprintf(stderr, "budgetd %.*s: --url: %s\n", static_cast<int>(command.size()), command.data(),
                 target.status().message().c_str());
    return std::nullopt;
  }
  target->timeout = 10 * kSecond;
  if (const auto t = flags.value("--timeout")) {
    auto d = parse_duration(*t);
    if (!d.ok()) {
      std::fprintf(stderr, "budgetd %.*s: --timeout: %s\n", static_cast<int>(command.size()), command.data(),
                   d.status().message().c_str());
      return std::nullopt;
    }
    target->timeout = *d;
  }
  std::optional<std::string> token = flags.value("--token");
  if (!token) {
    if (const char* env = std::getenv("BUDGETD_TOKEN"); env != nullptr && *env != '\0') token = env;
  }
  if (token) target->headers["Authorization"] = "Bearer " + *token;
  return *target;
}

std::string under(const config::HttpTarget& target, std::string_view path) {
  std::string_view base = target.path;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path);
}

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

std::string text_at(const nlohmann::json& j, std::string_view key, std::string fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

int could_not_ask(const AskWording& w, bool fail_open, const std::string& why) {
  const std::string cmd(w.command), action(w.action), consequence(w.fail_open);
  if (fail_open) {
    std::fprintf(stderr,
                 "budgetd %s: WARNING: could not %s (%s).\n"
                 "budgetd %s: WARNING: --fail-open is set, so %s.\n",
                 cmd.c_str(), action.c_str(), why.c_str(), cmd.c_str(), consequence.c_str());
    return kExitDone;
  }
  std::fprintf(stderr, "budgetd %s: could not %s: %s\n", cmd.c_str(), action.c_str(), why.c_str());
  return kExitCouldNotAsk;
}

ServerAnswer ask_server(const AskWording& w, const config::HttpTarget& target, const std::string& method,
                        const std::string& path, const std::string& body, bool fail_open) {
  ServerAnswer out;
  const auto answer = net::http_request(target, method, path, body);
  if (!answer.ok()) {
    out.exit_code = could_not_ask(w, fail_open, answer.status().message());
    return out;
  }
  out.status = answer->status;
  out.body = answer->body;
  out.json = nlohmann::json::parse(out.body, nullptr, /*allow_exceptions=*/false);
  const unsigned status = out.status;
  const std::string cmd(w.command);
  // Overloaded, timed out or failing: asking again later may work.
  if (status >= 500 || status == 408 || status == 429 || status < 200) {
    out.exit_code =
        could_not_ask(w, fail_open, fmt::format("the server answered {}: {}", status, out.body.substr(0, 300)));
  } else if (status >= 300 && status < 400) {
    std::fprintf(stderr, "budgetd %s: the server answered a redirect (%u); point --url at budgetd itself\n",
                 cmd.c_str(), status);
    out.exit_code = kExitRefused;
  } else if (status >= 400) {
    const nlohmann::json error = out.json.is_object() ? out.json.value("error", nlohmann::json()) : nlohmann::json();
    const std::string why = text_at(error, "message", out.body);
    std::fprintf(stderr, "budgetd %s: %s (%u): %s\n", cmd.c_str(), std::string(w.refused).c_str(), status, why.c_str());
    out.exit_code = kExitRefused;
  }
  return out;
}

}  // namespace budgetd::cli
