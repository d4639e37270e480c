#pragma once
// Boost.Serialization for Eigen dense matrices and helpers to turn any serializable object into
// bytes and back. Binary archives: exact round trip (NaN/Inf included), fit for MPI broadcast.
#include <Eigen/Core>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace boost::serialization {

template <class Archive, class S, int R, int C, int O, int MR, int MC>
void save(Archive& ar, const Eigen::Matrix<S, R, C, O, MR, MC>& m, unsigned /*version*/) {
  Eigen::Index rows = m.rows(), cols = m.cols();
  ar << rows << cols;
  if (m.size()) ar << boost::serialization::make_array(m.data(), static_cast<std::size_t>(m.size()));
}

template <class Archive, class S, int R, int C, int O, int MR, int MC>
void load(Archive& ar, Eigen::Matrix<S, R, C, O, MR, MC>& m, unsigned /*version*/) {
  Eigen::Index rows = 0, cols = 0;
  ar >> rows >> cols;
  m.resize(rows, cols);
  if (m.size()) ar >> boost::serialization::make_array(m.data(), static_cast<std::size_t>(m.size()));
}

template <class Archive, class S, int R, int C, int O, int MR, int MC>
void serialize(Archive& ar, Eigen::Matrix<S, R, C, O, MR, MC>& m, unsigned version) {
  split_free(ar, m, version);
}

}  // namespace boost::serialization

namespace dmde {

/// Serializes `obj` (anything with a Boost `serialize`) into a binary byte string.
template <class T>
std::string to_bytes(const T& obj) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os);
    ar << obj;
  }
  return os.str();
}

/// Restores `obj` from bytes made by to_bytes; a truncated or foreign buffer throws dmde::Error.
template <class T>
void from_bytes(const std::string& bytes, T& obj) {
  try {
    std::istringstream is(bytes, std::ios::binary);
    boost::archive::binary_iarchive ar(is);
    ar >> obj;
  } catch (const boost::archive::archive_exception& e) {
    throw Error(std::string("cannot deserialize: ") + e.what());
  }
}

}  // namespace dmde
