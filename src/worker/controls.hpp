#pragma once
// Closed controls for `dmde monitor`: the CSV file format, its reader/writer, and the synthetic
// generator behind `dmde generate controls`.
//
// CSV columns (header required, ',' separated, any order; dates YYYY-MM-DD, amounts EUR):
//   control_id, caf, group (test|control), type (on-site|documents), launch_date, close_date,
//   overpayment_gross, overpayment_net, underpayment, in_target (0|1)
#include <cstdint>
#include <string>
#include <vector>

#include "model/monitoring.hpp"
#include "worker/partition.hpp"

namespace dmde::worker {

/// Days since 1970-01-01 of a civil date, and back ("YYYY-MM-DD").
std::int32_t days_from_date(const std::string& ymd);  ///< throws std::invalid_argument
std::string date_from_days(std::int32_t days);

/// Closed controls, column-wise.
struct Controls {
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  std::vector<char> onsite;  ///< 1 = on-site control, 0 = documents
  std::vector<std::int32_t> launch, close;  ///< days since 1970-01-01
  model::ControlOutcomes out;  ///< amounts, in_target, test group

  std::size_t size() const { return id.size(); }
};

/// Reads the controls CSV; throws InputError naming file, line and column.
Controls read_controls_csv(const std::string& path);
/// The CSV text (header + rows).
std::string controls_csv(const Controls& c, bool header = true);

/// Settings of the synthetic generator, calibrated on the note's section 9 tables (February 2019
/// to July 2020): on-site controls ~57% with a gross overpayment (test 60%, control 56%), documents
/// ~24%; in target 29%/24% (test/control, on-site) and 10%/8% (documents).
struct ControlsGenSpec {
  std::int64_t n = 20000;           ///< number of controls
  std::uint64_t seed = 1;           ///< RNG key: row i's values depend on (seed, i) only
  std::string from = "2019-02-01";  ///< first launch date
  std::string to = "2020-07-31";    ///< last close date
  double share_onsite = 0.29;       ///< on-site share of controls (note: 107k of 372k)
  int n_caf = 101;                  ///< Caf codes 1..n_caf; ~29% of them form the test group
};

/// Rows [r.begin, r.end) of the synthetic controls (any split of rows gives the same rows).
Controls generate_controls(const ControlsGenSpec& spec, Range r);

/// Whether Caf `caf` is in the synthetic test group (29 of 101 Caf, spread over codes).
bool synthetic_test_caf(std::int32_t caf, int n_caf);

/// A monitoring period: controls launched on or after `from` and closed in [from, to].
struct Period {
  std::string name;  ///< "2019-02-01:2020-07-31" or "all"
  std::int32_t from = INT32_MIN, to = INT32_MAX;
};
/// Parses "YYYY-MM-DD:YYYY-MM-DD"; throws InputError.
Period parse_period(const std::string& s);

/// Monitoring tables for each period x control type (on-site, documents): text, CSV and JSON.
struct MonitorReport {
  std::string text, csv, json;
};
MonitorReport monitor_report(const Controls& c, const std::vector<Period>& periods, double level = 0.95);

}  // namespace dmde::worker
