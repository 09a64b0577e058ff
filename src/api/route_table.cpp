#include "route_table.h"

#include <algorithm>

namespace budgetd::api {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 1;  // paths start with '/'
  while (pos <= path.size()) {
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.emplace_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::vector<std::string>& params) {
  if (pattern.size() != path.size()) return false;
  params.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return false;
      params.push_back(path[i]);
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void RouteTable::add(http::verb method, std::string pattern, uint8_t scope, Lane lane, std::vector<std::string> params,
                     Handler handler) {
  std::vector<std::string> segments = split_path(pattern);
  routes_.push_back(
      {method, std::move(pattern), std::move(segments), scope, lane, std::move(params), std::move(handler)});
}

RouteTable::Match RouteTable::match(http::verb method, std::string_view path) const {
  Match m;
  if (path.empty() || path.front() != '/') return m;
  const std::vector<std::string> segments = split_path(path);
  std::vector<std::string> params;
  for (const Entry& e : routes_) {
    if (!match_segments(e.segments, segments, params)) continue;
    if (e.method == method) {
      m.handler = &e.handler;
      m.pattern = &e.pattern;
      m.scope = e.scope;
      m.lane = e.lane;
      m.query_params = &e.query_params;
      m.params = std::move(params);
      m.allowed.clear();
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), e.method) == m.allowed.end()) m.allowed.push_back(e.method);
    m.pattern = &e.pattern;
  }
  return m;
}

}  // namespace budgetd::api
