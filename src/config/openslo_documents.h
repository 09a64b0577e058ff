#pragma once
// The OpenSLO documents of one load, filed by kind and name once their envelopes are checked,
// and the lookup a reference (indicatorRef, alertPolicyRef, conditionRef) makes in them.
// Private to the config module.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "openslo.h"

namespace budgetd::config {

using DocumentsByName = std::map<std::string, OpenSloDoc, std::less<>>;

struct OpenSloIndex {
  std::vector<OpenSloDoc> slos;  // kind SLO, in order; read once every document is indexed
  DocumentsByName slis;
  DocumentsByName alert_policies;
  DocumentsByName alert_conditions;
  DocumentsByName services;
};

// Checks each document's envelope (apiVersion, kind, metadata.name, spec), says what budgetd
// does not use (AlertNotificationTarget, DataSource), and files the rest.
OpenSloIndex index_documents(const std::vector<OpenSloDoc>& docs);

// n[key] without yaml-cpp's throw on missing keys of const nodes: an Undefined node instead.
YAML::Node at(const YAML::Node& n, std::string_view key);
// metadata.name, or "" when there is none.
std::string name_of(const YAML::Node& doc);

// The document of `docs` that `ref` (the value of `field`) names, or nullptr after
// "{what}: {field} '{name}' names no {kind}" at ref.
const OpenSloDoc* find_referenced(const DocumentsByName& docs, const YAML::Node& ref, std::string_view field,
                                  std::string_view kind, Diagnostics& diags, const std::string& what);

}  // namespace budgetd::config
