// Prometheus series selectors (`name{label op "value", ...}`) for `source.prometheus`, and the
// one-line description of a count source.

#include <fmt/format.h>
#include <re2/re2.h>

#include "budgetd/config/source.h"

namespace budgetd::config {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// A cursor over the selector text; every error names the byte it is at.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : s_(text) {}

  Result<CounterSelector> parse() {
    CounterSelector out;
    out.text = std::string(s_);
    skip_space();
    if (pos_ < s_.size() && name_start(s_[pos_])) out.metric = name();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '{') {
      ++pos_;
      if (Status st = matchers(out); !st.ok()) return st;
    }
    skip_space();
    if (pos_ != s_.size()) return fail("unexpected text");
    if (out.metric.empty()) return fail("the metric name is required (name{...} or {__name__=\"name\", ...})");
    return out;
  }

 private:
  Status matchers(CounterSelector& out) {
    while (true) {
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      if (pos_ >= s_.size() || !name_start(s_[pos_])) return fail("expected a label name or '}'");
      LabelMatcher m;
      m.name = name();
      skip_space();
      if (auto op = match_op()) {
        m.op = *op;
      } else {
        return fail("expected one of =, !=, =~, !~");
      }
      skip_space();
      auto value = quoted();
      if (!value.ok()) return value.status();
      m.value = std::move(*value);
      if (Status st = check(m); !st.ok()) return st;
      if (m.name == "__name__" && m.op == MatchOp::kEqual) {
        if (!out.metric.empty() && out.metric != m.value) return fail("two different metric names");
        out.metric = m.value;
      } else {
        out.matchers.push_back(std::move(m));
      }
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') ++pos_;
    }
  }

  Status check(const LabelMatcher& m) const {
    if (m.name == "__name__" && m.op != MatchOp::kEqual)
      return InvalidArgument(fmt::format("'{}': __name__ must be matched with '=' (budgetd reads named counters)", s_));
    if (m.op == MatchOp::kRegex || m.op == MatchOp::kNotRegex) {
      const RE2 re("^(?:" + m.value + ")$", RE2::Quiet);
      if (!re.ok())
        return InvalidArgument(
            fmt::format("'{}': label {} has an invalid regular expression: {}", s_, m.name, re.error()));
    }
    return Status::Ok();
  }

  std::optional<MatchOp> match_op() {
    const std::string_view rest = s_.substr(pos_);
    for (const auto& [text, op] : {std::pair{"=~", MatchOp::kRegex}, std::pair{"!~", MatchOp::kNotRegex},
                                   std::pair{"!=", MatchOp::kNotEqual}, std::pair{"=", MatchOp::kEqual}}) {
      const std::string_view t(text);
      if (rest.substr(0, t.size()) == t) {
        pos_ += t.size();
        return op;
      }
    }
    return std::nullopt;
  }

  // A PromQL string: "..." or '...' with backslash escapes.
  Result<std::string> quoted() {
    if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return fail("expected a quoted value");
    const char q = s_[pos_++];
    std::string v;
    while (pos_ < s_.size() && s_[pos_] != q) {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        c = s_[pos_++];
        if (c == 'n') c = '\n';
        if (c == 't') c = '\t';
      }
      v.push_back(c);
    }
    if (pos_ >= s_.size()) return fail("unterminated string");
    ++pos_;
    return v;
  }

  std::string name() {
    const size_t from = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    return std::string(s_.substr(from, pos_ - from));
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  Status fail(std::string_view why) const {
    return InvalidArgument(fmt::format("'{}' is not a series selector: {} at byte {}", s_, why, pos_));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string describe_selector(const CounterSelector& s) {
  std::string out = s.metric + "{";
  for (size_t i = 0; i < s.matchers.size(); ++i)
    out +=
        fmt::format("{}{}{}\"{}\"", i ? "," : "", s.matchers[i].name, to_string(s.matchers[i].op), s.matchers[i].value);
  return out + "}";
}

}  // namespace

const char* to_string(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "=";
    case MatchOp::kNotEqual:
      return "!=";
    case MatchOp::kRegex:
      return "=~";
    case MatchOp::kNotRegex:
      return "!~";
  }
  return "=";
}

Result<CounterSelector> parse_prometheus_selector(std::string_view text) { return SelectorParser(text).parse(); }

std::string CountSource::describe() const {
  switch (kind) {
    case SourceKind::kEvents:
      return "events";
    case SourceKind::kOtlpMetrics:
      if (otlp_histogram) return "otlp histogram=" + describe_selector(total);
      break;
    case SourceKind::kPrometheus:
      break;
  }
  return fmt::format("{} total={} {}={}", kind == SourceKind::kPrometheus ? "prometheus" : "otlp",
                     describe_selector(total), part_role == CounterRole::kGood ? "good" : "bad",
                     describe_selector(part));
}

}  // namespace budgetd::config
