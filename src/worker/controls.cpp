#include "worker/controls.hpp"

#include <Random123/philox.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/error.hpp"
#include "worker/import.hpp"

namespace dmde::worker {

// Howard Hinnant's civil-date algorithms (proleptic Gregorian).
std::int32_t days_from_date(const std::string& ymd) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (ymd.size() != 10 || std::sscanf(ymd.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31)
    throw std::invalid_argument("'" + ymd + "' is not a YYYY-MM-DD date");
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int32_t days = era * 146097 + doe - 719468;
  if (date_from_days(days) != ymd) throw std::invalid_argument("'" + ymd + "' is not a valid date");
  return days;
}

std::string date_from_days(std::int32_t z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int d = doy - (153 * mp + 2) / 5 + 1;
  const int m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04d}-{:02d}-{:02d}", era * 400 + yoe + (m <= 2), m, d);
}

bool synthetic_test_caf(std::int32_t caf, int n_caf) {
  // A fixed pseudo-random 29% of codes (multiplicative hash), not a contiguous block.
  return (static_cast<std::int64_t>(caf) * 37 % n_caf) < (29 * n_caf + 50) / 101;
}

namespace {

struct Calib {
  double target, gross, under, either, mean_gross;
};
// Note section 9, controls launched from February 2019, closed by July 2020: [onsite][test].
const Calib kCalib[2][2] = {{{0.075, 0.237, 0.198, 0.302, 1164}, {0.096, 0.261, 0.205, 0.318, 1347}},
                            {{0.242, 0.561, 0.480, 0.649, 1990}, {0.288, 0.602, 0.475, 0.675, 2333}}};
constexpr double kTargetRatio = 1.4;  // P(gross overpayment | in target) / P(... | not in target)
constexpr double kSigma = 1.0;        // log-normal spread of amounts
constexpr double kUnderMean = 0.6;    // underpayment mean / overpayment mean (fits the % net overpayment)

double cents(double x) { return std::round(x * 100.0) / 100.0; }

}  // namespace

Controls generate_controls(const ControlsGenSpec& spec, Range r) {
  const std::int32_t from = days_from_date(spec.from), to = days_from_date(spec.to);
  if (to - from < 14) throw InputError("generate controls: the date range must span at least 14 days");
  Controls c;
  const auto m = static_cast<Eigen::Index>(r.size());
  c.out.gross.resize(m), c.out.net.resize(m), c.out.under.resize(m), c.out.in_target.resize(m), c.out.test.resize(m);
  using G = r123::Philox4x32;
  G gen;
  const G::key_type key = {{static_cast<std::uint32_t>(spec.seed), static_cast<std::uint32_t>(spec.seed >> 32)}};
  for (std::int64_t row = r.begin; row < r.end; ++row) {
    double u[12];
    for (std::uint32_t b = 0; b < 3; ++b) {
      const G::ctr_type ctr = {
          {static_cast<std::uint32_t>(row), static_cast<std::uint32_t>(static_cast<std::uint64_t>(row) >> 32), b, 0}};
      const auto x = gen(ctr, key);
      for (int j = 0; j < 4; ++j) u[4 * b + j] = (x[j] + 0.5) / 4294967296.0;  // in (0, 1)
    }
    const auto i = static_cast<Eigen::Index>(row - r.begin);
    const bool onsite = u[0] < spec.share_onsite;
    const auto caf = static_cast<std::int32_t>(1 + std::min<int>(spec.n_caf - 1, static_cast<int>(u[1] * spec.n_caf)));
    const bool test = synthetic_test_caf(caf, spec.n_caf);
    const Calib& k = kCalib[onsite][test];
    const bool target = u[2] < k.target;
    const double pg_base = k.gross / (1 - k.target + kTargetRatio * k.target);
    const bool has_gross = u[3] < (target ? kTargetRatio * pg_base : pg_base);
    const double both = k.gross + k.under - k.either;
    const bool has_under = u[4] < (has_gross ? both / k.gross : (k.under - both) / (1 - k.gross));
    // Box-Muller normals for the two log-normal amounts.
    const double z1 = std::sqrt(-2 * std::log(u[5])) * std::cos(2 * M_PI * u[6]);
    const double z2 = std::sqrt(-2 * std::log(u[7])) * std::sin(2 * M_PI * u[8]);
    const double mu = std::log(k.mean_gross) - kSigma * kSigma / 2;
    const double g = has_gross ? cents(std::exp(mu + kSigma * z1)) : 0.0;
    const double un = has_under ? cents(std::exp(mu + std::log(kUnderMean) + kSigma * z2)) : 0.0;
    const auto launch = static_cast<std::int32_t>(from + std::floor(u[9] * (to - from - 7)));
    const auto duration = static_cast<std::int32_t>(7 + std::floor(-60.0 * std::log(u[10])));
    c.id.push_back(row + 1);
    c.caf.push_back(caf);
    c.onsite.push_back(onsite);
    c.launch.push_back(launch);
    c.close.push_back(std::min(launch + duration, to));
    c.out.gross[i] = g;
    c.out.under[i] = un;
    c.out.net[i] = std::max(0.0, cents(g - un));  // underpayments offset overpayments
    c.out.in_target[i] = target;
    c.out.test[i] = test;
  }
  return c;
}

std::string controls_csv(const Controls& c, bool header) {
  std::string s = header ? "control_id,caf,group,type,launch_date,close_date,overpayment_gross,overpayment_net,"
                           "underpayment,in_target\n"
                         : "";
  for (std::size_t j = 0; j < c.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    s += fmt::format("{},{},{},{},{},{},{:.2f},{:.2f},{:.2f},{}\n", c.id[j], c.caf[j],
                     c.out.test[i] == 1.0 ? "test" : "control", c.onsite[j] ? "on-site" : "documents",
                     date_from_days(c.launch[j]), date_from_days(c.close[j]), c.out.gross[i], c.out.net[i],
                     c.out.under[i], static_cast<int>(c.out.in_target[i]));
  }
  return s;
}

Controls read_controls_csv(const std::string& path) {
  const RawTable raw = read_csv(path, CsvOptions{',', false});
  auto col = [&](const std::string& name) -> const RawColumn& {
    for (const auto& c : raw.cols)
      if (c.name == name) return c;
    throw InputError(path + ": missing column '" + name + "'");
  };
  const auto& cid = col("control_id");
  const std::size_t n = cid.is_text ? cid.text.size() : cid.num.size();
  auto text = [&](const RawColumn& c, std::size_t i) {
    return c.is_text ? c.text[i] : fmt::format("{}", c.num[i]);
  };
  auto fail = [&](std::size_t i, const std::string& column, const std::string& why) {
    throw InputError(fmt::format("{}:{}: column '{}': {}", path, raw.line_of_row[i], column, why));
  };
  auto number = [&](const std::string& column, std::size_t i) {
    const std::string t = text(col(column), i);
    std::size_t used = 0;
    double v = std::nan("");
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != t.size() || !std::isfinite(v)) fail(i, column, "not a number");
    return v;
  };
  Controls c;
  const auto m = static_cast<Eigen::Index>(n);
  c.out.gross.resize(m), c.out.net.resize(m), c.out.under.resize(m), c.out.in_target.resize(m), c.out.test.resize(m);
  for (std::size_t i = 0; i < n; ++i) {
    const auto e = static_cast<Eigen::Index>(i);
    c.id.push_back(static_cast<std::int64_t>(number("control_id", i)));
    c.caf.push_back(static_cast<std::int32_t>(number("caf", i)));
    const std::string g = text(col("group"), i), ty = text(col("type"), i);
    if (g != "test" && g != "control") fail(i, "group", "must be test or control");
    if (ty != "on-site" && ty != "documents") fail(i, "type", "must be on-site or documents");
    c.out.test[e] = g == "test";
    c.onsite.push_back(ty == "on-site");
    for (const char* dc : {"launch_date", "close_date"}) {
      try {
        (dc[0] == 'l' ? c.launch : c.close).push_back(days_from_date(text(col(dc), i)));
      } catch (const std::invalid_argument& ex) {
        fail(i, dc, ex.what());
      }
    }
    if (c.close.back() < c.launch.back()) fail(i, "close_date", "before the launch date");
    c.out.gross[e] = number("overpayment_gross", i);
    c.out.net[e] = number("overpayment_net", i);
    c.out.under[e] = number("underpayment", i);
    if (c.out.gross[e] < 0 || c.out.net[e] < 0 || c.out.under[e] < 0) fail(i, "overpayment_gross", "amounts must be >= 0");
    c.out.in_target[e] = number("in_target", i);
    if (c.out.in_target[e] != 0 && c.out.in_target[e] != 1) fail(i, "in_target", "must be 0 or 1");
  }
  return c;
}

Period parse_period(const std::string& s) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) throw InputError("period '" + s + "' must be FROM:TO (YYYY-MM-DD:YYYY-MM-DD)");
  Period p;
  p.name = s;
  try {
    p.from = days_from_date(s.substr(0, colon));
    p.to = days_from_date(s.substr(colon + 1));
  } catch (const std::invalid_argument& e) {
    throw InputError("period '" + s + "': " + e.what());
  }
  if (p.to < p.from) throw InputError("period '" + s + "' ends before it starts");
  return p;
}

}  // namespace dmde::worker
