#pragma once
// A thin RAII layer over the HDF5 C API (parallel build). Every failure becomes dmde::H5Error with
// the file and object named; HDF5's own error printing is switched off. Datasets are 1-D or 2-D
// and are read/written by row ranges (hyperslabs on the first dimension), independently or
// collectively over MPI-IO.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/comm.hpp"

namespace dmde::h5 {

/// Owns one HDF5 identifier and closes it with the right H5?close.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id() = default;
  Id(hid_t id, Closer closer, const std::string& what);
  ~Id() { reset(); }
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Id& operator=(Id&& o) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// HDF5 native type for a C++ scalar type.
template <class T> hid_t native();
template <> inline hid_t native<double>() { return H5T_NATIVE_DOUBLE; }
template <> inline hid_t native<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t native<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t native<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t native<std::int16_t>() { return H5T_NATIVE_INT16; }
template <> inline hid_t native<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> inline hid_t native<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> inline hid_t native<std::uint64_t>() { return H5T_NATIVE_UINT64; }

/// Independent I/O lets ranks read/write different numbers of times; collective lets MPI-IO
/// aggregate requests (every rank must then make the same calls, possibly with zero rows).
enum class Xfer { Independent, Collective };

/// Dataset creation options: chunk rows (0 = contiguous) and deflate level (0 = none).
struct Layout {
  hsize_t chunk_rows = 0;
  int deflate = 0;
};

class Dataset;
class Group;

/// Anything that carries attributes (file root, group, dataset).
class Object {
 public:
  hid_t id() const { return id_.get(); }
  const std::string& path() const { return path_; }
  bool has_attr(const std::string& name) const;
  /// Names of all attributes, in creation order where tracked (else by name).
  std::vector<std::string> attr_names() const;
  void set_attr(const std::string& name, const std::string& value) const;
  void set_attr(const std::string& name, const std::vector<std::string>& values) const;
  void set_attr(const std::string& name, double value) const;
  void set_attr(const std::string& name, std::int64_t value) const;
  std::string attr_string(const std::string& name) const;
  std::vector<std::string> attr_strings(const std::string& name) const;
  double attr_double(const std::string& name) const;
  std::int64_t attr_int(const std::string& name) const;

 protected:
  Object() = default;
  Object(Id id, std::string path) : id_(std::move(id)), path_(std::move(path)) {}
  Id id_;
  std::string path_;  ///< "file.h5:/group/name", for error messages
};

class Group : public Object {
 public:
  bool exists(const std::string& name) const;
  Group group(const std::string& name) const;
  Group create_group(const std::string& name) const;
  Group require_group(const std::string& name) const;
  /// Names of the links directly below this group, in creation order when tracked, else by name.
  std::vector<std::string> list() const;
  Dataset dataset(const std::string& name) const;
  /// Creates a dataset of `rows` (x `cols` when cols > 0) elements of type T.
  template <class T>
  Dataset create_dataset(const std::string& name, hsize_t rows, hsize_t cols = 0, Layout layout = {}) const;
  /// Creates a 1-D dataset holding `values` (small result tables). In a parallel file every rank
  /// calls it and only the rank with `write_data` set writes the values.
  template <class T>
  Dataset write_vector(const std::string& name, const std::vector<T>& values, bool write_data = true) const;
  /// Creates a 1-D fixed-length UTF-8 string dataset (small metadata; fixed length because parallel
  /// HDF5 cannot write variable-length data). In a parallel file every rank calls it with the same
  /// values and only the rank with `write_data` set writes them.
  void write_strings(const std::string& name, const std::vector<std::string>& values, bool write_data = true) const;
  std::vector<std::string> read_strings(const std::string& name) const;

 protected:
  friend class File;
  using Object::Object;
  Dataset create_typed(const std::string& name, hid_t type, hsize_t rows, hsize_t cols, Layout layout) const;
};

class Dataset : public Object {
 public:
  /// Dimensions (1 or 2).
  std::vector<hsize_t> dims() const;
  hsize_t rows() const { return dims().at(0); }
  /// Size in bytes of one element of the dataset's type in the file.
  std::size_t element_size() const;
  /// HDF5 type class of the stored data (H5T_FLOAT, H5T_INTEGER, H5T_STRING...).
  H5T_class_t type_class() const;
  /// Writes `count` rows starting at row `offset` from `data` (row-major for 2-D).
  template <class T>
  void write(const T* data, hsize_t offset, hsize_t count, Xfer xfer = Xfer::Independent) const {
    io(true, native<T>(), const_cast<T*>(data), offset, count, xfer);
  }
  /// Reads rows [offset, offset+count) into `data`, converting to T.
  template <class T>
  void read(T* data, hsize_t offset, hsize_t count, Xfer xfer = Xfer::Independent) const {
    io(false, native<T>(), data, offset, count, xfer);
  }
  /// File addresses of the chunks of an unfiltered 1-D chunked dataset, in row order (HADDR_UNDEF
  /// where not allocated), with its chunk length in rows; empty for any other layout. For writers
  /// that put raw bytes at those addresses themselves (TableWriter's direct I/O). Collective in a
  /// parallel file (metadata reads are collective there).
  std::vector<haddr_t> chunk_addresses(hsize_t& chunk_rows) const;
  /// File offset of a contiguous dataset's allocated storage, or HADDR_UNDEF (any other layout,
  /// or not allocated): for writers that put raw bytes there themselves (DirectWriter).
  haddr_t contiguous_offset() const;
  /// Whether the stored type is exactly T's native type (raw bytes readable as T).
  template <class T>
  bool stores() const {
    return stores_type(native<T>());
  }
  template <class T>
  std::vector<T> read_all() const {
    auto d = dims();
    std::vector<T> v(d[0] * (d.size() > 1 ? d[1] : 1));
    if (!v.empty()) read(v.data(), 0, d[0]);
    return v;
  }

 private:
  friend class Group;
  using Object::Object;
  bool stores_type(hid_t mem_type) const;
  void io(bool write, hid_t mem_type, void* data, hsize_t offset, hsize_t count, Xfer xfer) const;
};

template <class T>
Dataset Group::write_vector(const std::string& name, const std::vector<T>& values, bool write_data) const {
  auto d = create_dataset<T>(name, values.size());
  d.write(values.data(), 0, write_data ? values.size() : 0);
  return d;
}

/// An HDF5 file; serial (sec2 driver) or, when given a communicator, opened by every rank of it
/// over MPI-IO (then creating groups/datasets and attributes are collective calls).
class File : public Group {
 public:
  /// `align` > 0: every allocation of at least `align` bytes starts at a multiple of `align` (chunks
  /// on file-system block boundaries, for direct I/O), and HDF5 keeps no raw data of its own (no
  /// sieve buffer: around a small H5Dwrite it would write back stale copies of bytes written
  /// directly meanwhile).
  static File create(const std::string& path, const Comm* comm = nullptr, hsize_t align = 0);
  static File open(const std::string& path, bool writable = false, const Comm* comm = nullptr);
  void flush() const;
  /// Size of the user block before the HDF5 data (file addresses are relative to its end).
  hsize_t userblock() const;
  /// Closes now (before a rename); the object is unusable afterwards.
  void close() { id_.reset(); }

 private:
  using Group::Group;
};

/// Switches off HDF5's automatic error stack printing (called once by File::create/open).
void silence_library_errors();

}  // namespace dmde::h5
