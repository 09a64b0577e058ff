#pragma once
// Reading YAML nodes into typed values while collecting diagnostics with their positions.
// Private to the config module.

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "budgetd/config/diagnostic.h"
#include "budgetd/config/objective.h"
#include "budgetd/core/time.h"

namespace budgetd::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void error(const YAML::Mark& at, std::string message);
  void error(const YAML::Node& at, std::string message) { error(at.Mark(), std::move(message)); }
  void warning(const YAML::Node& at, std::string message);
  bool has_errors() const;
  std::vector<Diagnostic> take() { return std::move(items_); }

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

// Typed reads of a mapping's keys. Keys never asked for are reported as unknown when the reader
// is finished, with the list of keys that are valid there.
class MapReader {
 public:
  MapReader(const YAML::Node& node, Diagnostics& diags, std::string what);
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool valid() const { return valid_; }
  const YAML::Node& node() const { return node_; }

  // The value at key, or an undefined node. Marks the key as known.
  YAML::Node get(std::string_view key);

  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<uint64_t> unsigned_integer(std::string_view key, uint64_t min, uint64_t max);
  std::optional<double> number(std::string_view key, double min_exclusive, double max_inclusive);
  // A plain decimal percentage, exact, in 1e-9 percent (config::parse_nanopercent), in
  // [min_percent, max_percent_exclusive).
  std::optional<int64_t> percent(std::string_view key, int64_t min_percent, int64_t max_percent_exclusive);
  std::optional<bool> boolean(std::string_view key);
  std::optional<Millis> duration(std::string_view key);

  Diagnostics& diags() { return diags_; }
  const std::string& what() const { return what_; }
  // Names the mapping better once known, e.g. "slos[2]" -> "SLO 'checkout'".
  void set_what(std::string what) { what_ = std::move(what); }

 private:
  // What the typed reads share: the value at key, as one scalar, given to `parse`; when that
  // gives nothing, "{what}.{key} must be {must_be}, not '{text}'" at the value.
  template <typename T, typename Parse>
  std::optional<T> read_scalar(std::string_view key, std::string_view must_be, Parse parse);

  YAML::Node node_;
  Diagnostics& diags_;
  std::string what_;
  bool valid_;
  std::set<std::string, std::less<>> known_;
};

// Scalar text of node, or nullopt after reporting that it must be a scalar.
std::optional<std::string> scalar_text(const YAML::Node& node, Diagnostics& diags, std::string_view what);

// A percentage objective (99.9, exact; Objective::parse), or nullopt after "{what}: {why}" at n.
std::optional<Objective> read_objective(const YAML::Node& n, Diagnostics& diags, const std::string& what);

// An SLO name: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'.
bool is_slug(std::string_view s);
// No control characters.
bool is_printable(std::string_view s);

}  // namespace budgetd::config
