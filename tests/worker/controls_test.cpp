// Closed-controls file format and synthetic generator.
#include "worker/controls.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

using namespace dmde::worker;

TEST(Controls, DatesRoundTrip) {
  EXPECT_EQ(days_from_date("1970-01-01"), 0);
  EXPECT_EQ(days_from_date("2019-02-01"), 17928);
  EXPECT_EQ(date_from_days(17928), "2019-02-01");
  EXPECT_EQ(days_from_date("2020-03-01") - days_from_date("2020-02-28"), 2);  // leap year
  EXPECT_THROW(days_from_date("2019-02-30"), std::invalid_argument);
  EXPECT_THROW(days_from_date("2019-2-1"), std::invalid_argument);
}

TEST(Controls, GeneratorIsKeyedByRowNotBySplit) {
  ControlsGenSpec spec;
  spec.n = 10;
  const auto whole = controls_csv(generate_controls(spec, {0, 10}));
  const auto split = controls_csv(generate_controls(spec, {0, 3})) + controls_csv(generate_controls(spec, {3, 10}), false);
  EXPECT_EQ(whole, split);
  spec.seed = 2;
  EXPECT_NE(controls_csv(generate_controls(spec, {0, 10})), whole);
}

TEST(Controls, GeneratorFollowsTheNoteCalibration) {
  ControlsGenSpec spec;
  spec.n = 40000;
  const auto c = generate_controls(spec, {0, spec.n});
  double n[2][2] = {{0, 0}, {0, 0}}, gross[2][2] = {{0, 0}, {0, 0}};
  for (std::size_t i = 0; i < c.size(); ++i) {
    const int o = c.onsite[i], t = c.out.test[static_cast<Eigen::Index>(i)] == 1.0;
    n[o][t] += 1;
    gross[o][t] += c.out.gross[static_cast<Eigen::Index>(i)] > 0;
    EXPECT_LE(c.launch[i], c.close[i]);
  }
  const double onsite = (gross[1][0] + gross[1][1]) / (n[1][0] + n[1][1]);
  EXPECT_NEAR(onsite, 0.573, 0.02);  // note: 57.3% of on-site controls with a gross overpayment
  EXPECT_GT(gross[1][1] / n[1][1], gross[1][0] / n[1][0]);  // test group higher
  EXPECT_NEAR((gross[0][0] + gross[0][1]) / (n[0][0] + n[0][1]), 0.244, 0.02);  // documents
  EXPECT_NEAR((n[1][0] + n[1][1]) / spec.n, 0.29, 0.01);
}

TEST(Controls, CsvRoundTripAndErrors) {
  ControlsGenSpec spec;
  const auto c = generate_controls(spec, {0, 50});
  const auto path = (std::filesystem::temp_directory_path() / ("ctl-" + std::to_string(getpid()) + ".csv")).string();
  std::ofstream(path) << controls_csv(c);
  const auto back = read_controls_csv(path);
  EXPECT_EQ(controls_csv(back), controls_csv(c));
  std::ofstream(path) << "control_id,caf,group,type,launch_date,close_date,overpayment_gross,overpayment_net,"
                         "underpayment,in_target\n1,5,test,on-site,2019-03-01,2019-04-01,10,10,0,1\n"
                         "2,5,tset,on-site,2019-03-01,2019-04-01,10,10,0,1\n";
  try {
    read_controls_csv(path);
    FAIL() << "no error";
  } catch (const dmde::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3: column 'group'"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(Controls, PeriodsParse) {
  const auto p = parse_period("2019-02-01:2020-07-31");
  EXPECT_EQ(p.from, days_from_date("2019-02-01"));
  EXPECT_THROW(parse_period("2019-02-01"), dmde::InputError);
  EXPECT_THROW(parse_period("2020-02-01:2019-01-01"), dmde::InputError);
}
