#pragma once
// OpenSLO's durations ("5m", "1h", "28d", "1w", "1M", "1Q", "1Y") and an SLO's timeWindow, as
// budgetd's windows: a rolling duration, or one calendar day, week, month, quarter or year.
// Private to the config module.

#include <cstdint>
#include <optional>
#include <string>

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// "2w" -> {2, 'w'}. OpenSLO's units: m (minute), h, d, w, M (month), Q (quarter), Y (year); s too.
struct OpenSloDuration {
  int64_t count = 0;
  char unit = 0;
  std::optional<Millis> fixed() const;  // nullopt for M, Q and Y, which have no fixed length
};

std::optional<OpenSloDuration> read_openslo_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what);
// A duration with a fixed length (not M, Q or Y), or nullopt after saying why.
std::optional<Millis> read_fixed_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what);

// spec.timeWindow of an SLO: its one budget window.
std::optional<WindowSpec> read_time_window(MapReader& spec, Diagnostics& diags, const std::string& what);

}  // namespace budgetd::config
