#include "budgetd/episodes/episode_log.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace budgetd::episodes {
namespace {

using json = nlohmann::json;

bool newer(const Episode& a, const Episode& b) { return a.detection > b.detection; }

}  // namespace

void EpisodeLog::set_retention(Millis retention) {
  retention_ms_.store(std::max(retention, kDay).count(), std::memory_order_relaxed);
}

std::vector<Episode> EpisodeLog::list(std::string_view slo, Timestamp since) const {
  std::vector<Episode> out;
  std::lock_guard lock(mu_);
  const auto it = by_slo_.find(slo);
  if (it == by_slo_.end()) return out;
  for (const Episode& e : it->second) {
    if (!e.end || *e.end >= since) out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), newer);
  return out;
}

std::optional<Episode> EpisodeLog::open(std::string_view slo) const {
  std::lock_guard lock(mu_);
  const auto it = by_slo_.find(slo);
  if (it == by_slo_.end()) return std::nullopt;
  for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
    if (e->ongoing()) return *e;
  }
  return std::nullopt;
}

std::optional<Episode> EpisodeLog::find(std::string_view slo, std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = by_slo_.find(slo);
  if (it == by_slo_.end()) return std::nullopt;
  for (const Episode& e : it->second) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

size_t EpisodeLog::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

Status EpisodeLog::check(std::string_view record) const {
  auto e = decode_episode(record);
  return e.ok() ? Status::Ok() : e.status();
}

Status EpisodeLog::apply(std::string_view record, Timestamp now) {
  BUDGETD_ASSIGN_OR_RETURN(Episode e, decode_episode(record));
  put(std::move(e), now);
  return Status::Ok();
}

void EpisodeLog::put(Episode e, Timestamp now) {
  std::lock_guard lock(mu_);
  upsert(std::move(e));
  prune(now);
}

void EpisodeLog::upsert(Episode e) {
  std::vector<Episode>& kept = by_slo_[e.slo];
  const auto same = std::find_if(kept.begin(), kept.end(), [&](const Episode& k) { return k.id == e.id; });
  if (same != kept.end()) {
    *same = std::move(e);
  } else {
    ++count_;
    kept.insert(std::upper_bound(kept.begin(), kept.end(), e,
                                 [](const Episode& a, const Episode& b) { return a.detection < b.detection; }),
                std::move(e));
  }
}

void EpisodeLog::prune(Timestamp now) {
  const Timestamp cutoff = now - retention();
  // Ended episodes, oldest first by end, across every SLO, for the global cap.
  std::vector<std::pair<Timestamp, std::string>> ended;
  for (auto& [slo, kept] : by_slo_) {
    const size_t before = kept.size();
    std::erase_if(kept, [&](const Episode& e) { return e.end && *e.end < cutoff; });
    // Past the per-SLO cap, the oldest ended go (kept is by detection; ongoing ones stay).
    for (auto it = kept.begin(); kept.size() > kMaxPerSlo && it != kept.end();) {
      it = it->ongoing() ? std::next(it) : kept.erase(it);
    }
    count_ -= before - kept.size();
  }
  if (count_ > kMaxEpisodes) {
    for (const auto& [slo, kept] : by_slo_) {
      for (const Episode& e : kept) {
        if (e.end) ended.emplace_back(*e.end, e.id);
      }
    }
    std::sort(ended.begin(), ended.end());
    for (size_t i = 0; count_ > kMaxEpisodes && i < ended.size(); ++i) {
      for (auto& [slo, kept] : by_slo_) {
        const size_t before = kept.size();
        std::erase_if(kept, [&](const Episode& e) { return e.end && e.id == ended[i].second; });
        count_ -= before - kept.size();
      }
    }
  }
  std::erase_if(by_slo_, [](const auto& kv) { return kv.second.empty(); });
}

std::string EpisodeLog::save() const {
  std::lock_guard lock(mu_);
  json all = json::array();
  for (const auto& [slo, kept] : by_slo_) {
    for (const Episode& e : kept) all.push_back(json::parse(encode_episode(e)));
  }
  return json{{"version", 1}, {"episodes", std::move(all)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status EpisodeLog::load(std::string_view saved, Timestamp now) {
  const json j = json::parse(saved, nullptr, false);
  if (!j.is_object() || j.value("version", 0) != 1 || !j.contains("episodes") || !j["episodes"].is_array()) {
    return DataLoss("episodes: not a saved episode log");
  }
  std::vector<Episode> loaded;
  for (const json& r : j["episodes"]) {
    BUDGETD_ASSIGN_OR_RETURN(Episode e, decode_episode(r.dump()));
    loaded.push_back(std::move(e));
  }
  std::lock_guard lock(mu_);
  by_slo_.clear();
  count_ = 0;
  for (Episode& e : loaded) upsert(std::move(e));
  prune(now);
  return Status::Ok();
}

}  // namespace budgetd::episodes
