// Loading: the main file and the files under `include:`, which document of a file is what, and
// the order of the diagnostics. What the documents say is read elsewhere: the sections by
// sections.h, budgetd's SLOs by slo_reader.h, OpenSLO documents by openslo.h.

#include "budgetd/config/loader.h"

#include <glob.h>

#include <algorithm>
#include <deque>
#include <set>

#include <fmt/format.h>

#include "alert_rules.h"
#include "config_file.h"
#include "openslo.h"
#include "sections.h"
#include "slo_reader.h"
#include "yaml_documents.h"
#include "yaml_reader.h"

namespace budgetd::config {
namespace {

// The files an `include:` entry names: a path (relative to the config's directory) or a glob.
std::vector<std::string> expand_include(const std::string& pattern, const std::string& source) {
  std::string full = pattern;
  if (!full.empty() && full[0] != '/') {
    const auto slash = source.rfind('/');
    if (slash != std::string::npos) full = source.substr(0, slash + 1) + full;
  }
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

// One load: the config being built, what its SLOs start from, and the diagnostics of each file.
struct Load {
  explicit Load(const std::string& source) {
    files.emplace_back(source);
    config.source = source;
  }
  Diagnostics& main_file() { return files.front(); }

  // The main file first, then each included one. A deque, so that adding a file leaves the
  // Diagnostics that OpenSloDoc::diags points to where they are.
  std::deque<Diagnostics> files;
  std::vector<OpenSloDoc> openslo;
  Config config;
  AlertingDefaults alerting;
  PolicySpec policy = default_policy();
  std::set<std::string, std::less<>> slo_names;
  // Whether budgetd's document or an included file lists any SLO under `slos:`, valid or not.
  bool slos_written = false;
};

// Whether a `slos:` value is an attempt at SLOs: anything but an empty list, whose own errors
// then say what is wrong.
bool lists_slos(const YAML::Node& slos) { return !(slos.IsSequence() && slos.size() == 0); }

// A document of an included file that holds budgetd's own SLOs: `slos:` and nothing else.
bool is_slo_list(const YAML::Node& doc) { return doc.IsMap() && doc.size() == 1 && doc["slos"].IsDefined(); }

// Reads the files under `include:`: their OpenSLO documents into load.openslo, their `slos:`
// lists (SLOs too many for the main file's size, split over files) into load.config.slos at
// once, under the main file's alerting defaults and policy, so that no file's YAML tree outlives
// its reading. Each file has its own diagnostics in load.files. A file that cannot be read is an
// error at its entry's line.
void read_includes(const YAML::Node& list, uint64_t max_bytes, Load& load) {
  Diagnostics& diags = load.main_file();
  const std::string& source = load.config.source;
  if (!list.IsSequence()) {
    diags.error(list, "include must be a list of files (paths or globs) holding OpenSLO documents or slos: lists");
    return;
  }
  for (const YAML::Node& entry : list) {
    const auto pattern = scalar_text(entry, diags, "include");
    if (!pattern) continue;
    const auto paths = expand_include(*pattern, source);
    if (paths.empty()) diags.error(entry, fmt::format("include: '{}' matches no file", *pattern));
    for (const std::string& path : paths) {
      const Result<std::string> text = read_config_file(path, max_bytes);
      if (!text.ok()) {
        diags.error(entry, fmt::format("include: cannot read {}: {}", path, text.status().message()));
        continue;
      }
      Diagnostics& file = load.files.emplace_back(path);
      const auto docs = load_yaml_documents(*text, file);
      if (!docs) continue;
      for (const YAML::Node& doc : *docs) {
        if (!doc.IsDefined() || doc.IsNull()) continue;
        if (is_openslo(doc)) {
          collect_openslo(doc, file, load.openslo);
        } else if (is_slo_list(doc)) {
          const YAML::Node slos = doc["slos"];
          load.slos_written = load.slos_written || lists_slos(slos);
          read_slos(slos, load.alerting, load.policy, file, load.slo_names, load.config.slos);
        } else {
          file.error(doc,
                     "an included file holds OpenSLO documents (apiVersion: openslo/v1) or budgetd SLOs (a "
                     "document whose only key is slos:); budgetd's other settings belong in the main config");
        }
      }
    }
  }
}

// `include_max_bytes`: how large one included file may be.
uint64_t read_include_max_bytes(MapReader& top) {
  return top.unsigned_integer("include_max_bytes", 1024, kMaxIncludeMaxBytes).value_or(kDefaultIncludeMaxBytes);
}

// One document of the main file is budgetd's own config (returned); OpenSLO documents may stand
// beside it.
std::optional<YAML::Node> split_documents(const std::vector<YAML::Node>& docs, Load& load) {
  std::optional<YAML::Node> root;
  for (const YAML::Node& doc : docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;
    if (is_openslo(doc)) {
      collect_openslo(doc, load.main_file(), load.openslo);
    } else if (root) {
      load.main_file().error(doc,
                             "a config file holds one budgetd document; the others must be OpenSLO (apiVersion: "
                             "openslo/v1)");
    } else {
      root = doc;
    }
  }
  return root;
}

// budgetd's own document: its sections, then `include:`, then `slos:`.
void read_document(const YAML::Node& root, Load& load) {
  Diagnostics& diags = load.main_file();
  MapReader top(root, diags, "config");
  if (!top.valid()) return;
  read_sections(top, {load.config, load.alerting, load.policy});
  const uint64_t include_max_bytes = read_include_max_bytes(top);
  // The main file's SLOs first: an included file's SLO that takes one of their names is the
  // error, where it stands.
  if (const YAML::Node slos = top.get("slos"); slos.IsDefined()) {
    load.slos_written = lists_slos(slos);
    read_slos(slos, load.alerting, load.policy, diags, load.slo_names, load.config.slos);
  }
  if (const YAML::Node n = top.get("include"); n.IsDefined()) {
    read_includes(n, include_max_bytes, load);
  }
}

// The SLOs of the OpenSLO documents, after budgetd's own, whose names they must not take.
void read_openslo_slos(Load& load) {
  const size_t own = load.config.slos.size();
  read_openslo(load.openslo, load.alerting, load.policy, load.config.slos);
  for (size_t i = own; i < load.config.slos.size(); ++i) {
    if (!load.slo_names.insert(load.config.slos[i].name).second) {
      load.main_file().error(YAML::Mark::null_mark(), fmt::format("SLO name '{}' is used more than once (an OpenSLO "
                                                                  "document defines it too)",
                                                                  load.config.slos[i].name));
    }
  }
}

// Each file's diagnostics in the order of their positions (the main file first), and the config
// only when none is an error.
LoadResult finish(Load& load) {
  LoadResult result;
  bool failed = false;
  for (Diagnostics& file : load.files) {
    failed = failed || file.has_errors();
    std::vector<Diagnostic> items = file.take();
    std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    for (auto& d : items) result.diagnostics.push_back(std::move(d));
  }
  if (!failed) result.config = std::move(load.config);
  return result;
}

}  // namespace

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) out += d.to_string() + "\n";
  }
  return out;
}

LoadResult load_config_string(std::string_view yaml, const std::string& source_name) {
  Load load(source_name);
  Diagnostics& diags = load.main_file();
  const auto docs = load_yaml_documents(std::string(yaml), diags);
  if (!docs) return finish(load);
  const std::optional<YAML::Node> root = split_documents(*docs, load);
  if (!root && load.openslo.empty()) {
    diags.error(YAML::Mark::null_mark(), "the config is empty");
    return finish(load);
  }
  if (root) read_document(*root, load);
  read_openslo_slos(load);
  // Only when none is written: an SLO that is there but invalid has its own errors, and
  // "no SLOs" above them would point the reader the wrong way.
  if (!load.slos_written && load.openslo.empty()) {
    diags.warning(root ? *root : YAML::Node(), "no SLOs are configured: every event will be answered as unmatched");
  }
  return finish(load);
}

LoadResult load_config_file(const std::string& path) {
  const Result<std::string> text = read_config_file(path, kMaxConfigFileBytes);
  if (!text.ok()) {
    LoadResult r;
    std::string message = "cannot read the config file: " + text.status().message();
    if (text.status().code() == StatusCode::kOutOfRange) {
      message += " (put SLOs into files under include:, each up to include_max_bytes)";
    }
    r.diagnostics.push_back({Diagnostic::Severity::kError, path, 0, 0, std::move(message)});
    return r;
  }
  return load_config_string(*text, path);
}

}  // namespace budgetd::config
