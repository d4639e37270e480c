# Reference values for tests/model/logistic_ref_test.cpp, computed with R's glm(family=binomial)
# on datasets shipped with Debian's r-base-core (datasets::infert, datasets::mtcars) and on a
# seeded synthetic weighted table. Run from this directory: Rscript make_logistic_fixtures.R
# Outputs: <name>.csv (data; class variables as 0-based codes in R's level order) and
# <name>_ref.csv (key,value: coefficients keyed "effect|level" in dmde's labelling, SEs, -2logL,
# score tests) and stepwise_path.csv (the SAS-rule stepwise path of sas_stepwise() below).
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
fmt <- function(x) formatC(x, digits = 17, format = "g")

# dmde labels: effect "a*b", level "A B" (class levels only, in factor order of the term).
dmde_key <- function(rname, data) {
  if (rname == "(Intercept)") return("Intercept|")
  parts <- strsplit(rname, ":", fixed = TRUE)[[1]]
  vars <- character(0); levs <- character(0)
  for (p in parts) {
    hit <- NULL
    for (v in names(data)) if (startsWith(p, v) && (is.null(hit) || nchar(v) > nchar(hit))) hit <- v
    vars <- c(vars, hit)
    if (is.factor(data[[hit]])) levs <- c(levs, substring(p, nchar(hit) + 1))
  }
  paste0(paste(vars, collapse = "*"), "|", paste(levs, collapse = " "))
}

write_data <- function(data, file) {
  out <- data
  for (v in names(out)) if (is.factor(out[[v]])) out[[v]] <- as.integer(out[[v]]) - 1L
  write.csv(out, file, row.names = FALSE)
}

ref_lines <- function(fit, data, prefix = "") {
  s <- summary(fit)$coefficients
  keys <- sapply(rownames(s), dmde_key, data = data)
  c(paste0(prefix, "beta:", keys, ",", fmt(s[, 1])), paste0(prefix, "se:", keys, ",", fmt(s[, 2])),
    paste0(prefix, "neg2ll,", fmt(fit$deviance + 0)), paste0(prefix, "neg2ll_null,", fmt(fit$null.deviance)))
}
# Deviance = -2logL for 0/1 responses (saturated log-likelihood is 0).

# --- infert: case ~ education + age + parity + induced + spontaneous; education levels
# "0-5yrs" "6-11yrs" "12+ yrs", SAS reference = last level; also effect coding (contr.sum).
inf <- datasets::infert[, c("case", "education", "age", "parity", "induced", "spontaneous")]
levels(inf$education) <- c("0-5yrs", "6-11yrs", "12+yrs")
write_data(inf, "infert.csv")
contrasts(inf$education) <- contr.treatment(3, base = 3)
colnames(contrasts(inf$education)) <- levels(inf$education)[1:2]
f1 <- glm(case ~ education + age + parity + induced + spontaneous, binomial, inf, control = ctl)
inf_e <- inf
contrasts(inf_e$education) <- contr.sum(3)
colnames(contrasts(inf_e$education)) <- levels(inf$education)[1:2]
f1e <- glm(case ~ education + age + parity + induced + spontaneous, binomial, inf_e, control = ctl)
# Score (Rao) tests of adding each effect to case ~ age + parity.
base <- glm(case ~ age + parity, binomial, inf, control = ctl)
a1 <- add1(base, ~ . + education + induced + spontaneous, test = "Rao")
score <- paste0("score:", rownames(a1)[-1], ",", fmt(a1$`Rao score`[-1]))
score_p <- paste0("score_p:", rownames(a1)[-1], ",", fmt(a1$`Pr(>Chi)`[-1]))
writeLines(c("key,value", ref_lines(f1, inf), ref_lines(f1e, inf_e, "effect_"), score, score_p), "infert_ref.csv")

# --- mtcars: am ~ hp + wt (numeric only, n = 32).
mt <- datasets::mtcars[, c("am", "hp", "wt")]
write_data(mt, "mtcars.csv")
f2 <- glm(am ~ hp + wt, binomial, mt, control = ctl)
writeLines(c("key,value", ref_lines(f2, mt)), "mtcars_ref.csv")

# --- synthetic, weighted, with every interaction kind (dmde: "x1 x2 c1 c2 x1*x2 c1*x1 c1*c2").
set.seed(20240611)
n <- 600
syn <- data.frame(x1 = rnorm(n), x2 = rnorm(n), c1 = factor(sample(c("a", "b", "c"), n, TRUE)),
                  c2 = factor(sample(c("p", "q", "r", "s"), n, TRUE)))
eta <- -0.3 + 0.8 * syn$x1 - 0.5 * syn$x2 + c(0.4, -0.2, 0)[syn$c1] + c(0.3, 0, -0.4, 0.2)[syn$c2] +
  0.3 * syn$x1 * syn$x2 + c(0.5, 0, 0)[syn$c1] * syn$x1
syn$y <- rbinom(n, 1, plogis(eta))
syn$w <- round(runif(n, 0.5, 3), 3)
write_data(syn, "synthetic.csv")
syn_r <- syn
contrasts(syn_r$c1) <- contr.treatment(3, base = 3); colnames(contrasts(syn_r$c1)) <- c("a", "b")
contrasts(syn_r$c2) <- contr.treatment(4, base = 4); colnames(contrasts(syn_r$c2)) <- c("p", "q", "r")
syn_r$wn <- syn$w * n / sum(syn$w)  # normalized weights (SAS WEIGHT / NORMALIZE)
f3 <- suppressWarnings(glm(y ~ x1 + x2 + c1 + c2 + x1:x2 + c1:x1 + c1:c2, binomial, syn_r, weights = wn,
                           control = ctl))
# -2logL with non-integer weights: -2 sum w log L (the deviance, since the saturated term is 0).
writeLines(c("key,value", ref_lines(f3, syn_r)), "synthetic_ref.csv")

# --- SAS-rule stepwise on the synthetic table (normalized weights), candidates
# x1 x2 c1 c2 z1 z2 z3 (z* pure noise, z3 correlated with x1), SLENTRY = SLSTAY = 0.05:
# enter the smallest score p (add1 Rao), then remove the largest Wald p above SLSTAY.
set.seed(7)
syn_r$z1 <- rnorm(n); syn_r$z2 <- rnorm(n); syn_r$z3 <- syn$x1 + rnorm(n, sd = 0.5)
write_data(cbind(syn, syn_r[, c("z1", "z2", "z3")]), "stepwise.csv")
sas_stepwise <- function(d, cands, sle = 0.05, sls = 0.05) {
  inm <- character(0); seen <- list(inm); path <- character(0)
  fitm <- function(t) suppressWarnings(glm(reformulate(c("1", t), "y"), binomial, d, weights = wn, control = ctl))
  repeat {
    fit <- fitm(inm)
    if (length(inm)) {  # removal: largest Wald p above SLSTAY
      asg <- attr(model.matrix(fit), "assign"); tl <- attr(terms(fit), "term.labels")
      pw <- sapply(seq_along(tl), function(k) {
        j <- which(asg == k); b <- coef(fit)[j]
        pchisq(drop(t(b) %*% solve(vcov(fit)[j, j, drop = FALSE], b)), length(j), lower.tail = FALSE)
      })
      k <- which.max(pw)
      if (pw[k] > sls) {
        nxt <- setdiff(inm, tl[k])
        if (any(sapply(seen, function(s) setequal(s, nxt)))) break
        inm <- nxt; seen <- c(seen, list(inm)); path <- c(path, paste0("-", tl[k])); next
      }
    }
    out <- setdiff(cands, inm)
    if (!length(out)) break
    a <- add1(fit, reformulate(c(".", out)), test = "Rao")[-1, ]
    k <- order(a$`Pr(>Chi)`, -a$`Rao score`)[1]
    if (a$`Pr(>Chi)`[k] >= sle) break
    nxt <- c(inm, rownames(a)[k])
    if (any(sapply(seen, function(s) setequal(s, nxt)))) break
    inm <- nxt; seen <- c(seen, list(inm)); path <- c(path, paste0("+", rownames(a)[k]))
  }
  path
}
path <- sas_stepwise(syn_r, c("x1", "x2", "c1", "c2", "z1", "z2", "z3"))
writeLines(c("step", path), "stepwise_path.csv")
print(path)

# --- backward elimination on the same candidates: remove the largest Wald p above SLSTAY.
sas_backward <- function(d, cands, sls = 0.05) {
  inm <- cands; path <- character(0)
  repeat {
    fit <- suppressWarnings(glm(reformulate(c("1", inm), "y"), binomial, d, weights = wn, control = ctl))
    asg <- attr(model.matrix(fit), "assign"); tl <- attr(terms(fit), "term.labels")
    pw <- sapply(seq_along(tl), function(k) {
      j <- which(asg == k); b <- coef(fit)[j]
      pchisq(drop(t(b) %*% solve(vcov(fit)[j, j, drop = FALSE], b)), length(j), lower.tail = FALSE)
    })
    k <- which.max(pw)
    if (pw[k] <= sls) break
    inm <- setdiff(inm, tl[k]); path <- c(path, paste0("-", tl[k]))
  }
  path
}
bpath <- sas_backward(syn_r, c("x1", "x2", "c1", "c2", "z1", "z2", "z3"))
writeLines(c("step", bpath), "backward_path.csv")
print(bpath)

# --- a path with a removal: a = b + c + noise enters first, then b and c make it redundant.
set.seed(2)
m <- 3000
rem <- data.frame(b = rnorm(m), c = rnorm(m))
rem$a <- rem$b + rem$c + rnorm(m, sd = 0.3)
rem$y <- rbinom(m, 1, plogis(1.0 * rem$b + 0.4 * rem$c))
rem$w <- 1
write_data(rem, "removal.csv")
rem$wn <- 1
rpath <- sas_stepwise(rem, c("a", "b", "c"))
writeLines(c("step", rpath), "removal_path.csv")
print(rpath)
