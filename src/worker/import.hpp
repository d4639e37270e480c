#pragma once
// Import of a learning table from CSV or SAS (.sas7bdat, through ReadStat) into the dmde table
// format. Both readers produce RawColumns; build_table() applies the same typing rules to both.
#include <string>
#include <vector>

#include "core/table.hpp"

namespace dmde::worker {

/// One column as read: numbers (NaN = missing) or text, with the source line of each row for errors.
struct RawColumn {
  std::string name;
  bool is_text = false;               ///< true: `text` holds the values (SAS character, or CSV before typing)
  std::vector<double> num;            ///< numeric values when !is_text
  std::vector<std::string> text;      ///< raw strings when is_text
};

/// A file read into columns; `line_of_row[i]` is the 1-based line (CSV) or record (SAS) number.
struct RawTable {
  std::string source;  ///< file name, for messages
  std::vector<RawColumn> cols;
  std::vector<long> line_of_row;
};

/// CSV dialect. French exports often use ';' and a decimal comma.
struct CsvOptions {
  char delimiter = 0;          ///< 0 = guess from the header line (',' ';' tab '|')
  bool decimal_comma = false;  ///< "12,5" is 12.5 (needs a delimiter other than ',')
};

/// Reads a CSV file with a header line; quoted fields with "" escapes. Every column is text.
/// Throws InputError naming file and line for an empty file, a ragged row, or a bad quote.
RawTable read_csv(const std::string& path, const CsvOptions& opt = {});

/// Reads a SAS7BDAT file with ReadStat; numeric columns stay numeric, character columns text.
RawTable read_sas7bdat(const std::string& path);

/// How raw columns become a dmde table.
struct ImportSpec {
  std::string id;                        ///< dossier id column (integer, unique); required
  std::string target;                    ///< optional 0/1 target column, stored as an outcome
  std::string weight;                    ///< optional survey weight column (default 1.0)
  std::string caf;                       ///< optional Caf code column (integer; default 0)
  std::vector<std::string> outcomes;     ///< more outcome columns (standard outcome names are taken anyway)
  std::vector<std::string> categorical;  ///< force categorical (otherwise: numeric iff every value parses)
  std::vector<std::string> numeric;      ///< force numeric: a value that does not parse is an error
  bool decimal_comma = false;            ///< parse "12,5" as 12.5
};

/// Types and checks the columns and builds the table. Errors name file, line and column, never values
/// of identifying columns. Missing tokens: empty, ".", "NA", "NaN" (any case).
Table build_table(const RawTable& raw, const ImportSpec& spec);

}  // namespace dmde::worker
