#include "core/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/error.hpp"

namespace dmde::log {

void init(int rank, int size, const std::string& level, bool all_ranks) {
  auto logger = spdlog::stderr_logger_mt(fmt::format("dmde-r{}", rank));
  logger->set_pattern(fmt::format("[dmde r{}/{} %H:%M:%S.%e] %l: %v", rank, size));
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") throw InputError("unknown log level '" + level + "'");
  if (rank != 0 && !all_ranks && lvl < spdlog::level::warn) lvl = spdlog::level::warn;
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace dmde::log
