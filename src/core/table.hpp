#pragma once
// The dmde table format in HDF5 (documented in README.md, "Table format"): a learning table, a
// national population or a prepared table. Column-oriented so that scoring reads only the
// variables a model uses; readable with h5py or R's hdf5r/rhdf5 without dmde.
//
//   /                 attrs: dmde_format="dmde-table", dmde_format_version=1, kind, n_rows, meta_* strings
//   /id               int64[n]    dossier id, unique
//   /caf              int32[n]    Caf code (see /cafs)
//   /weight           float64[n]  survey weight (1.0 where there is none)
//   /outcomes/<name>  float64[n]  control outcomes (learning tables): overpayment_amount, overpayment_months,
//                                 fraud (0/1), underpayment_amount, financial_impact, and targets (0/1)
//   /variables/<name> numeric: float32/float64[n], NaN = missing
//                     categorical: int16[n] codes 0..L-1, -1 = missing; attr `levels` (strings)
//                     attrs: kind ("numeric"|"categorical"), theme, window (months: 0, 3, 6, 12, 18)
//   /meta/variables, /meta/kind, /meta/theme (strings[p]), /meta/window (int32[p]): the column order
#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/atomic.hpp"
#include "core/comm.hpp"
#include "core/h5.hpp"

namespace dmde {

enum class VarKind { Numeric, Categorical };

/// Metadata of one variable.
struct VarInfo {
  std::string name;
  VarKind kind = VarKind::Numeric;
  std::string theme;                ///< source theme: family, income, activity, benefits, housing, contacts, local...
  int window = 0;                   ///< history window in months (0 = situation on the eve of the control)
  std::vector<std::string> levels;  ///< categorical level names; code k means levels[k]

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & name & kind & theme & window & levels;
  }
};

/// The standard outcome columns of a learning table, in this order.
const std::vector<std::string>& standard_outcomes();

/// Everything but the data: enough to create or check a file.
struct TableSchema {
  std::string kind = "learning";  ///< "learning", "population" or "prepared"
  std::int64_t n_rows = 0;
  std::vector<VarInfo> vars;
  std::vector<std::string> outcomes;        ///< outcome column names (empty for a population)
  std::map<std::string, std::string> meta;  ///< free provenance (generator seed, source file, ...)

  /// Index of a variable, or -1.
  int find(const std::string& name) const;
  /// Index of a variable; throws InputError naming `file` when it is absent.
  int require(const std::string& name, const std::string& file) const;
};

/// A whole table in memory (learning and prepared tables: ~14k rows).
struct Table {
  TableSchema schema;
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd weight;
  Eigen::MatrixXd outcomes;  ///< n x schema.outcomes.size()
  Eigen::MatrixXd X;         ///< n x p; numeric NaN = missing; categorical codes as doubles, NaN = missing

  Eigen::Index rows() const { return static_cast<Eigen::Index>(id.size()); }
  /// Column of variable `name` (throws InputError when absent).
  Eigen::Ref<const Eigen::VectorXd> column(const std::string& name) const;
  /// Column of outcome `name` (throws InputError when absent).
  Eigen::Ref<const Eigen::VectorXd> outcome(const std::string& name) const;
  /// Adds (or replaces) an outcome column, e.g. a target built by `dmde targets`.
  void set_outcome(const std::string& name, const Eigen::VectorXd& values);
  /// Checks sizes agree and ids are unique; throws InputError.
  void validate(const std::string& where) const;
};

/// How a table is laid out on disk.
struct WriteOptions {
  bool numeric_float32 = false;  ///< store numeric variables as float32 (populations) instead of float64
  hsize_t chunk_rows = 65536;    ///< rows per chunk (0 = contiguous)
  int deflate = 0;               ///< gzip level 0-9 (0 = off: scoring reads at disk speed)
  /// TableWriter: write the rows' bytes at the chunks' file addresses through O_DIRECT (no page
  /// cache; see core/chunk_writer.hpp) instead of H5Dwrite. Needs chunks without deflate; any
  /// dataset or piece that does not fit falls back to the ordinary path. Same file, same bytes.
  bool direct_io = false;
};

/// Reads a whole table (serial). `only_vars` non-empty: just those variables, in that order.
/// Throws InputError/H5Error naming the file for a missing file, a foreign file, a missing column.
Table read_table(const std::string& path, const std::vector<std::string>& only_vars = {});
/// Writes a whole table (serial, atomic).
void write_table(const std::string& path, const Table& t, const WriteOptions& opt = {});
/// Reads only the schema (metadata and row count) of a dmde table file.
TableSchema read_schema(const std::string& path);

/// Parallel writer: every rank of `comm` creates the file together, then writes its own row
/// blocks (any number of calls, independent I/O), then commit() renames it into place.
class ChunkWriter;

class TableWriter {
 public:
  TableWriter(const Comm& comm, const std::string& path, const TableSchema& schema, const WriteOptions& opt);
  ~TableWriter();
  /// Writes rows [offset, offset + id.size()). X is rows x p (column-major), categorical codes as
  /// floats (NaN = missing); outcomes is rows x schema.outcomes.size() (may be empty for a population).
  void write_rows(std::int64_t offset, const std::vector<std::int64_t>& id, const std::vector<std::int32_t>& caf,
                  Eigen::Ref<const Eigen::VectorXd> weight, Eigen::Ref<const Eigen::MatrixXd> outcomes,
                  Eigen::Ref<const Eigen::MatrixXf> X);
  /// Collective: closes the file and renames it to its final path.
  void commit();

 private:
  const Comm& comm_;
  TableSchema schema_;
  AtomicPath out_;
  std::unique_ptr<h5::File> file_;
  std::vector<h5::Dataset> vars_, outcomes_;
  std::unique_ptr<h5::Dataset> id_, caf_, weight_;
  bool numeric_float32_ = false;
  std::unique_ptr<ChunkWriter> raw_;  ///< direct_io: raw chunk writer
  std::vector<int> raw_ids_;          ///< its index of id, caf, weight, outcomes..., variables... (-1: HDF5 path)
};

/// Streaming reader (serial, or parallel when given a communicator: all ranks open it together).
class TableReader {
 public:
  explicit TableReader(const std::string& path, const Comm* comm = nullptr);
  const TableSchema& schema() const { return schema_; }
  const std::string& path() const { return path_; }
  std::vector<std::int64_t> read_id(std::int64_t offset, std::int64_t count) const;
  /// Same into `out` (count values): a caller's buffer reused block after block.
  void read_id(std::int64_t offset, std::int64_t count, std::int64_t* out) const;
  std::vector<std::int32_t> read_caf(std::int64_t offset, std::int64_t count) const;
  /// Reads variable `name` rows into `out` (categorical: codes as floats, NaN = missing).
  void read_var(const std::string& name, std::int64_t offset, std::int64_t count, float* out) const;
  void read_var(const std::string& name, std::int64_t offset, std::int64_t count, double* out) const;
  const h5::File& file() const { return *file_; }
  /// Collective: prepares raw reads of those of `names` stored as unfiltered native chunks:
  /// numeric float32 (read_raw_var) and categorical int16 level codes (read_raw_codes), when the
  /// file can be opened with a plain file descriptor; the others (and every variable when that
  /// fails) stay on read_var.
  void open_raw(const std::vector<std::string>& names);
  /// Whether read_raw_var (codes: read_raw_codes) serves rows [offset, offset + count) of `name`:
  /// prepared by open_raw, of that type, within one allocated chunk. Reads nothing.
  bool has_raw(const std::string& name, bool codes, std::int64_t offset, std::int64_t count) const;
  /// Copies rows [offset, offset + count) of a numeric variable prepared by open_raw into `out`
  /// with one pread of the chunk's bytes (no HDF5 call: thread-safe, and a plain copy from the
  /// page cache), when has_raw; false otherwise, or when the read fails (then use read_var).
  bool read_raw_var(const std::string& name, std::int64_t offset, std::int64_t count, float* out) const;
  /// Same for a categorical variable: its level codes as stored (0 .. L-1, -1 = missing; not
  /// checked: the caller rejects codes outside its levels).
  bool read_raw_codes(const std::string& name, std::int64_t offset, std::int64_t count, std::int16_t* out) const;
  /// How many variables read_raw_var and read_raw_codes serve.
  std::size_t raw_columns() const { return raw_fd_ ? chunks_.size() : 0; }

 private:
  std::string path_;
  std::unique_ptr<h5::File> file_;
  TableSchema schema_;
  struct Chunks {
    hsize_t rows = 0;           ///< chunk length
    std::vector<haddr_t> addr;  ///< file offset of each chunk (HADDR_UNDEF: not allocated)
    std::size_t elem = 0;       ///< 4: float32 values, 2: int16 level codes
  };
  /// File offset of rows [offset, offset + count) of a raw variable of `elem`-byte elements, or -1.
  std::int64_t raw_at(const std::string& name, std::size_t elem, std::int64_t offset, std::int64_t count) const;
  /// Reads rows [offset, offset + count) of a raw variable of `elem`-byte elements into `out`.
  bool read_raw(const std::string& name, std::size_t elem, std::int64_t offset, std::int64_t count, void* out) const;
  std::unordered_map<std::string, Chunks> chunks_;  ///< the variables read_raw serves
  std::shared_ptr<const int> raw_fd_;               ///< the file, read-only (closed with the last copy)
};

}  // namespace dmde
