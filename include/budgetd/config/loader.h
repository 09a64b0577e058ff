#pragma once
// Loads and validates budgetd's YAML config. Every problem found is reported, each with the
// file, line and column it is at, so one run of `budgetd check` shows them all:
//
//   LoadResult r = load_config_file("config/budgetd.yaml");
//   for (const Diagnostic& d : r.diagnostics) std::cerr << d.to_string() << "\n";
//   if (!r.ok()) return 1;
//   run(*r.config);
//
// Unknown keys are errors: a typo must not silently change an SLO.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/config/diagnostic.h"

namespace budgetd::config {

// Config files are read only when they are regular files (not a FIFO, a device or a directory),
// and only up to a size: the main file up to kMaxConfigFileBytes, each file under `include:` up
// to the config's `include_max_bytes` (default kDefaultIncludeMaxBytes). yaml-cpp takes about 50
// bytes of memory per byte of YAML, so 4 MiB is some 200 MB while it is parsed and ~20,000 SLOs.
inline constexpr uint64_t kMaxConfigFileBytes = uint64_t{4} << 20;
inline constexpr uint64_t kDefaultIncludeMaxBytes = uint64_t{4} << 20;
inline constexpr uint64_t kMaxIncludeMaxBytes = uint64_t{256} << 20;

struct LoadResult {
  std::optional<Config> config;  // set only when there is no error
  std::vector<Diagnostic> diagnostics;

  bool ok() const { return config.has_value(); }
  // All errors, one per line, for an HTTP answer or a log line.
  std::string error_text() const;
};

LoadResult load_config_file(const std::string& path);
LoadResult load_config_string(std::string_view yaml, const std::string& source_name);

// The default rules of DESIGN.md §3 for an SLO whose primary window is `primary`: the factor of
// each is budget share x primary / long window, so 30d gives 14.4 / 6 / 3 / 1 and 28d gives
// 13.44 / 5.6 / 2.8 / 0.933.
std::vector<AlertRuleSpec> default_alert_rules(Millis primary, uint64_t min_events);

// The config's SLOs as OpenSLO v1 YAML documents (`budgetd export openslo`), which load back
// into the same SLOs. `notes` gets what OpenSLO cannot carry (extra windows, sla, min_events).
std::string export_openslo(const Config& config, std::vector<std::string>& notes);

}  // namespace budgetd::config
