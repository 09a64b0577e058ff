#pragma once
// The postmortem's first page, from one episode of GET /v1/slos/{name}/episodes: first as data
// (what --json prints), then that data as Markdown, so the two can never say different things.
//
//   nlohmann::json data = postmortem_data(answer, episode);
//   std::cout << postmortem_markdown(data);

#include <string>

#include <nlohmann/json.hpp>

namespace budgetd::cli {

// `answer`: the whole episodes answer (slo, service, objective, now); `episode`: one of its
// episodes. Fields the answer lacks read as empty or 0: an answer is never trusted to have the
// right shape.
nlohmann::ordered_json postmortem_data(const nlohmann::json& answer, const nlohmann::json& episode);
std::string postmortem_markdown(const nlohmann::ordered_json& data);

}  // namespace budgetd::cli
