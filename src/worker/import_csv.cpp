// CSV reading and the typing rules shared by CSV and SAS imports.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "worker/import.hpp"

namespace dmde::worker {
namespace {

std::string where(const RawTable& raw, std::size_t row, const std::string& col) {
  return "'" + raw.source + "' line " + std::to_string(raw.line_of_row[row]) + ", column '" + col + "'";
}

bool is_missing_token(const std::string& s) {
  if (s.empty() || s == ".") return true;
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return l == "na" || l == "nan";
}

/// Parses a whole token as a finite double; false when it is not one.
bool parse_number(std::string s, bool decimal_comma, double& out) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  if (decimal_comma) std::replace(s.begin(), s.end(), ',', '.');
  const char* first = s.data() + b;
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  auto [p, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && p == last && std::isfinite(out);
}

char guess_delimiter(const std::string& header) {
  std::size_t best = 0;
  char d = ',';
  for (char c : {',', ';', '\t', '|'}) {
    const auto n = static_cast<std::size_t>(std::count(header.begin(), header.end(), c));
    if (n > best) best = n, d = c;
  }
  return d;
}

/// Splits one record; may consume further physical lines when a quoted field spans them.
bool next_record(std::istream& in, char delim, long& line, std::vector<std::string>& fields, const std::string& file) {
  fields.clear();
  std::string rec;
  if (!std::getline(in, rec)) return false;
  ++line;
  const long start_line = line;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0;; ++i) {
    if (i == rec.size()) {
      if (!quoted) break;
      std::string more;  // newline inside quotes
      if (!std::getline(in, more))
        throw InputError("'" + file + "' line " + std::to_string(start_line) + ": unterminated quoted field");
      ++line;
      cur += '\n';
      rec = more;
      i = static_cast<std::size_t>(-1);
      continue;
    }
    const char c = rec[i];
    if (quoted) {
      if (c == '"' && i + 1 < rec.size() && rec[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == delim) {
      fields.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r' || i + 1 != rec.size()) {
      cur += c;
    }
  }
  fields.push_back(std::move(cur));
  return true;
}

const RawColumn& find_col(const RawTable& raw, const std::string& name, const char* role) {
  for (const auto& c : raw.cols)
    if (c.name == name) return c;
  throw InputError("'" + raw.source + "': " + role + " column '" + name + "' not found");
}

/// Numeric values of a column, or an InputError at the first value that does not parse.
std::vector<double> as_numbers(const RawTable& raw, const RawColumn& c, bool decimal_comma) {
  if (!c.is_text) return c.num;
  std::vector<double> v(c.text.size());
  for (std::size_t i = 0; i < c.text.size(); ++i) {
    if (is_missing_token(c.text[i])) v[i] = NAN;
    else if (!parse_number(c.text[i], decimal_comma, v[i]))
      throw InputError(where(raw, i, c.name) + ": value is not a number");
  }
  return v;
}

bool all_numeric(const RawColumn& c, bool decimal_comma) {
  if (!c.is_text) return true;
  double d;
  for (const auto& s : c.text)
    if (!is_missing_token(s) && !parse_number(s, decimal_comma, d)) return false;
  return true;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

RawTable read_csv(const std::string& path, const CsvOptions& opt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path + "'");
  RawTable raw;
  raw.source = path;
  std::string header;
  if (!std::getline(in, header) || header.find_first_not_of(" \r\t") == std::string::npos)
    throw InputError("'" + path + "' is empty (no header line)");
  if (header.size() >= 3 && header.compare(0, 3, "\xEF\xBB\xBF") == 0) header.erase(0, 3);  // UTF-8 BOM
  const char delim = opt.delimiter ? opt.delimiter : guess_delimiter(header);
  if (opt.decimal_comma && delim == ',') throw InputError("a decimal comma needs a delimiter other than ','");
  std::istringstream hs(header);
  long line = 0;
  std::vector<std::string> fields;
  next_record(hs, delim, line, fields, path);
  std::set<std::string> seen;
  for (auto& f : fields) {
    if (f.empty()) throw InputError("'" + path + "' line 1: empty column name");
    if (!seen.insert(f).second) throw InputError("'" + path + "' line 1: duplicate column name '" + f + "'");
    raw.cols.push_back({f, true, {}, {}});
  }
  line = 1;
  while (true) {
    const long before = line;
    if (!next_record(in, delim, line, fields, path)) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != raw.cols.size())
      throw InputError("'" + path + "' line " + std::to_string(before + 1) + ": expected " +
                       std::to_string(raw.cols.size()) + " fields, found " + std::to_string(fields.size()));
    for (std::size_t j = 0; j < fields.size(); ++j) raw.cols[j].text.push_back(std::move(fields[j]));
    raw.line_of_row.push_back(before + 1);
  }
  if (raw.line_of_row.empty()) throw InputError("'" + path + "' has a header but no data rows");
  return raw;
}

Table build_table(const RawTable& raw, const ImportSpec& spec) {
  if (spec.id.empty()) throw InputError("an id column is required (--id)");
  const std::size_t n = raw.line_of_row.size();
  if (n == 0) throw InputError("'" + raw.source + "' has no data rows");
  Table t;
  t.schema.kind = "learning";
  t.schema.meta["source"] = raw.source;
  // Id: integer and unique. The value itself is never printed (personal data).
  const auto ids = as_numbers(raw, find_col(raw, spec.id, "id"), false);
  std::unordered_map<std::int64_t, std::size_t> first;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(ids[i]) || ids[i] != std::floor(ids[i]) || std::fabs(ids[i]) > 9.0e15)
      throw InputError(where(raw, i, spec.id) + ": dossier id must be an integer");
    const auto id = static_cast<std::int64_t>(ids[i]);
    auto [it, fresh] = first.emplace(id, i);
    if (!fresh)
      throw InputError(where(raw, i, spec.id) + ": duplicate dossier id (first seen at line " +
                       std::to_string(raw.line_of_row[it->second]) + ")");
    t.id.push_back(id);
  }
  t.weight = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(n));
  if (!spec.weight.empty()) {
    const auto w = as_numbers(raw, find_col(raw, spec.weight, "weight"), spec.decimal_comma);
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(w[i]) || w[i] < 0) throw InputError(where(raw, i, spec.weight) + ": weight must be a number >= 0");
      t.weight[static_cast<Eigen::Index>(i)] = w[i];
    }
  }
  t.caf.assign(n, 0);
  if (!spec.caf.empty()) {
    const auto c = as_numbers(raw, find_col(raw, spec.caf, "caf"), false);
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(c[i]) || c[i] != std::floor(c[i]) || std::fabs(c[i]) > 2e9)
        throw InputError(where(raw, i, spec.caf) + ": Caf code must be an integer");
      t.caf[i] = static_cast<std::int32_t>(c[i]);
    }
  }
  // Outcomes: the target, the named ones, and any standard outcome column present.
  std::vector<std::string> outs;
  if (!spec.target.empty()) outs.push_back(spec.target);
  for (const auto& o : spec.outcomes) if (!contains(outs, o)) outs.push_back(o);
  for (const auto& c : raw.cols)
    if (contains(standard_outcomes(), c.name) && !contains(outs, c.name)) outs.push_back(c.name);
  t.outcomes.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(outs.size()));
  for (std::size_t k = 0; k < outs.size(); ++k) {
    const auto v = as_numbers(raw, find_col(raw, outs[k], "outcome"), spec.decimal_comma);
    for (std::size_t i = 0; i < n; ++i) {
      if (outs[k] == spec.target && !(v[i] == 0.0 || v[i] == 1.0))
        throw InputError(where(raw, i, outs[k]) + ": target must be 0 or 1");
      t.outcomes(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = v[i];
    }
  }
  t.schema.outcomes = outs;
  for (const auto& f : spec.categorical) find_col(raw, f, "--categorical");
  for (const auto& f : spec.numeric) find_col(raw, f, "--numeric");
  // Everything else is a variable.
  std::vector<std::vector<double>> cols;
  for (const auto& c : raw.cols) {
    if (c.name == spec.id || c.name == spec.weight || c.name == spec.caf || contains(outs, c.name)) continue;
    VarInfo v;
    v.name = c.name;
    v.theme = "imported";
    const bool forced_num = contains(spec.numeric, c.name), forced_cat = contains(spec.categorical, c.name);
    if (forced_num && forced_cat) throw InputError("column '" + c.name + "' is forced both numeric and categorical");
    if (forced_num || (!forced_cat && all_numeric(c, spec.decimal_comma))) {
      cols.push_back(as_numbers(raw, c, spec.decimal_comma));
    } else {
      // Levels in sorted order (SAS ORDER=FORMATTED), so the last level is SAS's default reference.
      std::vector<std::string> vals(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (c.is_text) vals[i] = c.text[i];
        else if (!std::isnan(c.num[i])) vals[i] = std::to_string(c.num[i]);
      }
      std::set<std::string> levels;
      for (const auto& s : vals) if (!is_missing_token(s)) levels.insert(s);
      v.kind = VarKind::Categorical;
      v.levels.assign(levels.begin(), levels.end());
      std::vector<double> codes(n);
      for (std::size_t i = 0; i < n; ++i)
        codes[i] = is_missing_token(vals[i]) ? NAN
                   : static_cast<double>(std::lower_bound(v.levels.begin(), v.levels.end(), vals[i]) - v.levels.begin());
      cols.push_back(std::move(codes));
    }
    t.schema.vars.push_back(std::move(v));
  }
  t.schema.n_rows = static_cast<std::int64_t>(n);
  t.X.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(cols.size()));
  for (std::size_t j = 0; j < cols.size(); ++j)
    t.X.col(static_cast<Eigen::Index>(j)) = Eigen::Map<const Eigen::VectorXd>(cols[j].data(), static_cast<Eigen::Index>(n));
  return t;
}

}  // namespace dmde::worker
