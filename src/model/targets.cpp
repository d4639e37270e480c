#include "model/targets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace dmde::model {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string fmt_number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

TargetCondition parse_condition(const std::string& text) {
  static const char* ops[] = {">=", "<=", "==", "!=", ">", "<"};
  for (const char* op : ops) {
    const auto pos = text.find(op);
    if (pos == std::string::npos) continue;
    TargetCondition c;
    c.op = op;
    const std::string lhs = trim(text.substr(0, pos)), rhs = trim(text.substr(pos + c.op.size()));
    const auto slash = lhs.find('/');
    c.column = trim(lhs.substr(0, slash));
    if (slash != std::string::npos) {
      c.denominator = trim(lhs.substr(slash + 1));
      if (!valid_name(c.denominator)) throw std::invalid_argument("bad column name '" + c.denominator + "'");
    }
    if (!valid_name(c.column)) throw std::invalid_argument("bad column name '" + c.column + "'");
    std::size_t used = 0;
    try {
      c.value = std::stod(rhs, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != rhs.size() || !std::isfinite(c.value))
      throw std::invalid_argument("'" + rhs + "' is not a number");
    return c;
  }
  throw std::invalid_argument("no comparison operator in '" + text + "'");
}

bool compare(double x, const std::string& op, double v) {
  if (op == ">") return x > v;
  if (op == ">=") return x >= v;
  if (op == "<") return x < v;
  if (op == "<=") return x <= v;
  if (op == "==") return x == v;
  return x != v;
}

Eigen::Index column_index(const std::vector<std::string>& names, const std::string& c) {
  const auto it = std::find(names.begin(), names.end(), c);
  if (it == names.end()) throw std::invalid_argument("outcome column '" + c + "' is missing");
  return it - names.begin();
}

}  // namespace

std::string TargetRule::text() const {
  std::string s = name + ":";
  for (std::size_t i = 0; i < all_of.size(); ++i) {
    const auto& c = all_of[i];
    s += (i ? " and " : " ") + c.column + (c.denominator.empty() ? "" : " / " + c.denominator) + " " + c.op + " " +
         fmt_number(c.value);
  }
  if (!label.empty()) s += " | " + label;
  return s;
}

std::vector<std::string> TargetRule::columns() const {
  std::vector<std::string> out;
  for (const auto& c : all_of) {
    out.push_back(c.column);
    if (!c.denominator.empty()) out.push_back(c.denominator);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TargetRule parse_target_rule(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected 'name: condition [and ...] [| label]'");
  TargetRule r;
  r.name = trim(line.substr(0, colon));
  if (!valid_name(r.name)) throw std::invalid_argument("bad target name '" + r.name + "'");
  std::string body = line.substr(colon + 1);
  const auto bar = body.find('|');
  if (bar != std::string::npos) {
    r.label = trim(body.substr(bar + 1));
    body = body.substr(0, bar);
  }
  // Split on the word "and".
  std::string rest = " " + body + " ";
  for (;;) {
    const auto pos = rest.find(" and ");
    const std::string part = trim(rest.substr(0, pos));
    if (part.empty()) throw std::invalid_argument("empty condition");
    r.all_of.push_back(parse_condition(part));
    if (pos == std::string::npos) break;
    rest = rest.substr(pos + 5);
  }
  if (r.label.empty()) r.label = trim(body);
  return r;
}

std::vector<TargetRule> note_target_rules() {
  const char* lines[] = {
      "c1: fraud == 1 | fraud-qualified overpayment",
      "c2: overpayment_amount > 200 and overpayment_months > 3 | overpayment > 200 EUR, > 3 months (previous target)",
      "c3: overpayment_amount > 400 and overpayment_months > 5 | overpayment > 400 EUR, > 5 months",
      "c4: overpayment_amount > 600 and overpayment_months > 6 | overpayment > 600 EUR, > 6 months (chosen)",
      "c5: overpayment_amount > 1000 and overpayment_months > 6 | overpayment > 1000 EUR, > 6 months",
      "c6: overpayment_amount > 1500 and overpayment_months > 6 | overpayment > 1500 EUR, > 6 months",
      "c7: overpayment_amount / overpayment_months > 10 | mean monthly overpayment > 10 EUR",
      "c8: overpayment_amount / overpayment_months > 30 | mean monthly overpayment > 30 EUR",
      "c9: overpayment_amount / overpayment_months > 50 | mean monthly overpayment > 50 EUR",
      "c10: overpayment_amount / overpayment_months > 100 | mean monthly overpayment > 100 EUR",
      "c11: overpayment_amount / overpayment_months > 200 | mean monthly overpayment > 200 EUR",
  };
  std::vector<TargetRule> out;
  for (const char* l : lines) out.push_back(parse_target_rule(l));
  return out;
}

Eigen::VectorXd evaluate_target(const TargetRule& rule, Eigen::Ref<const Eigen::MatrixXd> outcomes,
                                const std::vector<std::string>& names) {
  if (static_cast<Eigen::Index>(names.size()) != outcomes.cols())
    throw std::invalid_argument("outcome names and columns differ in number");
  if (rule.all_of.empty()) throw std::invalid_argument("target rule '" + rule.name + "' has no condition");
  Eigen::VectorXd t = Eigen::VectorXd::Ones(outcomes.rows());
  for (const auto& c : rule.all_of) {
    const Eigen::Index j = column_index(names, c.column);
    const Eigen::Index d = c.denominator.empty() ? -1 : column_index(names, c.denominator);
    for (Eigen::Index i = 0; i < outcomes.rows(); ++i) {
      double x = outcomes(i, j);
      if (d >= 0) {
        const double den = outcomes(i, d);
        x = std::isnan(den) ? den : (den == 0.0 ? 0.0 : x / den);
      }
      if (std::isnan(x)) t[i] = std::numeric_limits<double>::quiet_NaN();
      else if (!std::isnan(t[i]) && !compare(x, c.op, c.value)) t[i] = 0.0;
    }
  }
  return t;
}

std::vector<TargetSummary> compare_targets(const std::vector<TargetRule>& rules,
                                           Eigen::Ref<const Eigen::MatrixXd> outcomes,
                                           const std::vector<std::string>& names, Eigen::Ref<const Eigen::VectorXd> w,
                                           const OutcomeNames& cols) {
  const Eigen::Index n = outcomes.rows();
  if (w.size() != 0 && w.size() != n) throw std::invalid_argument("weights and outcomes differ in length");
  const Eigen::VectorXd wt = w.size() ? Eigen::VectorXd(w) : Eigen::VectorXd(Eigen::VectorXd::Ones(n));
  const auto amount = outcomes.col(column_index(names, cols.amount));
  const auto fraud = outcomes.col(column_index(names, cols.fraud));
  const auto impact = outcomes.col(column_index(names, cols.impact));
  // NaN amounts or fraud flags count as 0 in the amount shares; NaN impacts leave the mean.
  auto val = [](double x) { return std::isnan(x) ? 0.0 : x; };
  double fraud_amount_all = 0;
  for (Eigen::Index i = 0; i < n; ++i) fraud_amount_all += wt[i] * std::max(0.0, val(amount[i])) * val(fraud[i]);
  std::vector<TargetSummary> out;
  for (const auto& r : rules) {
    const Eigen::VectorXd t = evaluate_target(r, outcomes, names);
    TargetSummary s;
    s.name = r.name, s.label = r.label;
    double defined = 0, amt = 0, famt = 0, wt_in = 0, wfraud = 0, imp = 0, wimp = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (std::isnan(t[i])) continue;
      defined += 1;
      if (t[i] != 1.0) continue;
      s.count += 1;
      const double a = std::max(0.0, val(amount[i]));
      amt += wt[i] * a, famt += wt[i] * a * val(fraud[i]);
      wt_in += wt[i], wfraud += wt[i] * val(fraud[i]);
      if (!std::isnan(impact[i])) imp += wt[i] * impact[i], wimp += wt[i];
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.percent = defined > 0 ? 100.0 * s.count / defined : nan;
    s.fraud_share_amount = amt > 0 ? 100.0 * famt / amt : nan;
    s.fraud_capture_amount = fraud_amount_all > 0 ? 100.0 * famt / fraud_amount_all : nan;
    s.fraud_share_count = wt_in > 0 ? 100.0 * wfraud / wt_in : nan;
    s.mean_financial_impact = wimp > 0 ? imp / wimp : nan;
    out.push_back(s);
  }
  return out;
}

}  // namespace dmde::model
