// `dmde generate controls` and `dmde monitor` end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/atomic.hpp"
#include "run_dmde.hpp"

using dmde::test::run_dmde;
using dmde::test::tmp_path;

namespace {
}  // namespace

TEST(MonitorCli, GeneratedControlsAreIdenticalAtOneAndThreeRanks) {
  const auto a = tmp_path("c1.csv"), b = tmp_path("c3.csv");
  ASSERT_EQ(run_dmde(1, "generate controls -n 2001 --seed 5 -o " + a).code, 0);
  ASSERT_EQ(run_dmde(3, "generate controls -n 2001 --seed 5 -o " + b).code, 0);
  const auto sa = dmde::read_file(a);
  EXPECT_EQ(sa, dmde::read_file(b));
  EXPECT_EQ(std::count(sa.begin(), sa.end(), '\n'), 2002);
  std::remove(a.c_str()), std::remove(b.c_str());
}

TEST(MonitorCli, HandMadeControlsGiveTheHandTable) {
  const auto ctl = tmp_path("hand.csv"), csv = tmp_path("mon.csv");
  std::ofstream(ctl) << "control_id,caf,group,type,launch_date,close_date,overpayment_gross,overpayment_net,"
                        "underpayment,in_target\n"
                        "1,1,test,on-site,2019-03-01,2019-04-01,1000,1000,0,1\n"
                        "2,1,test,on-site,2019-03-01,2019-05-01,0,0,200,0\n"
                        "3,2,control,on-site,2019-03-01,2019-04-01,300,0,400,0\n"
                        "4,2,control,on-site,2019-03-01,2019-04-01,0,0,0,1\n"
                        "5,2,control,on-site,2019-03-01,2019-04-01,500,400,100,0\n"
                        "6,2,control,on-site,2018-03-01,2018-04-01,900,900,0,0\n"  // outside the period
                        "7,2,control,documents,2019-03-01,2019-04-01,50,50,0,0\n";
  const auto r = run_dmde(2, "monitor --controls " + ctl + " --period 2019-02-01:2020-07-31 --csv " + csv);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto t = dmde::read_file(csv);
  EXPECT_NE(t.find("2019-02-01:2020-07-31,on-site,all,5,1800.00,360.0000,600.0000,60.0000,40.0000,60.0000,80.0000,"
                   "40.0000\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("2019-02-01:2020-07-31,documents,all,1,50.00"), std::string::npos) << t;
  EXPECT_NE(t.find("on-site,test-control,,,233.3333,,-16.6667,"), std::string::npos) << t;
  std::remove(ctl.c_str()), std::remove(csv.c_str());
}

TEST(MonitorCli, BadControlsFileIsAOneLineError) {
  const auto ctl = tmp_path("bad.csv");
  std::ofstream(ctl) << "control_id,caf\n1,2\n";
  const auto r = run_dmde(2, "monitor --controls " + ctl);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("missing column 'group'"), std::string::npos) << r.output;
  std::remove(ctl.c_str());
}
