#include "model/design.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace dmde::model {

std::string EffectSpec::name() const {
  std::string s;
  for (std::size_t i = 0; i < vars.size(); ++i) s += (i ? "*" : "") + vars[i];
  return s;
}

std::vector<EffectSpec> parse_effects(const std::string& text) {
  std::string t = text;
  std::replace(t.begin(), t.end(), ',', ' ');
  std::istringstream in(t);
  std::vector<EffectSpec> out;
  std::set<std::string> seen;
  for (std::string tok; in >> tok;) {
    EffectSpec e;
    std::size_t start = 0;
    while (true) {
      const auto star = tok.find('*', start);
      const std::string v = tok.substr(start, star == std::string::npos ? std::string::npos : star - start);
      if (v.empty()) throw std::invalid_argument("empty factor in effect '" + tok + "'");
      e.vars.push_back(v);
      if (star == std::string::npos) break;
      start = star + 1;
    }
    if (e.vars.size() > 2) throw std::invalid_argument("only two-way interactions are supported: '" + tok + "'");
    if (e.vars.size() == 2 && e.vars[0] == e.vars[1])
      throw std::invalid_argument("interaction of a variable with itself: '" + tok + "'");
    if (!seen.insert(e.name()).second) throw std::invalid_argument("effect listed twice: '" + tok + "'");
    out.push_back(e);
  }
  return out;
}

int Design::find_effect(const std::string& name) const {
  for (std::size_t i = 0; i < effects.size(); ++i)
    if (effects[i] == name) return static_cast<int>(i);
  return -1;
}

namespace {

std::string code_name(const RawVar& v, double code) {
  const auto k = static_cast<long>(code);
  if (v.categorical && static_cast<double>(k) == code && k >= 0 && k < static_cast<long>(v.levels.size()))
    return v.levels[static_cast<std::size_t>(k)];
  std::ostringstream s;
  s << code;
  return s.str();
}

// The coded columns of one variable over kept rows, with their level labels.
struct Coded {
  Eigen::MatrixXd cols;
  std::vector<std::string> labels;
};

// Level labels of a class's columns (every level but the reference, in order).
std::vector<std::string> column_labels(const ClassLevels& cl) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < cl.codes.size(); ++k)
    if (static_cast<int>(k) != cl.ref) out.push_back(cl.names[k]);
  return out;
}

// Writes the coded columns of x into `out` (L - 1 columns for a class, x itself otherwise).
void code_into(const Eigen::VectorXd& x, const ClassLevels* cl, Eigen::Ref<Eigen::MatrixXd> out) {
  if (!cl) {
    out.col(0) = x;
    return;
  }
  out.setZero();
  const auto L = static_cast<Eigen::Index>(cl->codes.size());
  // Column j of the coding is level j, skipping the reference level.
  std::vector<Eigen::Index> col_of(static_cast<std::size_t>(L), -1);
  for (Eigen::Index k = 0, j = 0; k < L; ++k)
    if (k != cl->ref) col_of[static_cast<std::size_t>(k)] = j++;
  // Level of a code: direct table for small non-negative integer codes (prepared classes), else a map.
  std::vector<Eigen::Index> direct;
  const double top = cl->codes.back();
  const bool small = cl->codes.front() >= 0 && top < 4096 &&
                     std::all_of(cl->codes.begin(), cl->codes.end(), [](double c) { return c == std::floor(c); });
  std::map<double, Eigen::Index> pos;
  if (small) direct.assign(static_cast<std::size_t>(top) + 1, -1);
  for (Eigen::Index k = 0; k < L; ++k) {
    const double c = cl->codes[static_cast<std::size_t>(k)];
    if (small)
      direct[static_cast<std::size_t>(c)] = k;
    else
      pos[c] = k;
  }
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const Eigen::Index k = small ? direct[static_cast<std::size_t>(x[i])] : pos.at(x[i]);
    if (k != cl->ref)
      out(i, col_of[static_cast<std::size_t>(k)]) = 1.0;
    else if (cl->coding == Coding::Effect)
      out.row(i).setConstant(-1.0);
  }
}

Coded code_variable(const Eigen::VectorXd& x, const ClassLevels* cl) {
  Coded c;
  c.labels = cl ? column_labels(*cl) : std::vector<std::string>{""};
  c.cols.resize(x.size(), static_cast<Eigen::Index>(c.labels.size()));
  code_into(x, cl, c.cols);
  return c;
}

}  // namespace

Design build_design(Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<RawVar>& vars,
                    const std::vector<EffectSpec>& effects, const std::vector<ClassSpec>& classes, bool intercept) {
  if (raw.cols() != static_cast<Eigen::Index>(vars.size()))
    throw std::invalid_argument("build_design: raw has " + std::to_string(raw.cols()) + " columns for " +
                                std::to_string(vars.size()) + " variables");
  std::map<std::string, int> var_index;
  for (std::size_t j = 0; j < vars.size(); ++j) var_index[vars[j].name] = static_cast<int>(j);
  std::map<std::string, const ClassSpec*> class_of;
  for (const auto& c : classes) class_of[c.var] = &c;

  // Variables used, in order of first appearance.
  std::vector<std::string> used;
  for (const auto& e : effects)
    for (const auto& v : e.vars) {
      if (!var_index.count(v)) throw std::invalid_argument("unknown variable '" + v + "' in effect " + e.name());
      if (vars[static_cast<std::size_t>(var_index[v])].categorical && !class_of.count(v))
        throw std::invalid_argument("categorical variable '" + v + "' must be listed as a CLASS variable");
      if (std::find(used.begin(), used.end(), v) == used.end()) used.push_back(v);
    }

  Design d;
  d.intercept = intercept;
  const Eigen::Index n = raw.rows();
  std::vector<Eigen::Index> used_col;
  for (const auto& v : used) used_col.push_back(var_index[v]);
  // Column by column (contiguous reads), then keep the rows with no missing value.
  std::vector<char> missing(static_cast<std::size_t>(n), 0);
  for (const auto j : used_col)
    for (Eigen::Index i = 0; i < n; ++i) missing[static_cast<std::size_t>(i)] |= std::isnan(raw(i, j));
  for (Eigen::Index i = 0; i < n; ++i)
    if (!missing[static_cast<std::size_t>(i)]) d.rows.push_back(i);
  d.n_missing = n - static_cast<Eigen::Index>(d.rows.size());
  const auto m = static_cast<Eigen::Index>(d.rows.size());

  // Row-selected copies only of the variables coded through Coded (classes, interaction factors);
  // a numeric main effect goes straight from raw into X below.
  std::map<std::string, Eigen::VectorXd> kept;
  for (const auto& e : effects)
    for (const auto& v : e.vars) {
      if (kept.count(v) || (e.vars.size() == 1 && !class_of.count(v))) continue;
      const Eigen::Index j = var_index[v];
      kept[v] = m == n ? Eigen::VectorXd(raw.col(j)) : Eigen::VectorXd(raw.col(j)(d.rows));
    }
  // Observed levels of each CLASS variable used (SAS drops levels absent from the analysis rows).
  std::map<std::string, std::size_t> class_pos;
  for (const auto& v : used) {
    if (!class_of.count(v)) continue;
    const RawVar& rv = vars[static_cast<std::size_t>(var_index[v])];
    std::vector<double> seen(kept[v].data(), kept[v].data() + m);
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    ClassLevels cl;
    cl.var = v;
    cl.coding = class_of[v]->coding;
    cl.codes = std::move(seen);
    for (double c : cl.codes) cl.names.push_back(code_name(rv, c));
    if (cl.codes.empty()) throw std::invalid_argument("CLASS variable '" + v + "' has no observed level");
    cl.ref = static_cast<int>(cl.codes.size()) - 1;
    if (!class_of[v]->ref.empty()) {
      const auto it = std::find(cl.names.begin(), cl.names.end(), class_of[v]->ref);
      if (it == cl.names.end())
        throw std::invalid_argument("reference level '" + class_of[v]->ref + "' of '" + v + "' is not observed");
      cl.ref = static_cast<int>(it - cl.names.begin());
    }
    class_pos[v] = d.classes.size();
    d.classes.push_back(cl);
  }
  auto coded = [&](const std::string& v) {
    return code_variable(kept[v], class_pos.count(v) ? &d.classes[class_pos[v]] : nullptr);
  };

  // Coded blocks (one column: a numeric main effect, read from raw when X is filled).
  std::vector<Eigen::MatrixXd> blocks;
  std::vector<Eigen::Index> raw_col;  // per block: raw column of a numeric main effect, else -1
  std::vector<const ClassLevels*> class_block;  // per block: a class main effect coded straight into X
  if (intercept) {
    blocks.push_back(Eigen::MatrixXd::Ones(m, 1));
    raw_col.push_back(-1);
    class_block.push_back(nullptr);
    d.effects.push_back("Intercept");
    d.col_effect.push_back("Intercept");
    d.col_level.push_back("");
  }
  for (const auto& e : effects) {
    if (e.vars.size() == 1) {
      const auto& v = e.vars[0];
      const ClassLevels* cl = class_pos.count(v) ? &d.classes[class_pos[v]] : nullptr;
      const auto labels = cl ? column_labels(*cl) : std::vector<std::string>{""};
      d.effects.push_back(e.name());
      for (const auto& l : labels) {
        d.col_effect.push_back(e.name());
        d.col_level.push_back(l);
      }
      blocks.emplace_back(0, static_cast<Eigen::Index>(labels.size()));
      raw_col.push_back(cl ? -1 : var_index[v]);
      class_block.push_back(cl);
      continue;
    }
    Coded a = coded(e.vars[0]);
    if (e.vars.size() == 2) {
      // SAS order for A*B: A's levels vary slowest.
      const Coded b = coded(e.vars[1]);
      Coded ab;
      ab.cols.resize(m, a.cols.cols() * b.cols.cols());
      for (Eigen::Index i = 0; i < a.cols.cols(); ++i)
        for (Eigen::Index j = 0; j < b.cols.cols(); ++j) {
          ab.cols.col(i * b.cols.cols() + j) = a.cols.col(i).cwiseProduct(b.cols.col(j));
          const auto& la = a.labels[static_cast<std::size_t>(i)];
          const auto& lb = b.labels[static_cast<std::size_t>(j)];
          ab.labels.push_back(la.empty() ? lb : (lb.empty() ? la : la + " " + lb));
        }
      a = std::move(ab);
    }
    d.effects.push_back(e.name());
    for (const auto& l : a.labels) {
      d.col_effect.push_back(e.name());
      d.col_level.push_back(l);
    }
    blocks.push_back(std::move(a.cols));
    raw_col.push_back(-1);
    class_block.push_back(nullptr);
  }
  Eigen::Index p = 0;
  for (const auto& b : blocks) {
    d.block.push_back(p);
    p += b.cols();
  }
  d.block.push_back(p);
  d.X.resize(m, p);
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    if (class_block[k])
      code_into(kept[class_block[k]->var], class_block[k], d.X.middleCols(d.block[k], blocks[k].cols()));
    else if (raw_col[k] < 0)
      d.X.middleCols(d.block[k], blocks[k].cols()) = blocks[k];
    else if (m == n)
      d.X.col(d.block[k]) = raw.col(raw_col[k]);
    else
      d.X.col(d.block[k]) = raw.col(raw_col[k])(d.rows);
  }
  return d;
}

Design subset_effects(const Design& d, const std::vector<int>& keep) {
  Design s;
  s.intercept = d.intercept && !keep.empty() && keep.front() == 0;
  s.rows = d.rows;
  s.n_missing = d.n_missing;
  s.classes = d.classes;
  std::vector<Eigen::Index> cols;
  s.block.push_back(0);
  for (int e : keep) {
    if (e < 0 || e >= static_cast<int>(d.effects.size()))
      throw std::invalid_argument("subset_effects: bad effect index");
    const auto k = static_cast<std::size_t>(e);
    s.effects.push_back(d.effects[k]);
    for (auto c = d.block[k]; c < d.block[k + 1]; ++c) {
      cols.push_back(c);
      s.col_effect.push_back(d.col_effect[static_cast<std::size_t>(c)]);
      s.col_level.push_back(d.col_level[static_cast<std::size_t>(c)]);
    }
    s.block.push_back(static_cast<Eigen::Index>(cols.size()));
  }
  s.X = d.X(Eigen::all, cols);
  return s;
}

}  // namespace dmde::model
