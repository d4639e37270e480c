# Reference values pinned in tests/model/prep_rules_test.cpp and association_test.cpp.
# Run: Rscript tests/model/data/prep_reference.R
options(digits = 15)
# target_link: weighted k x 2 chi-square (= score test of a class effect) and information value.
code <- c(0, 0, 0, 1, 1, 1, 2, 2); y <- c(1, 0, 0, 1, 1, 0, 0, 0); w <- c(1, 2, 1, 1, 0.5, 2, 1, 1)
tab <- xtabs(w ~ code + y)
cat("target_link chi2", suppressWarnings(chisq.test(tab, correct = FALSE)$statistic), "\n")
ev <- pmax(tab[, "1"], 0.5) / sum(tab[, "1"]); ne <- pmax(tab[, "0"], 0.5) / sum(tab[, "0"])
cat("target_link iv", sum((ev - ne) * log(ev / ne)), "\n")
cat("target_link p", pchisq(suppressWarnings(chisq.test(tab, correct = FALSE)$statistic), 2, lower.tail = FALSE), "\n")
# weighted Pearson on complete pairs.
x <- c(1, 2, NA, 4, 5, 6); z <- c(2, 1, 3, 5, NA, 7); wp <- c(1, 2, 1, 1, 1, 0.5)
ok <- !is.na(x) & !is.na(z)
cat("pearson", cov.wt(cbind(x, z)[ok, ], wt = wp[ok] / sum(wp[ok]), cor = TRUE)$cor[1, 2], "\n")
# Cramer's V.
a <- c(0, 0, 1, 1, 2, 2, 0, 1); b <- c(0, 1, 0, 1, 1, 1, 0, 0); wc <- c(1, 1, 2, 1, 1, 3, 1, 1)
tc <- xtabs(wc ~ a + b)
chi <- suppressWarnings(chisq.test(tc, correct = FALSE)$statistic)
cat("cramer", sqrt(chi / (sum(wc) * (min(dim(tc)) - 1))), "\n")
# Average linkage (UPGMA) on the 3-item example: height of the second merge.
d <- as.dist(matrix(c(0, 0.1, 0.35, 0.1, 0, 0.15, 0.35, 0.15, 0), 3))
h <- hclust(d, method = "average")
cat("average heights", h$height, "\n")
cat("average cut 0.3", cutree(h, h = 0.3), "\n")
cat("complete cut 0.3", cutree(hclust(d, method = "complete"), h = 0.3), "\n")
# CHAID Bonferroni multipliers: C(u-1, g-1) for ordered bins, Stirling S(u, g) for free grouping.
S2 <- function(n, k) sum(sapply(0:k, function(j) (-1)^j * choose(k, j) * (k - j)^n)) / factorial(k)
cat("bonferroni", choose(19, 5), choose(19, 1), S2(5, 2), S2(7, 3), S2(10, 4), "\n")  # 11628 19 15 301 34105
# Best two-group split of bins (100 weight, 3 events) | (100, 20): chi-square and p-value.
t2 <- matrix(c(3, 97, 20, 80), 2)
cat("split", chisq.test(t2, correct = FALSE)$statistic, chisq.test(t2, correct = FALSE)$p.value, "\n")  # 14.19799 0.0001645466
