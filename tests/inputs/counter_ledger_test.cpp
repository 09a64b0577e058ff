// Counters -> deltas: baselines, resets, staleness, retries, order, age, and the pairing of an
// SLO's total with its good or bad counter.

#include "budgetd/inputs/counter_ledger.h"

#include <bit>
#include <map>

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/core/window.h"

namespace budgetd::inputs {
namespace {

constexpr int64_t kT0 = 1795514400000;  // 2026-11-24T10:00:00Z
const Timestamp kNow = from_unix_ms(kT0);

std::shared_ptr<const store::SloSet> slos(const std::string& part_role) {
  const auto r = config::load_config_string(R"(
slos:
  - name: a
    service: a
    objective: 99
    sli: {type: ratio}
    source: {prometheus: {total: 'req_total', )" +
                                                part_role + R"(: 'req_ok_total'}}
)",
                                            "c.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

struct Fixture {
  explicit Fixture(const std::string& role = "good", Millis delay = Millis{0})
      : set(slos(role)), limits{5 * kMinute, delay} {}

  // One request: each (series, [(ts offset s, value)...]); returns good/total per bucket offset.
  std::map<int64_t, std::pair<uint64_t, uint64_t>> send(
      const std::vector<std::pair<std::string, std::vector<std::pair<int64_t, double>>>>& series,
      Timestamp now = kNow) {
    std::vector<SeriesInput> in;
    for (const auto& [name, samples] : series) {
      SeriesInput s;
      s.key = name;
      s.feeds = {{0, name == "total" ? CounterSide::kTotal : CounterSide::kPart}};
      for (const auto& [off, v] : samples) s.samples.push_back({kT0 + off * 1000, v});
      in.push_back(std::move(s));
    }
    ingest::DeltaBatch deltas;
    report = {};
    undo.clear();
    ledger.ingest(in, *set, now, limits, deltas, report, undo);
    std::map<int64_t, std::pair<uint64_t, uint64_t>> out;
    for (const auto& d : deltas.deltas()) {
      auto& c = out[d.bucket - bucket_index(kNow, kFinestResolution)];
      c.first += d.good;
      c.second += d.total;
    }
    return out;
  }

  std::shared_ptr<const store::SloSet> set;
  CounterLimits limits;
  CounterLedger ledger;
  CounterReport report;
  CounterLedger::Undo undo;
};

using Counts = std::map<int64_t, std::pair<uint64_t, uint64_t>>;

TEST(CounterLedger, FirstSampleIsTheBaselineThenIncreasesCountAtTheirTimestamps) {
  Fixture f;
  EXPECT_EQ(f.send({{"total", {{-60, 100}}}, {"good", {{-60, 90}}}}), Counts{});
  EXPECT_EQ(f.report.baselines, 2u);
  // +10 total, +8 good at -50 s; +5 / +5 at -35 s (another bucket).
  EXPECT_EQ(f.send({{"total", {{-50, 110}, {-35, 115}}}, {"good", {{-50, 98}, {-35, 103}}}}),
            (Counts{{-5, {8, 10}}, {-4, {5, 5}}}));
  EXPECT_EQ(f.report.counted, 4u);
}

TEST(CounterLedger, ResetsCountTheNewValueAndStalenessKeepsTheBaseline) {
  Fixture f;
  f.send({{"total", {{-60, 100}}}, {"good", {{-60, 100}}}});
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  // A restart of the target: the counters drop to 4, then a staleness marker, then 9.
  EXPECT_EQ(f.send({{"total", {{-50, 4}, {-40, stale}, {-30, 9}}}, {"good", {{-50, 4}, {-40, stale}, {-30, 9}}}}),
            (Counts{{-5, {4, 4}}, {-3, {5, 5}}}));
  EXPECT_EQ(f.report.stale, 2u);
}

TEST(CounterLedger, RetriesCountOnceOutOfOrderAndOutOfRangeAreRejected) {
  Fixture f;
  f.send({{"total", {{-60, 100}}}, {"good", {{-60, 100}}}});
  EXPECT_EQ(f.send({{"total", {{-50, 110}}}, {"good", {{-50, 110}}}}), (Counts{{-5, {10, 10}}}));
  EXPECT_EQ(f.send({{"total", {{-50, 110}}}, {"good", {{-50, 110}}}}), Counts{});  // Prometheus resent it
  EXPECT_EQ(f.report.duplicates, 2u);
  EXPECT_EQ(f.send({{"total", {{-55, 105}}}}), Counts{});
  EXPECT_EQ(f.report.out_of_order, 1u);
  EXPECT_NE(f.report.first_error.find("out of order"), std::string::npos);
  EXPECT_EQ(f.send({{"total", {{600, 200}}}}), Counts{});
  EXPECT_EQ(f.report.future, 1u);
  // Older than every window the SLO retains: rejected, but the baseline moves past it.
  Fixture old;
  old.send({{"total", {{-400 * 86400, 1}}}});
  EXPECT_EQ(old.send({{"total", {{-399 * 86400, 50}}}}), Counts{});
  EXPECT_EQ(old.report.too_old, 1u);
  EXPECT_EQ(old.send({{"total", {{-10, 53}}}, {"good", {{-10, 0}}}}).size(), 1u);
}

TEST(CounterLedger, TotalsWaitForTheirPartThenCountAsItsComplement) {
  Fixture f("good", kMinute);
  f.send({{"total", {{-60, 0}}}, {"good", {{-60, 0}}}});
  // The total's increase arrives alone: it waits.
  EXPECT_EQ(f.send({{"total", {{-50, 10}}}}), Counts{});
  // Its good half arrives in the next request: 7 good of 10 paired, 3 still waiting.
  EXPECT_EQ(f.send({{"good", {{-50, 7}}}}), (Counts{{-5, {7, 7}}}));
  // A minute later nothing more came: the 3 are bad.
  EXPECT_EQ(f.send({}, kNow + kMinute), (Counts{{-5, {0, 3}}}));
  EXPECT_EQ(f.ledger.pending_cells(), 0u);
}

TEST(CounterLedger, ABadCounterLeavesTheRestGood) {
  Fixture f("bad", Millis{0});
  f.send({{"total", {{-60, 0}}}, {"good", {{-60, 0}}}});
  EXPECT_EQ(f.send({{"total", {{-50, 10}}}, {"good", {{-50, 2}}}}), (Counts{{-5, {8, 10}}}));
}

TEST(CounterLedger, UndoPutsBaselinesAndCellsBack) {
  Fixture f("good", kMinute);
  f.send({{"total", {{-60, 0}}}, {"good", {{-60, 0}}}});
  EXPECT_EQ(f.send({{"total", {{-50, 10}}}, {"good", {{-50, 10}}}}), (Counts{{-5, {10, 10}}}));
  f.ledger.undo(f.undo);  // the log refused that batch
  EXPECT_EQ(f.send({{"total", {{-50, 10}}}, {"good", {{-50, 10}}}}), (Counts{{-5, {10, 10}}}));
}

}  // namespace
}  // namespace budgetd::inputs
