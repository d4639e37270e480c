// `dmde import`: a CSV or SAS7BDAT learning table into the dmde HDF5 format.
#include <spdlog/spdlog.h>

#include <boost/serialization/vector.hpp>

#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/import.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde import`.
struct ImportParams {
  std::string csv;                       ///< CSV input (exactly one of csv / sas)
  std::string sas;                       ///< SAS7BDAT input
  std::string output;                    ///< output HDF5 table
  std::string id;                        ///< dossier id column (required)
  std::string target;                    ///< optional 0/1 target column
  std::string weight;                    ///< optional survey weight column
  std::string caf;                       ///< optional Caf code column
  std::vector<std::string> outcomes;     ///< extra outcome columns
  std::vector<std::string> categorical;  ///< columns forced categorical
  std::vector<std::string> numeric;      ///< columns forced numeric
  std::string delimiter;                 ///< CSV delimiter; empty = guess
  bool decimal_comma = false;            ///< CSV numbers written "12,5"
  bool compress = false;                 ///< gzip the datasets (smaller, slower to read)

  void validate() const {
    if (csv.empty() == sas.empty()) throw InputError("give exactly one input: --csv FILE or --sas FILE");
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (id.empty()) throw InputError("the dossier id column is required (--id)");
    if (delimiter.size() > 1 && delimiter != "tab") throw InputError("--delimiter takes one character or 'tab'");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & csv & sas & output & id & target & weight & caf & outcomes & categorical & numeric & delimiter &
        decimal_comma & compress;
  }
};

int run_import(Comm& comm, ImportParams& p) {
  share_params(comm, p);
  // Import is serial by nature (one file, ~14k rows): rank 0 works, the others wait.
  root_check(comm, [&] {
    worker::CsvOptions copt;
    copt.delimiter = p.delimiter == "tab" ? '\t' : (p.delimiter.empty() ? 0 : p.delimiter[0]);
    copt.decimal_comma = p.decimal_comma;
    const auto raw = p.csv.empty() ? worker::read_sas7bdat(p.sas) : worker::read_csv(p.csv, copt);
    worker::ImportSpec spec{p.id, p.target, p.weight, p.caf, p.outcomes, p.categorical, p.numeric, p.decimal_comma};
    const Table t = worker::build_table(raw, spec);
    WriteOptions wopt;
    wopt.deflate = p.compress ? 4 : 0;
    write_table(p.output, t, wopt);
    std::size_t ncat = 0;
    for (const auto& v : t.schema.vars) ncat += v.kind == VarKind::Categorical;
    spdlog::info("imported {} rows: {} variables ({} categorical, {} numeric), {} outcome columns -> {}", t.rows(),
                 t.schema.vars.size(), ncat, t.schema.vars.size() - ncat, t.schema.outcomes.size(), p.output);
  });
  return 0;
}

}  // namespace

void add_import_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<ImportParams>();
  auto* sub = app.add_subcommand("import", "Import a learning table from CSV or SAS7BDAT into dmde's HDF5 format");
  sub->add_option("--csv", p->csv, "CSV file with a header line");
  sub->add_option("--sas", p->sas, "SAS7BDAT file (read with ReadStat)");
  sub->add_option("-o,--output", p->output, "Output HDF5 table")->required();
  sub->add_option("--id", p->id, "Dossier id column (integer, unique)")->required();
  sub->add_option("--target", p->target, "0/1 target column (stored as an outcome)");
  sub->add_option("--weight", p->weight, "Survey weight column (default: 1)");
  sub->add_option("--caf", p->caf, "Caf code column (integer)");
  sub->add_option("--outcome", p->outcomes, "Other outcome columns (standard outcome names are detected)")->delimiter(',');
  sub->add_option("--categorical", p->categorical, "Force these columns categorical")->delimiter(',');
  sub->add_option("--numeric", p->numeric, "Force these columns numeric (a non-number is an error)")->delimiter(',');
  sub->add_option("--delimiter", p->delimiter, "CSV delimiter (default: guessed among , ; tab |), or 'tab'");
  sub->add_flag("--decimal-comma", p->decimal_comma, "CSV numbers use a decimal comma (12,5)");
  sub->add_flag("--compress", p->compress, "Compress datasets (gzip level 4)");
  out.push_back({sub, [p](Comm& comm) { return run_import(comm, *p); }});
}

}  // namespace dmde::driver
