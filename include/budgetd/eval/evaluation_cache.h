#pragma once
// What the evaluator keeps between its ticks for every SLO of one set: the sums of sealed blocks
// of buckets (src/eval/block_cache.h), so a tick re-reads only the buckets near its windows'
// edges. Every answer stays exactly what an evaluation without it gives; a late write to an SLO
// (older than 5 minutes when it lands) makes the next tick read that SLO in full.
//
//   EvaluationCache cache(set);                         // rebuilt when the set is replaced
//   evaluate_slo(set->slos()[i], now, now, lookback, cache.blocks(i));
//
// Thread safety: none; one evaluator uses it at a time (Daemon::evaluate_now, under its lock).

#include <cstddef>
#include <memory>
#include <vector>

#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

class SeriesBlocks;

class EvaluationCache {
 public:
  explicit EvaluationCache(std::shared_ptr<const store::SloSet> set);
  ~EvaluationCache();
  EvaluationCache(const EvaluationCache&) = delete;
  EvaluationCache& operator=(const EvaluationCache&) = delete;

  // The set it keeps blocks for; holding it keeps every series alive while blocks name it.
  const std::shared_ptr<const store::SloSet>& set() const { return set_; }
  // REQUIRES: i < set()->slos().size().
  SeriesBlocks* blocks(size_t i) { return blocks_[i].get(); }
  size_t memory_bytes() const;
  // Blocks answered from an earlier tick's reading instead of read again, over every SLO.
  uint64_t blocks_reused() const;

 private:
  std::shared_ptr<const store::SloSet> set_;
  std::vector<std::unique_ptr<SeriesBlocks>> blocks_;  // by SLO index
};

}  // namespace budgetd::eval
