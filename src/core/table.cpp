#include "core/table.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <unordered_set>

#include "core/chunk_writer.hpp"
#include "core/error.hpp"

namespace dmde {
namespace {

constexpr const char* kFormat = "dmde-table";
constexpr std::int64_t kVersion = 1;

const char* kind_name(VarKind k) { return k == VarKind::Numeric ? "numeric" : "categorical"; }

/// Writes metadata and creates every dataset; identical on every rank of a parallel file.
void create_layout(const h5::File& f, const TableSchema& s, const WriteOptions& opt, bool root) {
  f.set_attr("dmde_format", std::string(kFormat));
  f.set_attr("dmde_format_version", kVersion);
  f.set_attr("kind", s.kind);
  f.set_attr("n_rows", s.n_rows);
  for (const auto& [k, v] : s.meta) f.set_attr("meta_" + k, v);
  const auto n = static_cast<hsize_t>(s.n_rows);
  const h5::Layout lay{opt.chunk_rows, opt.deflate};
  f.create_dataset<std::int64_t>("id", n, 0, lay);
  f.create_dataset<std::int32_t>("caf", n, 0, lay);
  f.create_dataset<double>("weight", n, 0, lay);
  auto og = f.create_group("outcomes");
  for (const auto& o : s.outcomes) og.create_dataset<double>(o, n, 0, lay);
  auto vg = f.create_group("variables");
  std::vector<std::string> names, kinds, themes;
  std::vector<std::int32_t> windows;
  for (const auto& v : s.vars) {
    if (v.name.empty() || v.name.find('/') != std::string::npos)
      throw InputError("invalid variable name '" + v.name + "'");
    h5::Dataset d = v.kind == VarKind::Numeric
                        ? (opt.numeric_float32 ? vg.create_dataset<float>(v.name, n, 0, lay) : vg.create_dataset<double>(v.name, n, 0, lay))
                        : vg.create_dataset<std::int16_t>(v.name, n, 0, lay);
    d.set_attr("kind", std::string(kind_name(v.kind)));
    d.set_attr("theme", v.theme);
    d.set_attr("window", static_cast<std::int64_t>(v.window));
    if (v.kind == VarKind::Categorical) {
      if (v.levels.size() > 32767) throw InputError("variable '" + v.name + "' has more than 32767 levels");
      d.set_attr("levels", v.levels.empty() ? std::vector<std::string>{} : v.levels);
    }
    names.push_back(v.name);
    kinds.emplace_back(kind_name(v.kind));
    themes.push_back(v.theme);
    windows.push_back(v.window);
  }
  auto mg = f.create_group("meta");
  mg.write_strings("variables", names, root);
  mg.write_strings("kind", kinds, root);
  mg.write_strings("theme", themes, root);
  auto wd = mg.create_dataset<std::int32_t>("window", windows.size());
  wd.write(windows.data(), 0, root ? windows.size() : 0);
}

TableSchema load_schema(const h5::File& f, const std::string& path) {
  if (!f.has_attr("dmde_format") || f.attr_string("dmde_format") != kFormat)
    throw InputError("'" + path + "' is not a dmde table (no dmde_format attribute); use `dmde import`");
  if (f.attr_int("dmde_format_version") > kVersion)
    throw InputError("'" + path + "' has a newer table format than this dmde understands");
  TableSchema s;
  s.kind = f.attr_string("kind");
  s.n_rows = f.attr_int("n_rows");
  for (const auto& a : f.attr_names())
    if (a.rfind("meta_", 0) == 0) s.meta[a.substr(5)] = f.attr_string(a);
  if (f.exists("outcomes")) s.outcomes = f.group("outcomes").list();
  auto vg = f.group("variables");
  std::vector<std::string> names =
      f.exists("meta/variables") ? f.group("meta").read_strings("variables") : vg.list();
  for (const auto& name : names) {
    auto d = vg.dataset(name);
    VarInfo v;
    v.name = name;
    const std::string kind = d.has_attr("kind") ? d.attr_string("kind") : "numeric";
    if (kind != "numeric" && kind != "categorical")
      throw InputError("variable '" + name + "' in '" + path + "' has unknown kind '" + kind + "'");
    v.kind = kind == "numeric" ? VarKind::Numeric : VarKind::Categorical;
    if (d.has_attr("theme")) v.theme = d.attr_string("theme");
    if (d.has_attr("window")) v.window = static_cast<int>(d.attr_int("window"));
    if (v.kind == VarKind::Categorical && d.has_attr("levels")) v.levels = d.attr_strings("levels");
    if (static_cast<std::int64_t>(d.rows()) != s.n_rows)
      throw InputError("variable '" + name + "' in '" + path + "' has " + std::to_string(d.rows()) + " rows, not " +
                       std::to_string(s.n_rows));
    s.vars.push_back(std::move(v));
  }
  return s;
}

template <class T>
void read_column(const h5::Group& vg, const VarInfo& v, std::int64_t offset, std::int64_t count, T* out) {
  auto d = vg.dataset(v.name);
  if (v.kind == VarKind::Numeric) {
    d.read(out, static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
    return;
  }
  std::vector<std::int16_t> codes(static_cast<std::size_t>(count));
  d.read(codes.data(), static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
  const auto L = static_cast<std::int16_t>(v.levels.size());
  for (std::int64_t i = 0; i < count; ++i) {
    const auto c = codes[static_cast<std::size_t>(i)];
    if (c >= L || c < -1) throw InputError("variable '" + v.name + "' holds level code " + std::to_string(c) +
                                           " outside its " + std::to_string(L) + " levels");
    out[i] = c < 0 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(c);
  }
}

/// Categorical level codes as stored (int16, -1 = missing).
template <class T>
void to_codes(const T* col, std::int64_t count, std::vector<std::int16_t>& codes) {
  codes.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i)
    codes[static_cast<std::size_t>(i)] = std::isnan(col[i]) ? std::int16_t{-1} : static_cast<std::int16_t>(col[i]);
}

template <class T>
void write_column(const h5::Dataset& d, const VarInfo& v, std::int64_t offset, const T* col, std::int64_t count) {
  if (v.kind == VarKind::Numeric) {
    d.write(col, static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
    return;
  }
  std::vector<std::int16_t> codes;
  to_codes(col, count, codes);
  d.write(codes.data(), static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
}

/// Direct chunk writes of the block-aligned pieces when the dataset has a raw writer (`rid` >= 0);
/// H5Dwrite of the rest (all of it otherwise).
template <class T>
void put(ChunkWriter* raw, int rid, const h5::Dataset& d, const T* data, hsize_t off, hsize_t cnt) {
  if (!raw || rid < 0) {
    d.write(data, off, cnt);
    return;
  }
  for (const auto& [r0, r1] : raw->write(rid, off, cnt, data)) d.write(data + (r0 - off), r0, r1 - r0);
}
}  // namespace

const std::vector<std::string>& standard_outcomes() {
  static const std::vector<std::string> names{"overpayment_amount", "overpayment_months", "fraud",
                                              "underpayment_amount", "financial_impact"};
  return names;
}

int TableSchema::find(const std::string& name) const {
  for (std::size_t j = 0; j < vars.size(); ++j)
    if (vars[j].name == name) return static_cast<int>(j);
  return -1;
}

int TableSchema::require(const std::string& name, const std::string& file) const {
  const int j = find(name);
  if (j < 0) throw InputError("variable '" + name + "' is not in '" + file + "'");
  return j;
}

Eigen::Ref<const Eigen::VectorXd> Table::column(const std::string& name) const {
  return X.col(schema.require(name, "the table"));
}

Eigen::Ref<const Eigen::VectorXd> Table::outcome(const std::string& name) const {
  const auto it = std::find(schema.outcomes.begin(), schema.outcomes.end(), name);
  if (it == schema.outcomes.end()) throw InputError("outcome column '" + name + "' is not in the table");
  return outcomes.col(it - schema.outcomes.begin());
}

void Table::set_outcome(const std::string& name, const Eigen::VectorXd& values) {
  if (values.size() != rows()) throw InputError("outcome '" + name + "' has the wrong length");
  const auto it = std::find(schema.outcomes.begin(), schema.outcomes.end(), name);
  if (it != schema.outcomes.end()) {
    outcomes.col(it - schema.outcomes.begin()) = values;
    return;
  }
  schema.outcomes.push_back(name);
  outcomes.conservativeResize(rows(), static_cast<Eigen::Index>(schema.outcomes.size()));
  outcomes.col(outcomes.cols() - 1) = values;
}

void Table::validate(const std::string& where) const {
  const auto n = rows();
  if (static_cast<Eigen::Index>(caf.size()) != n || weight.size() != n || X.rows() != n ||
      X.cols() != static_cast<Eigen::Index>(schema.vars.size()) ||
      outcomes.cols() != static_cast<Eigen::Index>(schema.outcomes.size()) || (outcomes.cols() && outcomes.rows() != n))
    throw InputError(where + ": inconsistent column lengths");
  std::unordered_set<std::int64_t> seen(id.begin(), id.end());
  if (static_cast<Eigen::Index>(seen.size()) != n) throw InputError(where + ": duplicate dossier ids");
}

TableSchema read_schema(const std::string& path) {
  auto f = h5::File::open(path);
  return load_schema(f, path);
}

Table read_table(const std::string& path, const std::vector<std::string>& only_vars) {
  auto f = h5::File::open(path);
  Table t;
  t.schema = load_schema(f, path);
  const auto n = t.schema.n_rows;
  t.id = f.dataset("id").read_all<std::int64_t>();
  t.caf = f.dataset("caf").read_all<std::int32_t>();
  auto w = f.dataset("weight").read_all<double>();
  t.weight = Eigen::Map<Eigen::VectorXd>(w.data(), static_cast<Eigen::Index>(w.size()));
  if (static_cast<std::int64_t>(t.id.size()) != n || static_cast<std::int64_t>(t.caf.size()) != n ||
      t.weight.size() != n)
    throw InputError("'" + path + "': id/caf/weight lengths differ from n_rows");
  t.outcomes.resize(n, static_cast<Eigen::Index>(t.schema.outcomes.size()));
  for (std::size_t k = 0; k < t.schema.outcomes.size(); ++k)
    f.group("outcomes").dataset(t.schema.outcomes[k]).read(t.outcomes.col(static_cast<Eigen::Index>(k)).data(), 0,
                                                            static_cast<hsize_t>(n));
  if (!only_vars.empty()) {
    std::vector<VarInfo> keep;
    for (const auto& name : only_vars) keep.push_back(t.schema.vars[static_cast<std::size_t>(t.schema.require(name, path))]);
    t.schema.vars = std::move(keep);
  }
  t.X.resize(n, static_cast<Eigen::Index>(t.schema.vars.size()));
  auto vg = f.group("variables");
  for (std::size_t j = 0; j < t.schema.vars.size(); ++j)
    read_column(vg, t.schema.vars[j], 0, n, t.X.col(static_cast<Eigen::Index>(j)).data());
  t.validate("'" + path + "'");
  return t;
}

void write_table(const std::string& path, const Table& t, const WriteOptions& opt) {
  t.validate("table for '" + path + "'");
  TableSchema s = t.schema;
  s.n_rows = t.rows();
  AtomicPath out(path);
  {
    auto f = h5::File::create(out.temp());
    create_layout(f, s, opt, true);
    const auto n = static_cast<hsize_t>(s.n_rows);
    f.dataset("id").write(t.id.data(), 0, n);
    f.dataset("caf").write(t.caf.data(), 0, n);
    f.dataset("weight").write(t.weight.data(), 0, n);
    for (std::size_t k = 0; k < s.outcomes.size(); ++k)
      f.group("outcomes").dataset(s.outcomes[k]).write(t.outcomes.col(static_cast<Eigen::Index>(k)).data(), 0, n);
    auto vg = f.group("variables");
    for (std::size_t j = 0; j < s.vars.size(); ++j) {
      const auto& v = s.vars[j];
      const auto col = t.X.col(static_cast<Eigen::Index>(j));
      if (v.kind == VarKind::Numeric && opt.numeric_float32) {
        Eigen::VectorXf c = col.cast<float>();
        write_column(vg.dataset(v.name), v, 0, c.data(), s.n_rows);
      } else {
        write_column(vg.dataset(v.name), v, 0, col.data(), s.n_rows);
      }
    }
  }
  out.commit();
}

// ---- parallel writer -----------------------------------------------------------------------

TableWriter::TableWriter(const Comm& comm, const std::string& path, const TableSchema& schema, const WriteOptions& opt)
    : comm_(comm), schema_(schema), out_(path, &comm), numeric_float32_(opt.numeric_float32) {
  file_ = std::make_unique<h5::File>(h5::File::create(out_.temp(), &comm_, opt.direct_io ? ChunkWriter::kAlign : 0));
  create_layout(*file_, schema_, opt, comm_.is_root());
  id_ = std::make_unique<h5::Dataset>(file_->dataset("id"));
  caf_ = std::make_unique<h5::Dataset>(file_->dataset("caf"));
  weight_ = std::make_unique<h5::Dataset>(file_->dataset("weight"));
  auto og = file_->group("outcomes");
  for (const auto& o : schema_.outcomes) outcomes_.push_back(og.dataset(o));
  auto vg = file_->group("variables");
  for (const auto& v : schema_.vars) vars_.push_back(vg.dataset(v.name));
  if (opt.direct_io && opt.deflate == 0) {
    // Every rank registers every dataset in the same order (chunk lookups are collective).
    raw_ = std::make_unique<ChunkWriter>(out_.temp());
    raw_ids_ = {raw_->add(*id_, 8), raw_->add(*caf_, 4), raw_->add(*weight_, 8)};
    for (const auto& d : outcomes_) raw_ids_.push_back(raw_->add(d, 8));
    for (std::size_t j = 0; j < vars_.size(); ++j)
      raw_ids_.push_back(raw_->add(vars_[j], schema_.vars[j].kind == VarKind::Categorical ? 2 : numeric_float32_ ? 4 : 8));
  }
}

TableWriter::~TableWriter() = default;  // out_ removes the partial file unless committed

void TableWriter::write_rows(std::int64_t offset, const std::vector<std::int64_t>& id,
                             const std::vector<std::int32_t>& caf, Eigen::Ref<const Eigen::VectorXd> weight,
                             Eigen::Ref<const Eigen::MatrixXd> outcomes, Eigen::Ref<const Eigen::MatrixXf> X) {
  const auto n = static_cast<std::int64_t>(id.size());
  if (static_cast<std::int64_t>(caf.size()) != n || weight.size() != n || X.rows() != n ||
      X.cols() != static_cast<Eigen::Index>(vars_.size()) ||
      (!outcomes_.empty() && (outcomes.rows() != n || outcomes.cols() != static_cast<Eigen::Index>(outcomes_.size()))))
    throw Error("TableWriter::write_rows: block shape does not match the schema");
  const auto off = static_cast<hsize_t>(offset), cnt = static_cast<hsize_t>(n);
  const auto rid = [&](std::size_t k) { return raw_ ? raw_ids_[k] : -1; };
  put(raw_.get(), rid(0), *id_, id.data(), off, cnt);
  put(raw_.get(), rid(1), *caf_, caf.data(), off, cnt);
  put(raw_.get(), rid(2), *weight_, weight.data(), off, cnt);
  for (std::size_t k = 0; k < outcomes_.size(); ++k) {
    Eigen::VectorXd c = outcomes.col(static_cast<Eigen::Index>(k));
    put(raw_.get(), rid(3 + k), outcomes_[k], c.data(), off, cnt);
  }
  std::vector<std::int16_t> codes;
  std::vector<double> wide;
  for (std::size_t j = 0; j < vars_.size(); ++j) {
    const float* col = X.col(static_cast<Eigen::Index>(j)).data();
    const int r = rid(3 + outcomes_.size() + j);
    if (r < 0) {
      write_column(vars_[j], schema_.vars[j], offset, col, n);
    } else if (schema_.vars[j].kind == VarKind::Categorical) {
      to_codes(col, n, codes);
      put(raw_.get(), r, vars_[j], codes.data(), off, cnt);
    } else if (numeric_float32_) {
      put(raw_.get(), r, vars_[j], col, off, cnt);
    } else {
      wide.assign(col, col + n);  // float to double is exact, as HDF5's conversion
      put(raw_.get(), r, vars_[j], wide.data(), off, cnt);
    }
  }
}

void TableWriter::commit() {
  if (raw_) raw_->close();
  vars_.clear();
  outcomes_.clear();
  id_.reset();
  caf_.reset();
  weight_.reset();
  file_.reset();  // collective close
  out_.commit();
}

// ---- reader ------------------------------------------------------------------------------

TableReader::TableReader(const std::string& path, const Comm* comm) : path_(path) {
  file_ = std::make_unique<h5::File>(h5::File::open(path, false, comm));
  schema_ = load_schema(*file_, path);
}

std::vector<std::int64_t> TableReader::read_id(std::int64_t offset, std::int64_t count) const {
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  read_id(offset, count, v.data());
  return v;
}

void TableReader::read_id(std::int64_t offset, std::int64_t count, std::int64_t* out) const {
  file_->dataset("id").read(out, static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
}

std::vector<std::int32_t> TableReader::read_caf(std::int64_t offset, std::int64_t count) const {
  std::vector<std::int32_t> v(static_cast<std::size_t>(count));
  file_->dataset("caf").read(v.data(), static_cast<hsize_t>(offset), static_cast<hsize_t>(count));
  return v;
}

void TableReader::read_var(const std::string& name, std::int64_t offset, std::int64_t count, float* out) const {
  const auto& v = schema_.vars[static_cast<std::size_t>(schema_.require(name, path_))];
  read_column(file_->group("variables"), v, offset, count, out);
}

void TableReader::read_var(const std::string& name, std::int64_t offset, std::int64_t count, double* out) const {
  const auto& v = schema_.vars[static_cast<std::size_t>(schema_.require(name, path_))];
  read_column(file_->group("variables"), v, offset, count, out);
}

void TableReader::open_raw(const std::vector<std::string>& names) {
  // Chunk addresses are metadata reads: every rank asks for the same datasets in the same order.
  std::unordered_map<std::string, Chunks> found;
  const auto vg = file_->group("variables");
  for (const auto& name : names) {
    const auto& v = schema_.vars[static_cast<std::size_t>(schema_.require(name, path_))];
    if (found.count(name)) continue;
    const auto d = vg.dataset(name);
    Chunks c;
    c.elem = v.kind == VarKind::Numeric ? (d.stores<float>() ? sizeof(float) : 0)
                                        : (d.stores<std::int16_t>() ? sizeof(std::int16_t) : 0);
    if (c.elem == 0) continue;
    c.addr = d.chunk_addresses(c.rows);
    if (!c.addr.empty()) found.emplace(name, std::move(c));
  }
  if (found.empty() || file_->userblock() != 0) return;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  raw_fd_ = std::shared_ptr<const int>(new int(fd), [](const int* f) {
    ::close(*f);
    delete f;
  });
  chunks_ = std::move(found);
}

std::int64_t TableReader::raw_at(const std::string& name, std::size_t elem, std::int64_t offset,
                                 std::int64_t count) const {
  const auto it = chunks_.find(name);
  if (!raw_fd_ || it == chunks_.end() || it->second.elem != elem || offset < 0 || count <= 0) return -1;
  const auto& c = it->second;
  const auto first = static_cast<hsize_t>(offset), last = static_cast<hsize_t>(offset + count - 1);
  const hsize_t k = first / c.rows;
  if (last / c.rows != k || k >= c.addr.size() || c.addr[k] == HADDR_UNDEF) return -1;
  return static_cast<std::int64_t>(c.addr[k] + (first - k * c.rows) * elem);
}

bool TableReader::has_raw(const std::string& name, bool codes, std::int64_t offset, std::int64_t count) const {
  return raw_at(name, codes ? sizeof(std::int16_t) : sizeof(float), offset, count) >= 0;
}

bool TableReader::read_raw(const std::string& name, std::size_t elem, std::int64_t offset, std::int64_t count,
                           void* out) const {
  const std::int64_t from = raw_at(name, elem, offset, count);
  if (from < 0) return false;
  // Why pread and not a mapping of the file: the kernel copies page-cache pages through its own
  // large-page map into a buffer that stays in cache, while touching the pages through a user
  // mapping costs a TLB miss (and on some VMs far more) per 4 KiB page.
  auto* dst = static_cast<char*>(out);
  auto at = static_cast<off_t>(from);
  auto left = static_cast<std::size_t>(count) * elem;
  while (left > 0) {
    const ssize_t n = ::pread(*raw_fd_, dst, left, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // truncated or unreadable: read_var gives HDF5's own error
    dst += n, at += n, left -= static_cast<std::size_t>(n);
  }
  return true;
}

bool TableReader::read_raw_var(const std::string& name, std::int64_t offset, std::int64_t count, float* out) const {
  return read_raw(name, sizeof(float), offset, count, out);
}

bool TableReader::read_raw_codes(const std::string& name, std::int64_t offset, std::int64_t count,
                                 std::int16_t* out) const {
  return read_raw(name, sizeof(std::int16_t), offset, count, out);
}

}  // namespace dmde
