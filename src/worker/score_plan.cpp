// The scoring plan: runs of /caf, rows per Caf, Cafs balanced over ranks by row count.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>

#include "core/serialize.hpp"
#include "worker/partition.hpp"
#include "worker/score.hpp"

namespace dmde::worker {

std::vector<std::size_t> ScorePlan::cafs_of(int rank) const {
  std::vector<std::size_t> mine;
  for (std::size_t c = 0; c < cafs.size(); ++c)
    if (owner[c] == rank) mine.push_back(c);
  // File order of the first run: consecutive Cafs then share the chunks read for them.
  std::sort(mine.begin(), mine.end(),
            [&](std::size_t a, std::size_t b) { return caf_segments[a].front().begin < caf_segments[b].front().begin; });
  return mine;
}

ScorePlan make_plan(const std::vector<Segment>& runs, std::int64_t n_rows, int ranks) {
  ScorePlan p;
  p.n_rows = n_rows;
  std::map<std::int32_t, std::vector<Segment>> by_caf;
  std::int64_t covered = 0;
  for (const auto& r : runs) {
    by_caf[r.caf].push_back(r);
    covered += r.end - r.begin;
  }
  if (covered != n_rows) throw Error("scoring plan: runs cover " + std::to_string(covered) + " of " +
                                     std::to_string(n_rows) + " rows");
  for (auto& [caf, segs] : by_caf) {
    p.cafs.push_back(caf);
    std::int64_t rows = 0;
    for (const auto& s : segs) rows += s.end - s.begin;
    p.caf_rows.push_back(rows);
    p.grouped = p.grouped && segs.size() == 1;
    p.caf_segments.push_back(std::move(segs));
  }
  p.owner = balance_groups(p.caf_rows, ranks);
  // Contiguous shares instead when they balance almost as well: a rank's Cafs then form one run of
  // the file, read in whole chunks, where interleaved owners make every rank read every chunk
  // shared with another's Caf (a partial read of a chunked dataset reads the whole chunk).
  std::vector<std::size_t> order(p.cafs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return p.caf_segments[a].front().begin < p.caf_segments[b].front().begin;
  });
  std::vector<int> contiguous(p.cafs.size());
  std::vector<std::int64_t> load_c(static_cast<std::size_t>(ranks)), load_l(static_cast<std::size_t>(ranks));
  std::int64_t start = 0;
  for (auto c : order) {  // each Caf to the rank whose equal share holds its middle row
    const auto r = static_cast<int>(std::min<std::int64_t>(
        ranks - 1, (2 * start + p.caf_rows[c]) * ranks / std::max<std::int64_t>(1, 2 * n_rows)));
    contiguous[c] = r;
    load_c[static_cast<std::size_t>(r)] += p.caf_rows[c];
    load_l[static_cast<std::size_t>(p.owner[c])] += p.caf_rows[c];
    start += p.caf_rows[c];
  }
  const auto max_c = *std::max_element(load_c.begin(), load_c.end()), max_l = *std::max_element(load_l.begin(), load_l.end());
  if (static_cast<double>(max_c) > 1.05 * static_cast<double>(max_l)) return p;
  // Contiguous shares cannot split the Caf across the middle (one of 620,000 rows left 2 ranks at
  // 52/48 on the synthetic population); a few Cafs handed from the most to the least loaded rank
  // even them out at the cost of one more run each (LPT's many runs measured 10% slower).
  for (int move = 0; move < 2 * ranks; ++move) {
    const auto H = static_cast<std::size_t>(std::max_element(load_c.begin(), load_c.end()) - load_c.begin());
    const auto L = static_cast<std::size_t>(std::min_element(load_c.begin(), load_c.end()) - load_c.begin());
    const std::int64_t gap = load_c[H] - load_c[L];
    std::size_t best = p.cafs.size();
    for (std::size_t c = 0; c < p.cafs.size(); ++c)  // the Caf of H closest to half the gap
      if (contiguous[c] == static_cast<int>(H) && p.caf_rows[c] < gap &&
          (best == p.cafs.size() || std::llabs(2 * p.caf_rows[c] - gap) < std::llabs(2 * p.caf_rows[best] - gap)))
        best = c;
    if (best == p.cafs.size()) break;
    const std::int64_t s = p.caf_rows[best];
    if (load_c[H] - std::max(load_c[H] - s, load_c[L] + s) < n_rows / (200 * ranks)) break;  // < 0.5% of a share
    contiguous[best] = static_cast<int>(L);
    load_c[H] -= s, load_c[L] += s;
  }
  p.owner = std::move(contiguous);
  return p;
}

ScorePlan plan_scoring(const Comm& comm, const TableReader& pop, std::int64_t chunk_rows) {
  // Every rank finds the runs of /caf in its share of whole pieces of chunk_rows rows; the runs are
  // gathered, joined at the share boundaries, and every rank makes the same plan from them.
  std::vector<Segment> runs;
  std::string err;
  const std::int64_t n = pop.schema().n_rows;
  try {
    const std::int64_t pieces = (n + chunk_rows - 1) / chunk_rows;
    const std::int64_t p0 = pieces * comm.rank() / comm.size(), p1 = pieces * (comm.rank() + 1) / comm.size();
    // Run ends in a tight loop (branch only where the Caf changes: rarely).
    for (std::int64_t off = p0 * chunk_rows; off < std::min(n, p1 * chunk_rows); off += chunk_rows) {
      const std::int64_t cnt = std::min(chunk_rows, n - off);
      const auto caf = pop.read_caf(off, cnt);
      std::int32_t cur = runs.empty() ? caf[0] : runs.back().caf;
      if (runs.empty()) runs.push_back({cur, off, 0});
      for (std::int64_t i = 0; i < cnt; ++i) {
        const auto c = caf[static_cast<std::size_t>(i)];
        if (c != cur) runs.back().end = off + i, runs.push_back({c, off + i, 0}), cur = c;
      }
      runs.back().end = off + cnt;
    }
  } catch (const std::exception& e) {
    err = e.what();
  }
  for (const auto& e : comm.allgather(err))  // the first error in rank order, on every rank
    if (!e.empty()) throw InputError(e);
  std::vector<Segment> all;
  for (const auto& part : comm.allgather(to_bytes(runs))) {
    std::vector<Segment> v;
    from_bytes(part, v);
    for (const auto& r : v) {
      if (!all.empty() && all.back().caf == r.caf && all.back().end == r.begin) all.back().end = r.end;
      else all.push_back(r);
    }
  }
  ScorePlan plan = make_plan(all, n, comm.size());
  // The id order: for a grouped file each Caf's first/last ids, found while scoring, settle it
  // (finish_scoring); an interleaved file is scanned here, by rank 0.
  if (!plan.grouped) {
    std::int32_t increasing = 1;
    if (comm.is_root()) {
      try {
        std::int64_t last = std::numeric_limits<std::int64_t>::min();
        for (std::int64_t off = 0; off < n; off += chunk_rows) {
          const auto id = pop.read_id(off, std::min(chunk_rows, n - off));
          bool up = id[0] > last || off == 0;
          for (std::size_t i = 1; i < id.size(); ++i) up &= id[i] > id[i - 1];
          increasing = increasing && up;
          last = id.back();
        }
      } catch (const std::exception& e) {
        err = e.what();
      }
    }
    comm.bcast(err);
    if (!err.empty()) throw InputError(err);
    comm.bcast_value(increasing);
    plan.ids_increasing = increasing != 0;
  }
  return plan;
}

}  // namespace dmde::worker
