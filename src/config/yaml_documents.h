#pragma once
// The YAML documents of one config file, parsed so that no input can make the parser run away.
// Private to the config module.
//
// Why not YAML::LoadAll alone: in yaml-cpp 0.7 (Debian 12's), a document whose first token can
// start no node (a `,` outside any flow collection, as in the one-line file `,"total":10}`) is
// parsed as an empty document without consuming that token, and LoadAll's loop asks for the
// next document at the same place forever, appending an empty node each time until memory runs
// out (more than 8 GB in seconds). yaml-cpp 0.9.0 fixed it upstream (LoadAll stops at a document
// that consumed nothing); here the same check runs first, over the parser's events, which build
// no nodes, and a stall is a syntax error at its place.

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "yaml_reader.h"

namespace budgetd::config {

// Every document of `text`, or nullopt after one "YAML syntax: ..." error at its place in `diags`.
std::optional<std::vector<YAML::Node>> load_yaml_documents(const std::string& text, Diagnostics& diags);

}  // namespace budgetd::config
