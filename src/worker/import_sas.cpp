// SAS7BDAT reading through ReadStat (Debian's libreadstat): the users' existing SAS tables.
#include <readstat.h>

#include <cmath>

#include "core/error.hpp"
#include "worker/import.hpp"

namespace dmde::worker {
namespace {

struct Ctx {
  RawTable* raw;
  long rows = -1;
};

int on_metadata(readstat_metadata_t* md, void* p) {
  static_cast<Ctx*>(p)->rows = readstat_get_row_count(md);
  return READSTAT_HANDLER_OK;
}

int on_variable(int index, readstat_variable_t* v, const char* /*labels*/, void* p) {
  auto* ctx = static_cast<Ctx*>(p);
  RawColumn c;
  c.name = readstat_variable_get_name(v);
  c.is_text = readstat_variable_get_type_class(v) == READSTAT_TYPE_CLASS_STRING;
  if (static_cast<int>(ctx->raw->cols.size()) != index) return READSTAT_HANDLER_ABORT;
  ctx->raw->cols.push_back(std::move(c));
  return READSTAT_HANDLER_OK;
}

int on_value(int obs, readstat_variable_t* v, readstat_value_t value, void* p) {
  auto* ctx = static_cast<Ctx*>(p);
  auto& c = ctx->raw->cols[static_cast<std::size_t>(readstat_variable_get_index(v))];
  if (readstat_variable_get_index(v) == 0) ctx->raw->line_of_row.push_back(obs + 1);
  const bool missing = readstat_value_is_system_missing(value) || readstat_value_is_tagged_missing(value);
  if (c.is_text) {
    const char* s = missing ? nullptr : readstat_string_value(value);
    c.text.emplace_back(s ? s : "");
  } else {
    c.num.push_back(missing ? NAN : readstat_double_value(value));
  }
  return READSTAT_HANDLER_OK;
}

}  // namespace

RawTable read_sas7bdat(const std::string& path) {
  RawTable raw;
  raw.source = path;
  Ctx ctx{&raw};
  readstat_parser_t* parser = readstat_parser_init();
  readstat_set_metadata_handler(parser, on_metadata);
  readstat_set_variable_handler(parser, on_variable);
  readstat_set_value_handler(parser, on_value);
  const readstat_error_t err = readstat_parse_sas7bdat(parser, path.c_str(), &ctx);
  readstat_parser_free(parser);
  if (err != READSTAT_OK)
    throw InputError("'" + path + "' cannot be read as SAS7BDAT: " + readstat_error_message(err));
  if (raw.line_of_row.empty()) throw InputError("'" + path + "' has no observations");
  for (const auto& c : raw.cols)
    if ((c.is_text ? c.text.size() : c.num.size()) != raw.line_of_row.size())
      throw InputError("'" + path + "': column '" + c.name + "' has a different number of values");
  return raw;
}

}  // namespace dmde::worker
