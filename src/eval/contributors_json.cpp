#include "budgetd/eval/contributors_json.h"

namespace budgetd::eval {

nlohmann::ordered_json contributors_json(const std::vector<LabelContributors>& labels) {
  using json = nlohmann::ordered_json;
  json out = json::array();
  for (const LabelContributors& l : labels) {
    json values = json::array();
    for (const Contributor& c : l.values) {
      values.push_back({{"value", c.value},
                        {"bad", c.bad},
                        {"total", c.total},
                        {"error_ratio", c.error_ratio},
                        {"share_of_bad", c.share_of_bad},
                        {"other", c.other}});
    }
    out.push_back({{"label", l.label}, {"bad", l.bad}, {"total", l.total}, {"values", std::move(values)}});
  }
  return out;
}

}  // namespace budgetd::eval
