// ReplicationState: which records a replica applies (exactly once per (node, epoch, seq)), what
// a snapshot carries, and what a peer's snapshot (bootstrap) may give a node.

#include "cluster/replication_state.h"

#include <gtest/gtest.h>

namespace budgetd::cluster {
namespace {

using V = ReplicationState::Verdict;

StreamRecord rec(std::string id, std::string origin, uint64_t epoch, uint64_t seq) {
  return {std::move(id), std::move(origin), epoch, seq, durable::RecordType::kBatch, "p"};
}

TEST(ReplicationState, OthersRecordsApplyOnceEvenWhenPublishedTwice) {
  ReplicationState s("a", 1);
  EXPECT_EQ(s.judge(rec("1-0", "b", 7, 1), 0), V::kApply);
  s.advance(0, rec("1-0", "b", 7, 1));
  s.advance(0, rec("2-0", "b", 7, 2));
  EXPECT_EQ(s.judge(rec("3-0", "b", 7, 2), 0), V::kSkip);  // b re-published seq 2 (a restart's backlog)
  EXPECT_EQ(s.judge(rec("3-0", "b", 7, 3), 0), V::kApply);
  EXPECT_EQ(s.judge(rec("3-0", "b", 8, 1), 0), V::kApply);  // another epoch of b: its own marks
  EXPECT_EQ(s.position(0), "2-0");
}

TEST(ReplicationState, OwnRecordsWaitForThePublisherThenSkipOrApply) {
  ReplicationState s("a", 1);
  EXPECT_EQ(s.judge(rec("1-0", "a", 5, 1), 5), V::kWait);  // still being confirmed
  s.acknowledged(5, 1);
  EXPECT_EQ(s.judge(rec("1-0", "a", 5, 1), 5), V::kSkip);  // the committer counted it
  s.uncertain(5, 2);
  s.acknowledged(5, 3);
  EXPECT_EQ(s.judge(rec("2-0", "a", 5, 2), 5), V::kApply);  // answered 503, yet in the stream
  s.advance(0, rec("2-0", "a", 5, 2));
  EXPECT_EQ(s.judge(rec("2-0", "a", 5, 2), 5), V::kSkip);
  s.uncertain(5, 4);
  s.advance(0, rec("3-0", "a", 5, 5));  // 4 was never in the stream: 5 came after it
  EXPECT_EQ(s.judge(rec("4-0", "a", 5, 4), 5), V::kSkip);
  EXPECT_EQ(s.judge(rec("9-0", "a", 4, 9), 5), V::kApply);  // an earlier life's, never counted
}

TEST(ReplicationState, SnapshotRoundTripAndAPeersSnapshot) {
  ReplicationState s("a", 2);
  s.advance(1, rec("5-1", "b", 7, 3));
  s.acknowledged(9, 4);
  s.uncertain(9, 2);
  s.push_backlog({"", "a", 9, 10, durable::RecordType::kState, "x"});
  const std::string saved = s.save();
  EXPECT_EQ(s.snapshot_positions(), (std::vector<std::string>{"0-0", "5-1"}));

  ReplicationState same("a", 2);
  ASSERT_TRUE(same.load(saved, {}).ok());
  EXPECT_EQ(same.save(), saved);
  EXPECT_EQ(same.backlog_size(), 1u);
  EXPECT_EQ(same.backlog_from(0, 10)[0].payload, "x");
  EXPECT_EQ(same.judge(rec("6-0", "a", 9, 2), 9), V::kApply);

  ReplicationState peer("c", 3);  // bootstraps from a's snapshot, with a third shard
  ASSERT_TRUE(peer.load(saved, {}).ok());
  EXPECT_EQ(peer.positions(), (std::vector<std::string>{"0-0", "5-1", "0-0"}));
  EXPECT_EQ(peer.backlog_size(), 0u);  // a's to publish, never c's
  EXPECT_EQ(peer.judge(rec("6-0", "a", 9, 4), 0), V::kSkip);
  EXPECT_EQ(peer.judge(rec("6-0", "b", 7, 3), 0), V::kSkip);

  EXPECT_FALSE(same.load(saved.substr(0, saved.size() - 1), {}).ok());
  EXPECT_FALSE(same.load("nonsense", {}).ok());
  EXPECT_EQ(same.backlog_size(), 1u);  // a failed load changes nothing
}

}  // namespace
}  // namespace budgetd::cluster
