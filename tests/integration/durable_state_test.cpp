// Durable states besides the store (durable/durable_state.h): changed through the committer,
// carried in snapshots, replayed from the log, through a real daemon and its storage dir.

#include <filesystem>
#include <future>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_daemon.h"

namespace budgetd::test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

constexpr const char* kSlos = "slos: [{name: avail, service: checkout, objective: 99.9, sli: {type: ratio}}]\n";

// A state of its own: an append-only list of notes.
class Notes final : public durable::DurableState {
 public:
  std::string_view name() const override { return "notes"; }
  Status check(std::string_view record) const override {
    return record.empty() || record.find('\n') != std::string_view::npos ? InvalidArgument("a note is one line")
                                                                         : Status::Ok();
  }
  Status apply(std::string_view record, Timestamp) override {
    BUDGETD_RETURN_IF_ERROR(check(record));
    std::lock_guard lock(mu_);
    notes_.emplace_back(record);
    return Status::Ok();
  }
  std::string save() const override {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& n : notes_) out += n + "\n";
    return out;
  }
  Status load(std::string_view saved, Timestamp) override {
    std::vector<std::string> notes;
    while (!saved.empty()) {
      const size_t nl = saved.find('\n');
      if (nl == std::string_view::npos) return DataLoss("a note without its newline");
      notes.emplace_back(saved.substr(0, nl));
      saved.remove_prefix(nl + 1);
    }
    std::lock_guard lock(mu_);
    notes_ = std::move(notes);
    return Status::Ok();
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(mu_);
    return notes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> notes_;
};

Status commit(Daemon& d, Notes& notes, const std::string& note) {
  std::promise<Status> done;
  d.committer().commit_state(notes, note, t0(), [&](Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

// A copy of a running daemon's storage dir: what a crash leaves (no final snapshot).
void copy_dir(const std::string& from, const std::string& to) {
  for (const auto& e : fs::directory_iterator(from)) {
    if (e.path().filename() == "LOCK" || e.path().filename() == "budgetd.yaml") continue;
    fs::copy(e.path(), to / e.path().filename(), fs::copy_options::recursive);
  }
}

// Each daemon incarnation registers a fresh Notes, so what it holds came from the storage dir.
struct Incarnations {
  std::vector<std::unique_ptr<Notes>> all;
  TestDaemon::BeforeStart hook() {
    return [this](Daemon& d) {
      all.push_back(std::make_unique<Notes>());
      d.add_state(*all.back());
    };
  }
  Notes& current() { return *all.back(); }
};

TEST(DurableState, ChangesSurviveARestartThroughTheSnapshot) {
  Incarnations n;
  TestDaemon d(kSlos, t0(), nullptr, n.hook());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "deployed v1").ok());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "deployed v2").ok());
  EXPECT_THAT(n.current().all(), ElementsAre("deployed v1", "deployed v2"));
  d.restart();  // a clean stop writes a final snapshot: nothing to replay
  EXPECT_THAT(n.current().all(), ElementsAre("deployed v1", "deployed v2"));
  EXPECT_EQ(d.daemon().recovery().states_restored,
            5u);  // "notes" and the daemon's deploys, gate_overrides, gate_decisions, episodes
  EXPECT_EQ(d.daemon().recovery().state_records_applied, 0u);
}

TEST(DurableState, ChangesAfterTheLastSnapshotAreReplayedFromTheLog) {
  Incarnations n;
  TestDaemon d(kSlos, t0(), nullptr, n.hook());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "before the snapshot").ok());
  ASSERT_TRUE(d.daemon().take_snapshot().ok());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "after it").ok());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "and again").ok());
  // What a crash leaves: the snapshot and the log, no final snapshot.
  TempDir crashed;
  copy_dir(d.dir(), crashed.path());
  Notes restored;
  ManualClock clock(t0());
  Daemon second(parse_config(kSlos, crashed.path()), clock);
  second.add_state(restored);
  ASSERT_TRUE(second.start().ok());
  EXPECT_THAT(restored.all(), ElementsAre("before the snapshot", "after it", "and again"));
  // "notes" and the daemon's deploys, gate_overrides, gate_decisions, episodes
  EXPECT_EQ(second.recovery().states_restored, 5u);
  EXPECT_EQ(second.recovery().state_records_applied, 2u);
  second.stop();
}

TEST(DurableState, ABuildWithoutTheStateStartsAndSkipsItsRecords) {
  Incarnations n;
  TestDaemon d(kSlos, t0(), nullptr, n.hook());
  ASSERT_TRUE(d.daemon().take_snapshot().ok());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "a note").ok());
  TempDir crashed;
  copy_dir(d.dir(), crashed.path());
  ManualClock clock(t0());
  Daemon older(parse_config(kSlos, crashed.path()), clock);  // knows no "notes"
  ASSERT_TRUE(older.start().ok());
  EXPECT_EQ(older.recovery().state_records_unknown, 1u);
  EXPECT_EQ(older.recovery().replay.corruption, "");
  older.stop();
}

TEST(DurableState, ARecordTheStateRefusesIsNeverLogged) {
  Incarnations n;
  TestDaemon d(kSlos, t0(), nullptr, n.hook());
  const Status s = commit(d.daemon(), n.current(), "two\nlines");  // Notes takes one line
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(n.current().all().empty());
  ASSERT_TRUE(commit(d.daemon(), n.current(), "one line").ok());
  d.restart();
  EXPECT_THAT(n.current().all(), ElementsAre("one line"));
  EXPECT_EQ(d.daemon().recovery().replay.corruption, "");
}

}  // namespace
}  // namespace budgetd::test
