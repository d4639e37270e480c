#include "core/comm.hpp"

#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace dmde {

void mpi_check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, msg, &len);
  throw MpiError(std::string(what) + " failed: " + std::string(msg, static_cast<std::size_t>(len)));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    mpi_check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm::Comm(MPI_Comm parent) {
  mpi_check(MPI_Comm_dup(parent, &comm_), "MPI_Comm_dup");
  mpi_check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  mpi_check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  mpi_check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

Comm::~Comm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Comm::barrier() const { mpi_check(MPI_Barrier(comm_), "MPI_Barrier"); }

void Comm::bcast_raw(void* data, std::size_t bytes, int root) const {
  // Chunked so that buffers above 2 GiB still travel (MPI counts are int).
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  auto* p = static_cast<char*>(data);
  for (std::size_t off = 0; off < bytes; off += kChunk) {
    const auto n = static_cast<int>(std::min(kChunk, bytes - off));
    mpi_check(MPI_Bcast(p + off, n, MPI_BYTE, root, comm_), "MPI_Bcast");
  }
}

void Comm::bcast(std::string& bytes, int root) const {
  std::uint64_t n = bytes.size();
  bcast_value(n, root);
  bytes.resize(n);
  if (n) bcast_raw(bytes.data(), n, root);
}

std::vector<std::string> Comm::gather(const std::string& mine, int root) const {
  const int n = static_cast<int>(mine.size());
  std::vector<int> sizes(rank_ == root ? size_ : 0);
  mpi_check(MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, root, comm_), "MPI_Gather");
  std::vector<int> displs(sizes.size());
  std::string all;
  if (rank_ == root) {
    long total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      displs[i] = static_cast<int>(total);
      total += sizes[i];
    }
    if (total > INT32_MAX) throw MpiError("gather of more than 2 GiB is not supported");
    all.resize(static_cast<std::size_t>(total));
  }
  mpi_check(MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), sizes.data(), displs.data(), MPI_BYTE,
                        root, comm_),
            "MPI_Gatherv");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    out.emplace_back(all.substr(static_cast<std::size_t>(displs[i]), static_cast<std::size_t>(sizes[i])));
  return out;
}

std::vector<std::string> Comm::allgather(const std::string& mine) const {
  auto parts = gather(mine, 0);
  std::uint64_t count = parts.size();
  bcast_value(count);
  parts.resize(count);
  for (auto& p : parts) bcast(p);
  return parts;
}

void Comm::allreduce_sum_ordered(std::span<double> values) const {
  // Gather every rank's vector on rank 0 and add them in rank order: the same bits at any rank count
  // as long as each rank's partial sums are themselves computed in a fixed order.
  const int n = static_cast<int>(values.size());
  std::vector<double> all(rank_ == 0 ? static_cast<std::size_t>(n) * static_cast<std::size_t>(size_) : 0);
  mpi_check(MPI_Gather(values.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, 0, comm_), "MPI_Gather");
  if (rank_ == 0) {
    for (int i = 0; i < n; ++i) {
      double s = 0.0;
      for (int r = 0; r < size_; ++r) s += all[static_cast<std::size_t>(r) * n + i];
      values[static_cast<std::size_t>(i)] = s;
    }
  }
  bcast_raw(values.data(), values.size() * sizeof(double), 0);
}

void Comm::allreduce_sum(std::span<std::int64_t> values) const {
  mpi_check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T,
                          MPI_SUM, comm_),
            "MPI_Allreduce");
}

std::int64_t Comm::allreduce_max(std::int64_t v) const {
  mpi_check(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_MAX, comm_), "MPI_Allreduce");
  return v;
}

bool Comm::any(bool flag) const {
  int v = flag ? 1 : 0;
  mpi_check(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce");
  return v != 0;
}

std::int64_t Comm::exscan_sum(std::int64_t v) const {
  std::int64_t out = 0;
  mpi_check(MPI_Exscan(&v, &out, 1, MPI_INT64_T, MPI_SUM, comm_), "MPI_Exscan");
  return rank_ == 0 ? 0 : out;  // MPI leaves rank 0's result undefined
}

void Comm::send(const std::string& bytes, int dest, int tag) const {
  mpi_check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, comm_), "MPI_Send");
}

std::string Comm::recv(int source, int tag, int* from, int* got_tag) const {
  MPI_Status st;
  mpi_check(MPI_Probe(source, tag, comm_, &st), "MPI_Probe");
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  std::string buf(static_cast<std::size_t>(n), '\0');
  mpi_check(MPI_Recv(buf.data(), n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
  if (from) *from = st.MPI_SOURCE;
  if (got_tag) *got_tag = st.MPI_TAG;
  return buf;
}

bool Comm::poll(int source, int tag) const {
  int flag = 0;
  mpi_check(MPI_Iprobe(source, tag, comm_, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
  return flag != 0;
}

void Comm::abort(int code) const {
  MPI_Abort(comm_, code);
  std::_Exit(code);
}

}  // namespace dmde
