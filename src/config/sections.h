#pragma once
// Readers for the config sections with a schema of their own: deploy policy and notification
// targets. Private to the config module.

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// `policy: {tiers: [...]}`; keeps `out` (the defaults) when the section has errors.
void read_policy(MapReader& m, PolicySpec& out);
void read_notify(MapReader& m, NotifyConfig& out);

}  // namespace budgetd::config
