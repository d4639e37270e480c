#include "core/h5.hpp"

#include <mutex>

#include "core/error.hpp"

namespace dmde::h5 {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& where) {
  throw H5Error("HDF5: cannot " + what + " (" + where + ")");
}

hid_t check_id(hid_t id, const std::string& what, const std::string& where) {
  if (id < 0) fail(what, where);
  return id;
}

void check(herr_t rc, const std::string& what, const std::string& where) {
  if (rc < 0) fail(what, where);
}

Id make_fapl(const Comm* comm, const std::string& where) {
  Id fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), "create access list", where), H5Pclose, where);
  if (comm) {
    check(H5Pset_fapl_mpio(fapl.get(), comm->raw(), MPI_INFO_NULL), "set MPI-IO driver", where);
    // Metadata reads/writes are collective: fewer small independent requests.
    check(H5Pset_all_coll_metadata_ops(fapl.get(), true), "set collective metadata", where);
    check(H5Pset_coll_metadata_write(fapl.get(), true), "set collective metadata", where);
  }
  // Newest format: compact attributes/links and creation-order tracking work as expected.
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "set format version", where);
  return fapl;
}

Id string_type() {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

std::string parent_file(const std::string& path) { return path.substr(0, path.find(':')); }

}  // namespace

void silence_library_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

Id::Id(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
  if (id < 0) fail("open " + what, what);
}

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = std::exchange(o.id_, H5I_INVALID_HID);
    closer_ = o.closer_;
  }
  return *this;
}

void Id::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = H5I_INVALID_HID;
}

// ---- attributes --------------------------------------------------------------------------

bool Object::has_attr(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::vector<std::string> Object::attr_names() const {
  H5O_info_t info;
  check(H5Oget_info2(id(), &info, H5O_INFO_NUM_ATTRS), "count attributes", path_);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    const ssize_t len = H5Aget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail("list attributes", path_);
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Aget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

namespace {
Id new_attr(hid_t obj, const std::string& name, hid_t type, hid_t space, const std::string& where) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  return Id(check_id(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                  "create attribute '" + name + "'", where),
            H5Aclose, where);
}
Id open_attr(hid_t obj, const std::string& name, const std::string& where) {
  return Id(check_id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute '" + name + "'", where), H5Aclose,
            where);
}
}  // namespace

void Object::set_attr(const std::string& name, const std::string& value) const {
  set_attr(name, std::vector<std::string>{value});
}

void Object::set_attr(const std::string& name, const std::vector<std::string>& values) const {
  auto type = string_type();
  Id space;
  if (values.size() == 1) {
    space = Id(H5Screate(H5S_SCALAR), H5Sclose, path_);
  } else {
    hsize_t n = values.size();
    space = Id(H5Screate_simple(1, &n, nullptr), H5Sclose, path_);
  }
  auto attr = new_attr(id(), name, type.get(), space.get(), path_);
  std::vector<const char*> ptrs;
  for (const auto& s : values) ptrs.push_back(s.c_str());
  check(H5Awrite(attr.get(), type.get(), ptrs.data()), "write attribute", path_);
}

void Object::set_attr(const std::string& name, double value) const {
  Id space(H5Screate(H5S_SCALAR), H5Sclose, path_);
  auto attr = new_attr(id(), name, H5T_NATIVE_DOUBLE, space.get(), path_);
  check(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, &value), "write attribute", path_);
}

void Object::set_attr(const std::string& name, std::int64_t value) const {
  Id space(H5Screate(H5S_SCALAR), H5Sclose, path_);
  auto attr = new_attr(id(), name, H5T_NATIVE_INT64, space.get(), path_);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), "write attribute", path_);
}

std::vector<std::string> Object::attr_strings(const std::string& name) const {
  auto attr = open_attr(id(), name, path_);
  Id ftype(H5Aget_type(attr.get()), H5Tclose, path_);
  if (H5Tget_class(ftype.get()) != H5T_STRING) fail("read attribute '" + name + "' as text", path_);
  Id space(H5Aget_space(attr.get()), H5Sclose, path_);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  std::vector<std::string> out;
  if (H5Tis_variable_str(ftype.get()) > 0) {
    auto mtype = string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Aread(attr.get(), mtype.get(), ptrs.data()), "read attribute", path_);
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {  // fixed-length strings (files written by other tools)
    const std::size_t len = H5Tget_size(ftype.get());
    std::string buf(n * len, '\0');
    check(H5Aread(attr.get(), ftype.get(), buf.data()), "read attribute", path_);
    for (std::size_t i = 0; i < n; ++i) out.emplace_back(buf.substr(i * len, len).c_str());
  }
  return out;
}

std::string Object::attr_string(const std::string& name) const {
  auto v = attr_strings(name);
  if (v.size() != 1) fail("read attribute '" + name + "' as one string", path_);
  return v[0];
}

double Object::attr_double(const std::string& name) const {
  auto attr = open_attr(id(), name, path_);
  double v = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v), "read attribute", path_);
  return v;
}

std::int64_t Object::attr_int(const std::string& name) const {
  auto attr = open_attr(id(), name, path_);
  std::int64_t v = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), "read attribute", path_);
  return v;
}

// ---- groups ------------------------------------------------------------------------------

bool Group::exists(const std::string& name) const {
  // Check each component so that "a/b" does not fail when "a" is missing.
  std::string prefix;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto slash = name.find('/', start);
    prefix = name.substr(0, slash);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

Group Group::group(const std::string& name) const {
  const std::string where = path_ + (path_.back() == '/' ? "" : "/") + name;
  return Group(Id(check_id(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "open group", where), H5Gclose, where), where);
}

Group Group::create_group(const std::string& name) const {
  const std::string where = path_ + (path_.back() == '/' ? "" : "/") + name;
  Id gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, where);
  H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  return Group(Id(check_id(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), "create group", where),
                  H5Gclose, where),
               where);
}

Group Group::require_group(const std::string& name) const {
  return exists(name) ? group(name) : create_group(name);
}

std::vector<std::string> Group::list() const {
  H5G_info_t info;
  check(H5Gget_info(id(), &info), "list group", path_);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    H5_index_t idx = H5_INDEX_CRT_ORDER;
    ssize_t len = H5Lget_name_by_idx(id(), ".", idx, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) {  // creation order not tracked (file from another tool): by name
      idx = H5_INDEX_NAME;
      len = H5Lget_name_by_idx(id(), ".", idx, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    }
    if (len < 0) fail("list group", path_);
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(id(), ".", idx, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

Dataset Group::dataset(const std::string& name) const {
  const std::string where = path_ + (path_.back() == '/' ? "" : "/") + name;
  if (!exists(name)) throw H5Error("HDF5: no dataset '" + name + "' in " + path_);
  return Dataset(Id(check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "open dataset", where), H5Dclose, where),
                 where);
}

Dataset Group::create_typed(const std::string& name, hid_t type, hsize_t rows, hsize_t cols, Layout layout) const {
  const std::string where = path_ + (path_.back() == '/' ? "" : "/") + name;
  hsize_t dims[2] = {rows, cols};
  const int rank = cols > 0 ? 2 : 1;
  Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose, where);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, where);
  if (layout.chunk_rows > 0 && rows > 0) {
    hsize_t chunk[2] = {std::min(layout.chunk_rows, rows), cols};
    check(H5Pset_chunk(dcpl.get(), rank, chunk), "set chunking", where);
    if (layout.deflate > 0) {
      check(H5Pset_shuffle(dcpl.get()), "set shuffle filter", where);
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.deflate)), "set deflate", where);
    }
  }
  // No fill: every element is written by us; skipping the fill halves the write traffic.
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  return Dataset(Id(check_id(H5Dcreate2(id(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          "create dataset", where),
                    H5Dclose, where),
                 where);
}

template <class T>
Dataset Group::create_dataset(const std::string& name, hsize_t rows, hsize_t cols, Layout layout) const {
  return create_typed(name, native<T>(), rows, cols, layout);
}
template Dataset Group::create_dataset<double>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<float>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::int64_t>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::int32_t>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::int16_t>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::int8_t>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::uint8_t>(const std::string&, hsize_t, hsize_t, Layout) const;
template Dataset Group::create_dataset<std::uint64_t>(const std::string&, hsize_t, hsize_t, Layout) const;

void Group::write_strings(const std::string& name, const std::vector<std::string>& values, bool write_data) const {
  std::size_t len = 1;
  for (const auto& v : values) len = std::max(len, v.size());
  Id type(H5Tcopy(H5T_C_S1), H5Tclose, path_);
  H5Tset_size(type.get(), len);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  auto ds = create_typed(name, type.get(), values.size(), 0, {});
  std::string buf(values.size() * len, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) values[i].copy(buf.data() + i * len, values[i].size());
  ds.io(true, type.get(), buf.data(), 0, write_data ? values.size() : 0, Xfer::Independent);
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  auto ds = dataset(name);
  Id ftype(H5Dget_type(ds.id()), H5Tclose, ds.path());
  if (H5Tget_class(ftype.get()) != H5T_STRING) fail("read as text", ds.path());
  const auto n = ds.rows();
  std::vector<std::string> out;
  if (n == 0) return out;
  Id space(H5Dget_space(ds.id()), H5Sclose, ds.path());
  if (H5Tis_variable_str(ftype.get()) > 0) {
    auto mtype = string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(ds.id(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read strings", ds.path());
    for (auto* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t len = H5Tget_size(ftype.get());
    std::string buf(n * len, '\0');
    check(H5Dread(ds.id(), ftype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read strings", ds.path());
    for (std::size_t i = 0; i < n; ++i) out.emplace_back(buf.substr(i * len, len).c_str());
  }
  return out;
}

// ---- datasets ----------------------------------------------------------------------------

std::vector<hsize_t> Dataset::dims() const {
  Id space(H5Dget_space(id()), H5Sclose, path_);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2) fail("use a dataset that is not 1-D or 2-D", path_);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return d;
}

H5T_class_t Dataset::type_class() const {
  Id t(H5Dget_type(id()), H5Tclose, path_);
  return H5Tget_class(t.get());
}

void Dataset::io(bool write, hid_t mem_type, void* data, hsize_t offset, hsize_t count, Xfer xfer) const {
  auto d = dims();
  if (offset + count > d[0]) fail("access rows beyond the end", path_);
  Id fspace(H5Dget_space(id()), H5Sclose, path_);
  hsize_t start[2] = {offset, 0}, cnt[2] = {count, d.size() > 1 ? d[1] : 1};
  const int rank = static_cast<int>(d.size());
  Id mspace(H5Screate_simple(rank, cnt, nullptr), H5Sclose, path_);
  if (count == 0) {  // a rank with nothing to do still joins collective calls
    H5Sselect_none(fspace.get());
    H5Sselect_none(mspace.get());
  } else {
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr), "select rows", path_);
  }
  Id dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose, path_);
  if (xfer == Xfer::Collective) H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  const herr_t rc = write ? H5Dwrite(id(), mem_type, mspace.get(), fspace.get(), dxpl.get(), data)
                          : H5Dread(id(), mem_type, mspace.get(), fspace.get(), dxpl.get(), data);
  check(rc, write ? "write rows" : "read rows", path_);
}

std::vector<haddr_t> Dataset::chunk_addresses(hsize_t& chunk_rows) const {
  std::vector<haddr_t> out;
  chunk_rows = 0;
  Id dcpl(H5Dget_create_plist(id()), H5Pclose, path_);
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED || H5Pget_nfilters(dcpl.get()) != 0) return out;
  const auto d = dims();
  hsize_t chunk[2] = {0, 0};
  if (d.size() != 1 || H5Pget_chunk(dcpl.get(), 1, chunk) != 1 || chunk[0] == 0) return out;
  chunk_rows = chunk[0];
  for (hsize_t r = 0; r < d[0]; r += chunk_rows) {
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    check(H5Dget_chunk_info_by_coord(id(), &r, &mask, &addr, &size), "locate chunk", path_);
    out.push_back(addr);
  }
  return out;
}

std::size_t Dataset::element_size() const {
  Id t(H5Dget_type(id()), H5Tclose, path_);
  const std::size_t n = H5Tget_size(t.get());
  if (n == 0) throw H5Error("HDF5: cannot get the element size of " + path_);
  return n;
}

haddr_t Dataset::contiguous_offset() const {
  Id dcpl(H5Dget_create_plist(id()), H5Pclose, path_);
  if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl.get()) != 0) return HADDR_UNDEF;
  return H5Dget_offset(id());  // HADDR_UNDEF when not allocated
}

bool Dataset::stores_type(hid_t mem_type) const {
  Id t(H5Dget_type(id()), H5Tclose, path_);
  const htri_t eq = H5Tequal(t.get(), mem_type);
  check(eq < 0 ? -1 : 0, "compare types", path_);
  return eq > 0;
}

// ---- files -------------------------------------------------------------------------------

hsize_t File::userblock() const {
  Id fcpl(H5Fget_create_plist(id()), H5Pclose, path());
  hsize_t size = 0;
  check(H5Pget_userblock(fcpl.get(), &size), "read the user block size", path());
  return size;
}

File File::create(const std::string& path, const Comm* comm, hsize_t align) {
  silence_library_errors();
  auto fapl = make_fapl(comm, path);
  if (align > 0) {
    check(H5Pset_alignment(fapl.get(), align, align), "set alignment", path);
    check(H5Pset_sieve_buf_size(fapl.get(), 0), "turn off the sieve buffer", path);
  }
  Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, path);
  H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
  if (f < 0) throw H5Error("cannot create HDF5 file '" + path + "'");
  return File(Id(f, H5Fclose, path), path + ":/");
}

File File::open(const std::string& path, bool writable, const Comm* comm) {
  silence_library_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw H5Error("'" + path + "' is missing or is not an HDF5 file");
  auto fapl = make_fapl(comm, path);
  hid_t f = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  if (f < 0) throw H5Error("cannot open HDF5 file '" + path + "' (corrupt or locked?)");
  return File(Id(f, H5Fclose, path), path + ":/");
}

void File::flush() const { check(H5Fflush(id(), H5F_SCOPE_GLOBAL), "flush", parent_file(path_)); }

}  // namespace dmde::h5
