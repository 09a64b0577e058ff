#pragma once
// Readers of the sections of budgetd's own config document: server, storage, ingest, auth, log,
// alerting, policy and notify (`slos:` is slo_reader.h's, `include:` the loader's). Private to
// the config module.

#include "alert_rules.h"
#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// What the sections fill in: the config, and the alerting defaults and policy every SLO starts
// from (an SLO's own `alerting:` and `policy:` go over them).
struct SectionOutputs {
  Config& config;
  AlertingDefaults& alerting;
  PolicySpec& policy;
};

// Reads each of the sections that `top`, budgetd's document, has.
void read_sections(MapReader& top, const SectionOutputs& out);

// `cluster:` (cluster_section.cpp); sets `out` when the section is there.
void read_cluster(MapReader& m, std::optional<ClusterConfig>& out);

// `policy: {tiers: [...], no_data, max_override}`, at the top or in an SLO; keeps `out` (the
// defaults) when the section has errors.
void read_policy(MapReader& m, PolicySpec& out);

}  // namespace budgetd::config
