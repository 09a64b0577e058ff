// OpenSLO's envelope (apiVersion, kind, metadata, spec) and the references between documents.

#include "openslo_documents.h"

#include <optional>

#include <fmt/format.h>

namespace budgetd::config {
namespace {

constexpr std::string_view kApiVersion = "openslo/v1";

// The kind and name of a document whose envelope is sound, or nullopt after saying what is wrong.
std::optional<std::pair<std::string, std::string>> check_envelope(const YAML::Node& n, Diagnostics& diags) {
  if (!n.IsMap()) {
    diags.error(n, "an OpenSLO document must be a mapping with apiVersion, kind, metadata and spec");
    return std::nullopt;
  }
  const std::string api = at(n, "apiVersion").IsScalar() ? at(n, "apiVersion").Scalar() : "";
  if (api != kApiVersion) {
    diags.error(at(n, "apiVersion").IsDefined() ? at(n, "apiVersion") : n,
                fmt::format("apiVersion '{}' is not supported: budgetd reads OpenSLO {}", api, kApiVersion));
    return std::nullopt;
  }
  std::string kind = at(n, "kind").IsScalar() ? at(n, "kind").Scalar() : "";
  std::string name = name_of(n);
  if (name.empty()) {
    diags.error(n, fmt::format("OpenSLO {}: metadata.name is required", kind.empty() ? "document" : kind));
    return std::nullopt;
  }
  if (!at(n, "spec").IsMap()) {
    diags.error(n, fmt::format("OpenSLO {} '{}': spec is required", kind, name));
    return std::nullopt;
  }
  return std::pair{std::move(kind), std::move(name)};
}

}  // namespace

YAML::Node at(const YAML::Node& n, std::string_view key) {
  if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string name_of(const YAML::Node& doc) {
  const YAML::Node m = at(doc, "metadata");
  if (m.IsMap() && at(m, "name") && at(m, "name").IsScalar()) return at(m, "name").Scalar();
  return "";
}

OpenSloIndex index_documents(const std::vector<OpenSloDoc>& docs) {
  OpenSloIndex index;
  bool targets_noted = false;
  for (const OpenSloDoc& d : docs) {
    Diagnostics& diags = *d.diags;
    const YAML::Node& n = d.node;
    const auto envelope = check_envelope(n, diags);
    if (!envelope) continue;
    const auto& [kind, name] = *envelope;
    DocumentsByName* into = nullptr;
    if (kind == "SLO") {
      index.slos.push_back(d);
      continue;
    } else if (kind == "SLI") {
      into = &index.slis;
    } else if (kind == "AlertPolicy") {
      into = &index.alert_policies;
    } else if (kind == "AlertCondition") {
      into = &index.alert_conditions;
    } else if (kind == "Service") {
      into = &index.services;
    } else if (kind == "AlertNotificationTarget") {
      if (!targets_noted) {
        diags.warning(at(n, "kind"), fmt::format("AlertNotificationTarget '{}': budgetd sends every alert to its "
                                                 "notify: targets (Alertmanager, webhooks); route by the labels slo, "
                                                 "service and severity there",
                                                 name));
        targets_noted = true;
      }
      continue;
    } else if (kind == "DataSource") {
      diags.warning(at(n, "kind"), fmt::format("DataSource '{}' is not used: budgetd does not query metric sources, "
                                               "services push their events to it",
                                               name));
      continue;
    } else {
      diags.error(at(n, "kind").IsDefined() ? at(n, "kind") : n,
                  fmt::format("OpenSLO kind '{}' is not supported (budgetd reads SLO, SLI, Service, AlertPolicy, "
                              "AlertCondition, AlertNotificationTarget and DataSource)",
                              kind));
      continue;
    }
    if (!into->emplace(name, d).second) {
      diags.warning(at(at(n, "metadata"), "name"),
                    fmt::format("{} '{}' is defined more than once; the first one is used", kind, name));
    }
  }
  return index;
}

const OpenSloDoc* find_referenced(const DocumentsByName& docs, const YAML::Node& ref, std::string_view field,
                                  std::string_view kind, Diagnostics& diags, const std::string& what) {
  const std::string name = ref.IsScalar() ? ref.Scalar() : "";
  const auto it = docs.find(name);
  if (it == docs.end()) {
    diags.error(ref, fmt::format("{}: {} '{}' names no {}", what, field, name, kind));
    return nullptr;
  }
  return &it->second;
}

bool is_openslo(const YAML::Node& doc) {
  if (doc.IsMap()) return at(doc, "apiVersion").IsDefined();
  return doc.IsSequence() && doc.size() > 0 && doc[0].IsMap() && at(doc[0], "apiVersion").IsDefined();
}

void collect_openslo(const YAML::Node& doc, Diagnostics& diags, std::vector<OpenSloDoc>& out) {
  if (doc.IsSequence()) {
    for (const YAML::Node& d : doc) out.push_back({d, &diags});
  } else {
    out.push_back({doc, &diags});
  }
}

}  // namespace budgetd::config
