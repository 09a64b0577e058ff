#include "yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "budgetd/config/objective.h"

namespace budgetd::config {
namespace {

// All of `text` as a T (std::from_chars: no spaces, no '+', no sign for an unsigned T), or nullopt.
template <typename T>
std::optional<T> parse_all(std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

void Diagnostics::error(const YAML::Mark& at, std::string message) {
  // yaml-cpp marks are 0-based; a null mark (-1) means "no position".
  items_.push_back({Diagnostic::Severity::kError, file_, at.line + 1, at.column + 1, std::move(message)});
}

void Diagnostics::warning(const YAML::Node& at, std::string message) {
  const YAML::Mark m = at.Mark();
  items_.push_back({Diagnostic::Severity::kWarning, file_, m.line + 1, m.column + 1, std::move(message)});
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kError; });
}

std::optional<std::string> scalar_text(const YAML::Node& node, Diagnostics& diags, std::string_view what) {
  if (!node.IsScalar()) {
    diags.error(node, fmt::format("{} must be a single value, not {}", what,
                                  node.IsMap()        ? "a mapping"
                                  : node.IsSequence() ? "a list"
                                                      : "empty"));
    return std::nullopt;
  }
  return node.Scalar();
}

MapReader::MapReader(const YAML::Node& node, Diagnostics& diags, std::string what)
    : node_(node), diags_(diags), what_(std::move(what)), valid_(node.IsMap()) {
  if (!valid_) {
    diags_.error(node, fmt::format("{} must be a mapping of keys to values", what_));
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : node_) {
    const std::string& k = kv.first.Scalar();
    if (!seen.insert(k).second) diags_.error(kv.first, fmt::format("{}: key '{}' appears twice", what_, k));
  }
}

MapReader::~MapReader() {
  if (!valid_) return;
  for (const auto& kv : node_) {
    const std::string& k = kv.first.Scalar();
    if (known_.count(k) != 0) continue;
    diags_.error(kv.first, fmt::format("{}: unknown key '{}' (valid keys: {})", what_, k, fmt::join(known_, ", ")));
  }
}

YAML::Node MapReader::get(std::string_view key) {
  known_.emplace(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> MapReader::string(std::string_view key, bool required) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) {
    if (required) diags_.error(node_, fmt::format("{}: '{}' is required", what_, key));
    return std::nullopt;
  }
  return scalar_text(n, diags_, fmt::format("{}.{}", what_, key));
}

template <typename T, typename Parse>
std::optional<T> MapReader::read_scalar(std::string_view key, std::string_view must_be, Parse parse) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  const auto text = scalar_text(n, diags_, fmt::format("{}.{}", what_, key));
  if (!text) return std::nullopt;
  std::optional<T> v = parse(std::string_view(*text));
  if (!v) diags_.error(n, fmt::format("{}.{} must be {}, not '{}'", what_, key, must_be, *text));
  return v;
}

std::optional<uint64_t> MapReader::unsigned_integer(std::string_view key, uint64_t min, uint64_t max) {
  return read_scalar<uint64_t>(key, fmt::format("a whole number from {} to {}", min, max),
                               [&](std::string_view text) -> std::optional<uint64_t> {
                                 const auto v = parse_all<uint64_t>(text);
                                 if (!v || *v < min || *v > max) return std::nullopt;
                                 return v;
                               });
}

std::optional<double> MapReader::number(std::string_view key, double min_exclusive, double max_inclusive) {
  return read_scalar<double>(key, fmt::format("a number above {} and at most {}", min_exclusive, max_inclusive),
                             [&](std::string_view text) -> std::optional<double> {
                               const auto v = parse_all<double>(text);
                               if (!v || !std::isfinite(*v) || *v <= min_exclusive || *v > max_inclusive) {
                                 return std::nullopt;
                               }
                               return v;
                             });
}

std::optional<int64_t> MapReader::percent(std::string_view key, int64_t min_percent, int64_t max_percent_exclusive) {
  return read_scalar<int64_t>(
      key,
      fmt::format("a percentage from {} up to (not including) {}, with at most nine decimal places", min_percent,
                  max_percent_exclusive),
      [&](std::string_view text) -> std::optional<int64_t> {
        const auto np = parse_nanopercent(text, std::max(-min_percent, max_percent_exclusive));
        if (!np.ok() || *np < min_percent * 1'000'000'000 || *np >= max_percent_exclusive * 1'000'000'000) {
          return std::nullopt;
        }
        return *np;
      });
}

std::optional<bool> MapReader::boolean(std::string_view key) {
  return read_scalar<bool>(key, "true or false", [](std::string_view text) -> std::optional<bool> {
    if (text == "true") return true;
    if (text == "false") return false;
    return std::nullopt;
  });
}

std::optional<Millis> MapReader::duration(std::string_view key) {
  const YAML::Node n = get(key);
  if (!n.IsDefined()) return std::nullopt;
  const auto text = scalar_text(n, diags_, fmt::format("{}.{}", what_, key));
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d.ok()) {
    diags_.error(n, fmt::format("{}.{}: {}", what_, key, d.status().message()));
    return std::nullopt;
  }
  return *d;
}

std::optional<Objective> read_objective(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  auto objective = Objective::parse(*text);
  if (!objective.ok()) {
    diags.error(n, fmt::format("{}: {}", what, objective.status().message()));
    return std::nullopt;
  }
  return *objective;
}

bool is_slug(std::string_view s) {
  return !s.empty() && s.size() <= 63 && s.front() != '-' && s.back() != '-' &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

}  // namespace budgetd::config
