#include "budgetd/eval/evaluation_cache.h"

#include "block_cache.h"

namespace budgetd::eval {

EvaluationCache::EvaluationCache(std::shared_ptr<const store::SloSet> set) : set_(std::move(set)) {
  blocks_.reserve(set_->slos().size());
  for (size_t i = 0; i < set_->slos().size(); ++i) blocks_.push_back(std::make_unique<SeriesBlocks>());
}

EvaluationCache::~EvaluationCache() = default;

size_t EvaluationCache::memory_bytes() const {
  size_t n = sizeof(*this) + blocks_.capacity() * sizeof(blocks_[0]);
  for (const auto& b : blocks_) n += b->memory_bytes();
  return n;
}

uint64_t EvaluationCache::blocks_reused() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b->blocks_reused();
  return n;
}

}  // namespace budgetd::eval
