// TEMP, not to be merged: lets the episodes branch build against contributors.h before the
// attribution branch's implementation lands. Every SLO reads as having no attribution.
#include "budgetd/eval/contributors.h"

namespace budgetd::eval {

Result<std::vector<LabelContributors>> contributors(const store::StoredSlo&, Timestamp, Timestamp, std::string_view) {
  return std::vector<LabelContributors>{};
}

std::string top_contributors_text(const std::vector<LabelContributors>&, size_t) { return ""; }

}  // namespace budgetd::eval
