// The per-rank scorer: blocks of rows read and coded, the kernel, per-Caf ranks and summaries.
#include "worker/score_scorer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace dmde::worker::scoring {

void Scorer::score_caf(const std::vector<Segment>& segs, std::int64_t rows, CafBuffers& b) {
  b.resize(static_cast<std::size_t>(rows));
  CafResult r;
  r.caf = segs.front().caf;
  r.rows_in = rows;
  std::vector<CodingCounts> before = st_.var_counts;
  std::size_t at = 0;
  const std::int64_t g = opt_.chunk_rows;
  for (const auto& s : segs)
    for (std::int64_t off = s.begin; off < s.end;) {  // pieces never cross the grid of g rows
      const std::int64_t cnt = std::min((off / g + 1) * g, s.end) - off;
      score_chunk(off, cnt, b, at);
      at += static_cast<std::size_t>(cnt);
      off += cnt;
    }
  for (std::size_t k = 0; k < before.size(); ++k) {
    r.unseen += st_.var_counts[k].unseen - before[k].unseen;
    r.missing += st_.var_counts[k].missing - before[k].missing;
    r.out_of_range += st_.var_counts[k].out_of_range - before[k].out_of_range;
    r.nonfinite += st_.var_counts[k].nonfinite - before[k].nonfinite;
  }
  std::fill(b.caf.begin(), b.caf.end(), r.caf);
  PhaseTimer timer(cpu_, kRank);
  rank_caf(b, r);
  st_.cafs.push_back(r);
}

void Scorer::score_chunk(std::int64_t off, std::int64_t cnt, CafBuffers& b, std::size_t at) {
  const auto n = static_cast<std::size_t>(cnt);
  const Part* part = load(off, cnt);
  for (std::size_t k = 0; k < coders_.size(); ++k) {  // the piece's counts join its Caf's now
    auto& v = st_.var_counts[k];
    const auto& c = part->counts[k];
    v.missing += c.missing, v.nonfinite += c.nonfinite, v.out_of_range += c.out_of_range, v.unseen += c.unseen;
  }
  for (std::size_t c = 0; c < part->classes.size(); ++c) st_.class_counts[c] += part->classes[c];
  const Block& blk = *cur_;
  const auto skip = static_cast<std::size_t>(off - blk.lo);
  const std::size_t g = stride();
  std::copy_n(blk.ids.data() + skip, n, b.id.begin() + static_cast<std::ptrdiff_t>(at));
  if (code_bytes_ == 1) {  // class counts of the inputs with few classes: compares, on this thread
    PhaseTimer timer(cpu_, kCode);
    for (std::size_t k = 0; k < coders_.size(); ++k) {
      const auto K = static_cast<std::size_t>(coders_[k].coding().n_classes);
      if (K > kCompareClasses || counted_at_coding(k)) continue;
      const std::uint8_t* ck = blk.narrow.data() + k * stride() + skip;
      for (std::size_t i = 0; i < n; i += kCodeBlock)
        count_codes(ck + i, std::min(kCodeBlock, n - i), K, st_.class_counts.data() + st_.class_offset[k]);
    }
  }
  {
  PhaseTimer timer(cpu_, kTerms);
  const std::array<std::int16_t*, 3> reason{b.reason[0].data() + at, b.reason[1].data() + at, b.reason[2].data() + at};
  const std::array<double*, 3> contrib{b.contrib[0].data() + at, b.contrib[1].data() + at, b.contrib[2].data() + at};
  double* eta = b.eta.data() + at;
  const double c0 = m_.card.intercept;
  if (code_bytes_ == 1) score_rows(plan_, blk.narrow.data() + skip, g, n, eta, reason, contrib);
  else if (code_bytes_ == 2)
    score_rows(plan_.terms, c0, reinterpret_cast<const std::uint16_t*>(blk.narrow.data()) + skip, g, n, eta, reason, contrib);
  else score_rows(plan_.terms, c0, reinterpret_cast<const int*>(blk.narrow.data()) + skip, g, n, eta, reason, contrib);
  }
  const double* eta = b.eta.data() + at;
  PhaseTimer timer2(cpu_, kProb);
  double* prob = b.prob.data() + at;
  for (std::size_t i = 0; i < n; ++i) prob[i] = model::inv_logit(eta[i]);
  const std::size_t nb = st_.row_bins.size();
  st_.row_bins.resize(nb + n);
  for (std::size_t i = 0; i < n; ++i) st_.row_bins[nb + i] = static_cast<std::uint32_t>(hist_bin(prob[i]));
}

const Part* Scorer::load(std::int64_t off, std::int64_t cnt) {
  auto find = [&]() -> const Part* {
    for (const auto& pt : cur_->parts)
      if (pt.begin == off && pt.end == off + cnt) return &pt;
    return nullptr;
  };
  if (cur_ && off >= cur_->lo && off + cnt <= cur_->hi)
    if (const Part* pt = find()) return pt;
  // Normally a block reaches the grid or the run's end; a piece that would not be one of its parts
  // (never, with pieces cut at the grid and at Caf starts) gets a block of its own.
  for (bool exact : {false, true}) {
    std::int64_t lo = 0, hi = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> bounds;
    block_bounds(off, cnt, exact, lo, hi, bounds);
    if (feed_) {
      if (cur_) feed_->release();
      cur_ = nullptr;  // not ours any more
      cur_ = &feed_->take(lo, hi);
    } else {
      fill_block(lo, hi, bounds, own_, scratch_, cpu_);
      cur_ = &own_;
    }
    if (const Part* pt = find()) return pt;
  }
  throw Error("scoring: rows " + std::to_string(off) + "+" + std::to_string(cnt) + " not found in their block");
}

void Scorer::block_bounds(std::int64_t off, std::int64_t cnt, bool exact, std::int64_t& lo, std::int64_t& hi,
                  std::vector<std::pair<std::int64_t, std::int64_t>>& parts) const {
  const std::int64_t g = opt_.chunk_rows;
  auto run = std::upper_bound(runs_.begin(), runs_.end(), off, [](std::int64_t o, const Segment& s) { return o < s.begin; });
  const std::int64_t run_end = run == runs_.begin() ? off + cnt : std::max(off + cnt, std::prev(run)->end);
  lo = off;
  hi = exact ? off + cnt : std::min((off / g + 1) * g, run_end);
  parts.clear();
  std::int64_t from = lo;
  for (auto it = std::upper_bound(starts_.begin(), starts_.end(), lo); it != starts_.end() && *it < hi; ++it)
    parts.emplace_back(from, *it), from = *it;
  parts.emplace_back(from, hi);
}

std::vector<BlockSpec> Scorer::block_sequence(const std::vector<const std::vector<Segment>*>& segs) const {
  std::vector<BlockSpec> seq;
  std::int64_t lo = 0, hi = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> parts;
  const std::int64_t g = opt_.chunk_rows;
  for (const auto* caf : segs)
    for (const auto& s : *caf)
      for (std::int64_t off = s.begin; off < s.end;) {
        const std::int64_t cnt = std::min((off / g + 1) * g, s.end) - off;
        auto has = [&] { return std::find(parts.begin(), parts.end(), std::make_pair(off, off + cnt)) != parts.end(); };
        if (!(off >= lo && off + cnt <= hi && has()))
          for (bool exact : {false, true}) {
            block_bounds(off, cnt, exact, lo, hi, parts);
            seq.push_back({lo, hi, parts});
            if (has()) break;
          }
        off += cnt;
      }
  return seq;
}

void Scorer::fill_block(std::int64_t lo, std::int64_t hi, const std::vector<std::pair<std::int64_t, std::int64_t>>& bounds,
                Block& blk, Scratch& sc, PhaseSeconds& cpu, const std::function<void()>& between, Columns which) const {
  const std::size_t p = coders_.size();
  if (which != Columns::Raw) {
    blk.lo = lo, blk.hi = hi;
    blk.parts.resize(bounds.size());
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      auto& pt = blk.parts[i];
      pt.begin = bounds[i].first, pt.end = bounds[i].second;
      pt.counts.assign(p, CodingCounts{});
      pt.classes.assign(st_.class_offset.back(), 0);
    }
    blk.narrow.resize(stride() * p * code_bytes_);
    blk.raw_inputs.clear();
    blk.claim = 0;
    blk.coded = 0;
    PhaseTimer timer(cpu, kRead);
    blk.ids.resize(static_cast<std::size_t>(hi - lo));
    pop_.read_id(lo, hi - lo, blk.ids.data());
  } else if (blk.lo != lo || blk.hi != hi) {
    throw Error("scoring: block out of step");
  }
  // A raw input (float32 values, or int16 level codes when its coder reads them), copied by pread
  // into this thread's buffer; no HDF5 call, so either thread may read it.
  const auto as_codes = [&](std::size_t k) { return code_bytes_ == 1 && coders_[k].codes_levels(); };
  const auto read_raw = [&](std::size_t k, const float*& col, const std::int16_t*& lv) {
    PhaseTimer timer(cpu, kRead);
    const auto& name = coders_[k].coding().variable;
    const auto n = static_cast<std::size_t>(hi - lo);
    col = nullptr, lv = nullptr;
    if (as_codes(k)) {
      sc.raw16.resize(n);
      if (pop_.read_raw_codes(name, lo, hi - lo, sc.raw16.data())) lv = sc.raw16.data();
    } else {
      sc.raw.resize(n);
      if (pop_.read_raw_var(name, lo, hi - lo, sc.raw.data())) col = sc.raw.data();
    }
    return col || lv;
  };
  if (which == Columns::Raw) {
    // Raw columns are claimed one at a time by whichever thread gets there first.
    for (std::size_t i; (i = blk.claim.fetch_add(1)) < blk.raw_inputs.size();) {
      const std::size_t k = blk.raw_inputs[i];
      const float* col = nullptr;
      const std::int16_t* lv = nullptr;
      if (!read_raw(k, col, lv))  // located by the Hdf5 pass, so only an I/O error gets here
        throw Error("population file: reading variable '" + coders_[k].coding().variable +
                    "' failed (truncated or unreadable file)");
      code_column(k, col, lv, blk, sc, cpu);
      blk.coded.fetch_add(1);
      if (between) between();
    }
    return;
  }
  for (std::size_t k = 0; k < p; ++k) {
    if (between) between();
    const float* col = nullptr;
    const std::int16_t* lv = nullptr;
    if (which == Columns::Hdf5 && pop_.has_raw(coders_[k].coding().variable, as_codes(k), lo, hi - lo)) {
      blk.raw_inputs.push_back(k);  // left to the claims (Columns::Raw)
      continue;
    }
    if (which == Columns::All) read_raw(k, col, lv);
    if (!col && !lv) {
      PhaseTimer timer(cpu, kRead);
      sc.col.resize(static_cast<std::size_t>(hi - lo));
      pop_.read_var(coders_[k].coding().variable, lo, hi - lo, sc.col.data());
      col = sc.col.data();
    }
    code_column(k, col, lv, blk, sc, cpu);
  }
}

void Scorer::code_column(std::size_t k, const float* col, const std::int16_t* lv, Block& blk, Scratch& sc,
                         PhaseSeconds& cpu) const {
  PhaseTimer timer(cpu, kCode);
  const std::int64_t lo = blk.lo;
  if (lv || (code_bytes_ == 1 && coders_[k].codes_bytes())) {  // bytes and class counts in one pass
    for (auto& pt : blk.parts) {
      const auto i0 = static_cast<std::size_t>(pt.begin - lo);
      std::uint8_t* out = blk.narrow.data() + k * stride() + i0;
      std::int64_t* cc = pt.classes.data() + st_.class_offset[k];
      if (lv) coders_[k].apply_levels(lv + i0, pt.end - pt.begin, out, pt.counts[k], cc);
      else coders_[k].apply_bytes(col + i0, pt.end - pt.begin, out, pt.counts[k], cc);
    }
    return;
  }
  const auto K = static_cast<std::size_t>(coders_[k].coding().n_classes);
  sc.tmp.resize(kCodeBlock);
  int* tmp = sc.tmp.data();
  for (auto& pt : blk.parts)
    for (std::int64_t r0 = pt.begin; r0 < pt.end; r0 += static_cast<std::int64_t>(kCodeBlock)) {
      const auto i0 = static_cast<std::size_t>(r0 - lo);
      const auto bn = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(kCodeBlock), pt.end - r0));
      coders_[k].apply(col + i0, static_cast<std::int64_t>(bn), tmp, pt.counts[k]);
      std::int64_t* cc = pt.classes.data() + st_.class_offset[k];
      const std::size_t o = k * stride() + i0;
      // (code bytes, few classes, not counted_at_coding: counted by the scoring thread when it
      // reaches the part, score_chunk)
      if (code_bytes_ != 1 || K > kCompareClasses || counted_at_coding(k)) count_classes(tmp, bn, K, cc, sc.h4);
      if (code_bytes_ == 1) {
        std::copy_n(tmp, bn, blk.narrow.data() + o);
      } else if (code_bytes_ == 2) {
        std::copy_n(tmp, bn, reinterpret_cast<std::uint16_t*>(blk.narrow.data()) + o);
      } else {
        std::copy_n(tmp, bn, reinterpret_cast<int*>(blk.narrow.data()) + o);
      }
    }
}

void Scorer::count_classes(const int* ck, std::size_t n, std::size_t K, std::int64_t* cc, std::vector<std::uint32_t>& h4) {
  h4.assign(4 * K, 0);
  std::uint32_t* h = h4.data();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++h[static_cast<std::size_t>(ck[i])];
    ++h[K + static_cast<std::size_t>(ck[i + 1])];
    ++h[2 * K + static_cast<std::size_t>(ck[i + 2])];
    ++h[3 * K + static_cast<std::size_t>(ck[i + 3])];
  }
  for (; i < n; ++i) ++h[static_cast<std::size_t>(ck[i])];
  for (std::size_t c = 0; c < K; ++c) cc[c] += std::int64_t{h[c]} + h[K + c] + h[2 * K + c] + h[3 * K + c];
}

void Scorer::rank_caf(CafBuffers& b, CafResult& r) {
  const std::size_t n = b.id.size();
  r.count = static_cast<std::int64_t>(n);
  // Duplicate ids (no id in the message: personal data); ids usually come sorted: no copy then.
  const bool sorted = std::is_sorted(b.id.begin(), b.id.end());
  {
    std::size_t dups = 0;
    if (sorted) {
      for (std::size_t i = 1; i < n; ++i) dups += b.id[i] == b.id[i - 1];
    } else {
      std::vector<std::int64_t> ids(b.id.begin(), b.id.end());
      std::sort(ids.begin(), ids.end());
      dups = n - static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
    }
    if (dups) throw InputError("population has " + std::to_string(dups) + " duplicate dossier id(s) in Caf " +
                               std::to_string(r.caf));
  }
  r.ids_increasing = sorted;  // and no duplicates
  if (n) r.first_id = b.id.front(), r.last_id = b.id.back();
  // Rank order: p descending (its bits ascending, complemented), ties (rare) to the smaller id.
  // With ids increasing in row order that is a stable sort on the key alone (radix on 8-byte
  // records); otherwise a comparison sort on (key, id).
  const double* prob = b.prob.data();
  const auto key_of = [prob](std::uint32_t row) { return descending_key(prob[row]); };
  const SortKey32* ord = nullptr;
  if (sorted) {
    ord = rows_by_probability(prob, n, prefix_, prefix_tmp_);
  } else {
    auto& keys = keys_;
    keys.resize(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = {descending_key(prob[i]), static_cast<std::uint32_t>(i)};
    const std::int64_t* id = b.id.data();
    std::sort(keys.begin(), keys.end(),
              [id](const SortKey& a, const SortKey& c) { return a.k != c.k ? a.k < c.k : id[a.row] < id[c.row]; });
    prefix_.resize(n);
    for (std::size_t k = 0; k < n; ++k) prefix_[k] = {static_cast<std::uint32_t>(keys[k].k >> 32), keys[k].row};
    ord = prefix_.data();
  }
  const auto top = static_cast<std::size_t>(std::ceil(opt_.top_percent * static_cast<double>(n) / 100.0 - 1e-9));
  // One pass in rank order: ranks, percentiles and flags scattered to file order, and the national
  // histogram (each row's bin was kept when it was scored: row_bins). Its 8 MB miss the cache at
  // every row (even in p order bins are far apart), so each row's line is prefetched a few rows
  // ahead. (Local pointers: stores through the vectors' data would make the compiler reload every
  // pointer at every row.)
  constexpr std::size_t kAhead = 16;
  std::int64_t* hist = st_.hist.data();
  const std::uint32_t* bin = st_.row_bins.data() + (st_.row_bins.size() - n);
  std::int32_t* rank = b.rank.data();
  double* pct = b.pct.data();
  std::uint8_t* flag = b.flag.data();
  const auto dn = static_cast<double>(n);
  for (std::size_t q = 0; q < n;) {
    // Equal keys have equal top halves, which the records carry: the whole keys (a random read of
    // the probabilities) are compared only then (rare).
    std::size_t e = q + 1;
    if (e < n && ord[e].k == ord[q].k) {
      const std::uint64_t kq = key_of(ord[q].at);
      while (e < n && ord[e].k == ord[q].k && key_of(ord[e].at) == kq) ++e;
    }
    const double pq = 100.0 * (static_cast<double>(n - e) + 0.5 * static_cast<double>(e - q)) / dn;
    for (std::size_t k = q; k < e; ++k) {
      if (k + kAhead < n) __builtin_prefetch(hist + bin[ord[k + kAhead].at], 1);
      const std::uint32_t row = ord[k].at;
      ++hist[bin[row]];
      rank[row] = static_cast<std::int32_t>(k + 1);
      pct[row] = pq;
      flag[row] = k < top ? 1 : 0;
    }
    q = e;
  }
  r.flagged = static_cast<std::int64_t>(std::min(top, n));
  double sum = 0;
  std::uint64_t chk = 0;
  for (std::size_t i = 0; i < n; ++i) {  // file order: deterministic sum
    const double p = b.prob[i];
    sum += p;
    std::uint64_t bits;
    std::memcpy(&bits, &p, sizeof bits);
    chk += mix64(static_cast<std::uint64_t>(b.id[i]) ^ mix64(bits));
  }
  // Score bins (row in bin j: j cuts not >= p; cuts ascending) from the rank order, where p
  // descends: #(!(p <= cut)) is a prefix of it for every cut (NaN, if ever, sorts first and counts
  // above every cut, as a compare would), found by binary search.
  const auto above = [&](double cut) {
    return static_cast<std::int64_t>(
        std::partition_point(ord, ord + n, [&](const SortKey32& x) { return !(prob[x.at] <= cut); }) - ord);
  };
  const std::size_t nc = m_.score_cuts.size();
  std::int64_t prev = static_cast<std::int64_t>(n);
  for (std::size_t j = 0; j < nc; ++j) {
    const std::int64_t g = above(m_.score_cuts[j]);
    st_.score_bins[j] += prev - g;
    prev = g;
  }
  st_.score_bins[nc] += prev;
  r.checksum = chk;
  r.mean = n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < 9; ++k) {  // R type 7 on the ascending order
    if (!n) {
      r.deciles[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    const double h = static_cast<double>(n - 1) * static_cast<double>(k + 1) / 10.0;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto hi = std::min(lo + 1, n - 1);
    const double xl = prob[ord[n - 1 - lo].at], xh = prob[ord[n - 1 - hi].at];
    r.deciles[k] = xl + (h - static_cast<double>(lo)) * (xh - xl);
  }
}

}  // namespace dmde::worker::scoring
