# Reference p-values for desist's Rosenbaum Wilcoxon signed-rank bound (tests/unit/evaluation/test_sensitivity_r.py).
#   Needs rbounds 2.2 (CRAN; it depends on Matching, Debian's r-cran-matching) and coin (r-cran-coin).
#   cd tests/reference && R_LIBS=<library with rbounds> Rscript make_sensitivity_reference.R
# Writes sensitivity_pairs.csv (the paired differences) and sensitivity_wilcoxon.csv (upper-bound p-values by
# Gamma for each treatment of zero differences). R is needed only to regenerate these files.
#
# rbounds' psens() (R/psens.R of rbounds 2.2, 2022, unchanged since 0.7, 2011) drops zero differences before
# ranking: diff <- diff[diff != 0]; ranks <- rank(abs(diff)); T = sum of the positive differences' ranks;
# E = p+ sum(ranks), V = p+ (1 - p+) sum(ranks^2), p+ = Gamma / (1 + Gamma); upper p = 1 - pnorm((T - E)/sqrt(V)),
# printed rounded to 4 digits. rbounds 0.1-0.3 (2008-2009) ranked the zeros with the others and kept their ranks
# in E and V (they can never count in T). Pratt (1959) ranks the zeros with the others and then leaves their
# ranks out of T, E and V. wilcoxon_bound() restates the three rules (unrounded); the script checks "drop"
# against psens() itself and "pratt" at Gamma = 1 against coin's wilcoxsign_test(zero.method = "Pratt").
suppressPackageStartupMessages({library(rbounds); library(coin)})
stopifnot(packageVersion("rbounds") >= "2.2")

wilcoxon_bound <- function(d, gamma, zeros = c("drop", "pratt", "keep")) {
  zeros <- match.arg(zeros)
  if (zeros == "drop") d <- d[d != 0]
  r <- rank(abs(d), ties.method = "average")
  if (zeros == "pratt") { r <- r[d != 0]; d <- d[d != 0] }
  p <- gamma / (1 + gamma)
  T <- sum(r[d > 0])
  c(upper = 1 - pnorm((T - p * sum(r)) / sqrt(p * (1 - p) * sum(r^2))),
    lower = 1 - pnorm((T - (1 - p) * sum(r)) / sqrt(p * (1 - p) * sum(r^2))))
}

# 1. lalonde: re78 differences in MatchIt's 1:1 nearest-neighbour pairs (many men earned nothing: zeros, ties)
lalonde <- read.csv("lalonde.csv")
mm <- read.csv("lalonde_nn1_mm.csv")
d_lal <- lalonde$re78[mm$treated] - lalonde$re78[mm$m1]
# 2. simulated counts of reconvictions in 400 pairs: most differences 0 or +-1
set.seed(8404)
d_sim <- rpois(400, 0.45) - rpois(400, 0.6)
# 3. a small hand-made set where every rule gives a different answer
d_small <- c(3, 0, 0, 2, -1, 5, 0, 4, 4, -2, 1, 0, 6)
pairs <- rbind(data.frame(data = "lalonde", diff = d_lal), data.frame(data = "sim", diff = d_sim),
               data.frame(data = "small", diff = d_small))
write.csv(pairs, "sensitivity_pairs.csv", row.names = FALSE)

gammas <- seq(1, 3, by = 0.25)
rows <- list()
for (nm in unique(pairs$data)) {
  d <- pairs$diff[pairs$data == nm]
  ps <- suppressMessages(psens(d, rep(0, length(d)), Gamma = 3, GammaInc = 0.25))$bounds
  for (z in c("drop", "pratt", "keep")) {
    b <- t(sapply(gammas, function(g) wilcoxon_bound(d, g, z)))
    if (z == "drop") stopifnot(all(abs(round(b[, "upper"], 4) - ps[["Upper bound"]]) < 1e-12),
                               all(abs(round(b[, "lower"], 4) - ps[["Lower bound"]]) < 1e-12))
    rows[[length(rows) + 1]] <- data.frame(data = nm, zeros = z, gamma = gammas, p_upper = b[, "upper"],
                                           p_lower = b[, "lower"],
                                           psens_upper = if (z == "drop") ps[["Upper bound"]] else NA)
  }
  pratt <- wilcoxsign_test(d ~ rep(0, length(d)), zero.method = "Pratt", alternative = "greater")
  stopifnot(abs(pvalue(pratt) - wilcoxon_bound(d, 1, "pratt")[["upper"]]) < 1e-12)
  wilcox <- wilcoxsign_test(d ~ rep(0, length(d)), zero.method = "Wilcoxon", alternative = "greater")
  stopifnot(abs(pvalue(wilcox) - wilcoxon_bound(d, 1, "drop")[["upper"]]) < 1e-12)
  cat(nm, ": pairs", length(d), "zeros", sum(d == 0), "\n")
}
out <- do.call(rbind, rows)
out[] <- lapply(out, function(v) if (is.double(v)) sprintf("%.15g", v) else v)
write.csv(out, "sensitivity_wilcoxon.csv", row.names = FALSE, quote = FALSE, na = "")
