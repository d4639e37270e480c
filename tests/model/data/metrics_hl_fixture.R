# Reference values for tests/model/metrics_test.cpp (Hosmer-Lemeshow).
# ResourceSelection is not packaged in Debian, so hoslem.test's computation is written out here:
#   cut(yhat, breaks = quantile(yhat, probs = seq(0, 1, 1/g)), include.lowest = TRUE)
#   obs <- xtabs(cbind(1 - y, y) ~ cut); expect <- xtabs(cbind(1 - yhat, yhat) ~ cut)
#   chisq <- sum((obs - expect)^2 / expect); df <- g - 2
# The weighted variant multiplies observed and expected cells by the weights (cut points unweighted).
# Run: Rscript metrics_hl_fixture.R  (writes metrics_hl_data.csv and metrics_hl_expected.csv)
set.seed(20261123)
n <- 300
x <- rnorm(n)
p <- plogis(-1 + 0.8 * x)
y <- rbinom(n, 1, plogis(-1 + 1.1 * x))   # mis-specified on purpose: HL should see something
w <- round(runif(n, 0.5, 3), 3)
p <- round(p, 10)                          # the CSV carries exactly what R used
hl <- function(p, y, w, g) {
  ct <- cut(p, breaks = quantile(p, probs = seq(0, 1, 1 / g)), include.lowest = TRUE)
  obs1 <- tapply(w * y, ct, sum); obs0 <- tapply(w * (1 - y), ct, sum)
  ex1 <- tapply(w * p, ct, sum); ex0 <- tapply(w * (1 - p), ct, sum)
  chisq <- sum((obs1 - ex1)^2 / ex1 + (obs0 - ex0)^2 / ex0)
  c(chisq = chisq, df = g - 2, p = pchisq(chisq, g - 2, lower.tail = FALSE))
}
write.csv(data.frame(p = sprintf("%.10f", p), y = y, w = sprintf("%.3f", w)), "metrics_hl_data.csv",
          row.names = FALSE, quote = FALSE)
r <- rbind(unweighted10 = hl(p, y, rep(1, n), 10), weighted10 = hl(p, y, w, 10), unweighted5 = hl(p, y, rep(1, n), 5))
out <- data.frame(case = rownames(r), chisq = sprintf("%.12g", r[, "chisq"]), df = r[, "df"],
                  p = sprintf("%.12g", r[, "p"]))
write.csv(out, "metrics_hl_expected.csv", row.names = FALSE, quote = FALSE)
print(out)
