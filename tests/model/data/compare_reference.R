# Reference values for tests/model/compare_test.cpp and targets_test.cpp literals.
# Run: Rscript compare_reference.R
# Two proportions: prop.test without continuity correction (pooled z test; X-squared = z^2)
# and the unpooled Wald interval written out.
pt <- prop.test(c(184, 430), c(306, 764), correct = FALSE)
pa <- 184 / 306; pb <- 430 / 764; se <- sqrt(pa * (1 - pa) / 306 + pb * (1 - pb) / 764)
cat(sprintf("prop: diff=%.15g z=%.15g p=%.15g lower=%.15g upper=%.15g\n", pa - pb,
            sign(pa - pb) * sqrt(pt$statistic), pt$p.value, pa - pb - qnorm(0.975) * se, pa - pb + qnorm(0.975) * se))
a <- c(1200, 800, 2500, 0, 0, 3100, 450, 0, 980, 1710)
b <- c(300, 0, 0, 1250, 700, 0, 90, 400)
tt <- t.test(a, b, var.equal = FALSE)
cat(sprintf("welch: ma=%.15g va=%.15g mb=%.15g vb=%.15g t=%.15g df=%.15g p=%.15g lower=%.15g upper=%.15g\n",
            mean(a), var(a), mean(b), var(b), tt$statistic, tt$parameter, tt$p.value, tt$conf.int[1], tt$conf.int[2]))
