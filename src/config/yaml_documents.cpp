#include "yaml_documents.h"

#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace budgetd::config {
namespace {

// Remembers where each document starts; builds nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start = YAML::Mark::null_mark();
};

// Walks the documents the way LoadAll will; false after reporting where the parser would stall
// (a document that starts where the one before it started has consumed nothing).
bool documents_make_progress(const std::string& text, Diagnostics& diags) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  int last = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.start.pos == last) {
      const char c = static_cast<size_t>(last) < text.size() ? text[static_cast<size_t>(last)] : '?';
      diags.error(starts.start, fmt::format("YAML syntax: a value cannot start with '{}'{}", c,
                                            c == ',' ? " (a ',' separates the items of a [list] or a {mapping})" : ""));
      return false;
    }
    last = starts.start.pos;
  }
  return true;
}

}  // namespace

std::optional<std::vector<YAML::Node>> load_yaml_documents(const std::string& text, Diagnostics& diags) {
  try {
    if (!documents_make_progress(text, diags)) return std::nullopt;
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    diags.error(e.mark, "YAML syntax: " + e.msg);
    return std::nullopt;
  }
}

}  // namespace budgetd::config
