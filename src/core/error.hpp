#pragma once
// Typed errors. Every failure that reaches `main` is one of these and is printed as one line.
#include <stdexcept>
#include <string>

namespace dmde {

/// Base of all dmde errors: the message is one line, fit for a user, and holds no personal data.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// Bad user input: a file, a column, a value, a parameter (exit code 2).
struct InputError : Error {
  using Error::Error;
};
/// A failure of the HDF5 library or an HDF5 file that does not follow the dmde format.
struct H5Error : Error {
  using Error::Error;
};
/// An MPI call returned an error code.
struct MpiError : Error {
  using Error::Error;
};

}  // namespace dmde
