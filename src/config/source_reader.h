#pragma once
// Reads an SLO's `source:` (issue 16) and the `ingest.otlp` section. Private to the config module.

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// `source:` of an SLO whose sli is already read (a latency SLI needs a histogram or `_bucket`
// series whose bound is its threshold). False when it is invalid (reported).
bool read_source(MapReader& slo_map, SloSpec& slo);

// ingest.otlp
void read_otlp_ingest(MapReader& m, OtlpIngestConfig& out);

}  // namespace budgetd::config
