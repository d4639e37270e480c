#pragma once
// Reads the small numeric CSV fixtures of tests/model/data (header line, comma-separated, no quoting
// beyond R's quoted header names) and their key,value reference files.
#include <Eigen/Core>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dmde::test {

inline std::string fixture_path(const std::string& name) {
  return std::string(DMDE_SOURCE_DIR) + "/tests/model/data/" + name;
}

inline std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

/// Columns of a numeric CSV by header name ("NA" reads as NaN).
inline std::map<std::string, Eigen::VectorXd> read_csv_columns(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> head;
  {
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) head.push_back(unquote(f));
  }
  std::vector<std::vector<double>> cols(head.size());
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::size_t j = 0;
    for (std::string f; std::getline(ss, f, ',') && j < head.size(); ++j)
      cols[j].push_back(f == "NA" ? std::numeric_limits<double>::quiet_NaN() : std::stod(unquote(f)));
  }
  std::map<std::string, Eigen::VectorXd> out;
  for (std::size_t j = 0; j < head.size(); ++j)
    out[head[j]] = Eigen::Map<Eigen::VectorXd>(cols[j].data(), static_cast<Eigen::Index>(cols[j].size()));
  return out;
}

/// key,value reference file.
inline std::map<std::string, double> read_reference(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::string line;
  std::getline(in, line);
  std::map<std::string, double> out;
  while (std::getline(in, line)) {
    const auto c = line.rfind(',');
    if (c == std::string::npos) continue;
    out[line.substr(0, c)] = std::stod(line.substr(c + 1));
  }
  return out;
}

}  // namespace dmde::test
