# Reads a `dmde score` output with R's hdf5r (no dmde code) and checks it against R's own
# definitions: probability = plogis(eta); per Caf, ranks by probability descending then id,
# flags = rank <= ceiling(top% x n), mid-rank percentiles, means and deciles (quantile type 7);
# manifest rows reconciled. Usage: Rscript score_read_check.R SCORES.h5
suppressMessages(library(hdf5r))
path <- commandArgs(trailingOnly = TRUE)[1]
f <- H5File$new(path, mode = "r")
id <- f[["id"]]$read(); caf <- f[["caf"]]$read()
s <- f[["score"]]
eta <- s[["eta"]]$read(); p <- s[["probability"]]$read()
rk <- s[["rank_caf"]]$read(); pct <- s[["pct_caf"]]$read(); fl <- s[["flag_top"]]$read()
top <- h5attr(f, "top_percent"); n <- length(id)
stopifnot(n == h5attr(f, "n_rows"), length(p) == n, length(rk) == n, length(fl) == n)
stopifnot(max(abs(p - plogis(eta))) < 1e-12)
cs <- f[["caf_summary"]]
sc <- cs[["caf"]]$read(); cnt <- cs[["count"]]$read(); mn <- cs[["mean"]]$read()
dec <- cs[["deciles"]]$read(); flagged <- cs[["flagged"]]$read()
if (nrow(dec) != 9) dec <- t(dec)  # hdf5r gives [9 x n_caf] for the [n_caf x 9] dataset
worst <- 0
for (j in seq_along(sc)) {
  i <- which(caf == sc[j])
  stopifnot(length(i) == cnt[j])
  if (!length(i)) next
  o <- i[order(-p[i], id[i])]
  stopifnot(all(rk[o] == seq_along(o)))
  k <- ceiling(top * length(i) / 100 - 1e-9)
  stopifnot(all(fl[i] == as.integer(rk[i] <= k)), flagged[j] == sum(fl[i]))
  lower <- sapply(p[i], function(x) sum(p[i] < x)); equal <- sapply(p[i], function(x) sum(p[i] == x))
  worst <- max(worst, abs(pct[i] - 100 * (lower + equal / 2) / length(i)),
               abs(mn[j] - mean(p[i])), abs(dec[, j] - quantile(p[i], (1:9) / 10, type = 7, names = FALSE)))
}
stopifnot(worst < 1e-9)
m <- f[["manifest"]]
stopifnot(all(m[["rows_in"]]$read() == m[["rows_out"]]$read()), sum(m[["rows_out"]]$read()) == n)
cat(sprintf("R hdf5r: %d dossiers in %d Cafs agree (max deviation %.3g)\n", n, length(sc), worst))
