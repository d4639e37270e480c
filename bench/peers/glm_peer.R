# Peer timings for bench/peers/glm_vs_dmde.sh.
#   Rscript glm_peer.R make OUT.csv            writes the synthetic learning table (14,087 rows, 300 candidates)
#   Rscript glm_peer.R fit IN.csv P            times one weighted glm on v1..vP (normalized weights)
#   Rscript glm_peer.R stepwise IN.csv STEPS   times STEPS steps of SAS-rule stepwise over v1..v300
#   Rscript glm_peer.R classwise IN.csv STEPS  the same over every column but id/y/w as CLASS
#                                              variables (factors: multi-df Rao entry, block Wald
#                                              removal); STEPS = 0: until nothing enters or leaves
# Prints "seconds <elapsed>" (CSV reading excluded) and a checksum line to compare with dmde.
args <- commandArgs(TRUE)
ctl <- glm.control(epsilon = 1e-10, maxit = 25)
if (args[1] == "make") {
  set.seed(42)
  n <- 14087; p <- 300
  X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, paste0("v", 1:p)))
  eta <- -1 + 0.25 * rowSums(X[, 1:20])
  d <- data.frame(id = 1:n, y = rbinom(n, 1, plogis(eta)), w = round(runif(n, 1, 50), 3), X)
  write.csv(d, args[2], row.names = FALSE)
  quit()
}
d <- read.csv(args[2])
d$wn <- d$w * nrow(d) / sum(d$w)
if (args[1] == "fit") {
  p <- as.integer(args[3])
  f <- reformulate(paste0("v", 1:p), "y")
  t <- system.time(fit <- suppressWarnings(glm(f, binomial, d, weights = wn, control = ctl)))["elapsed"]
  cat("seconds", t, "\n")
  cat("neg2loglik", fit$deviance, "\n")
} else if (args[1] %in% c("stepwise", "classwise")) {
  steps <- as.integer(args[3]); if (steps <= 0) steps <- .Machine$integer.max
  if (args[1] == "stepwise") {
    cands <- paste0("v", 1:300)
  } else {
    cands <- setdiff(names(d), c("id", "y", "w", "wn"))
    for (v in cands) d[[v]] <- factor(d[[v]])
  }
  # Wald chi-square of each term's block of coefficients (SAS Type 3 Wald; one column for a
  # numeric effect, the dummies of a CLASS effect).
  block_wald <- function(fit) {
    asg <- attr(model.matrix(fit), "assign"); b <- coef(fit); V <- vcov(fit)
    sapply(seq_along(attr(terms(fit), "term.labels")), function(k) {
      j <- which(asg == k & !is.na(b))
      W <- drop(t(b[j]) %*% solve(V[j, j, drop = FALSE], b[j]))
      pchisq(W, length(j), lower.tail = FALSE)
    })
  }
  # SAS rules: entry by smallest add1(test = "Rao") p-value, removal by largest Wald p-value.
  run <- function() {
    inm <- character(0); path <- character(0)
    while (length(path) < steps) {
      fit <- suppressWarnings(glm(reformulate(c("1", inm), "y"), binomial, d, weights = wn, control = ctl))
      if (length(inm)) {
        pw <- block_wald(fit); k <- which.max(pw)
        if (pw[k] > 0.05) { path <- c(path, paste0("-", inm[k])); inm <- inm[-k]; next }
      }
      a <- suppressWarnings(add1(fit, reformulate(c(".", setdiff(cands, inm))), test = "Rao"))[-1, ]
      k <- order(a$`Pr(>Chi)`, -a$`Rao score`)[1]
      if (a$`Pr(>Chi)`[k] >= 0.05) break
      inm <- c(inm, rownames(a)[k]); path <- c(path, paste0("+", rownames(a)[k]))
    }
    path
  }
  t <- system.time(path <- run())["elapsed"]
  cat("seconds", t, "\n")
  cat("path", path, "\n")
}
