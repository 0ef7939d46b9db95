# Regenerate the MatchIt reference fixtures that tests/unit/evaluation/test_matching.py compares against.
#   Needs MatchIt 4.7.2 (CRAN or github.com/kosukeimai/MatchIt; Debian bookworm ships the older 4.5.1)
#   cd tests/reference && R_LIBS=<library with MatchIt 4.7.2> Rscript make_matchit_reference.R
# Writes, for every option set <name>: <name>_units.csv (row, distance, weights, subclass, discarded) and, for
# nearest-neighbour matching, <name>_mm.csv (treated row, matched control rows; 1-based, NA = none).
# R is needed only to regenerate these files, never at test time.
suppressPackageStartupMessages(library(MatchIt))
stopifnot(packageVersion("MatchIt") >= "4.7.2")

data("lalonde", package = "MatchIt")
lalonde$race <- as.character(lalonde$race)
write.csv(lalonde, "lalonde.csv", row.names = FALSE)

# Simulated data: a risk band for exact matching and a confounded treatment.
set.seed(20261129)
n <- 3000
sim <- data.frame(
  age = round(rnorm(n, 38, 11)),
  priors = rpois(n, 2),
  band = sample(c("low", "medium", "high", "very high"), n, replace = TRUE, prob = c(.35, .35, .2, .1)),
  custody = rbinom(n, 1, .6)
)
lp <- -2.2 + 0.03 * (sim$age - 38) + 0.25 * sim$priors + 0.6 * (sim$band == "high") +
  0.9 * (sim$band == "very high") - 0.3 * sim$custody
sim$treat <- rbinom(n, 1, plogis(lp))
write.csv(sim, "sim.csv", row.names = FALSE)

f_l <- treat ~ age + educ + race + married + nodegree + re74 + re75
f_s <- treat ~ age + priors + band + custody

save_fit <- function(name, m) {
  units <- data.frame(
    row = seq_along(m$treat),
    distance = if (is.null(m$distance)) NA else format(m$distance, digits = 17),
    weights = format(m$weights, digits = 17),
    subclass = if (is.null(m$subclass)) NA else as.integer(as.character(m$subclass)),
    discarded = as.integer(m$discarded)
  )
  write.csv(units, paste0(name, "_units.csv"), row.names = FALSE)
  if (!is.null(m$match.matrix)) {
    rn <- names(m$treat)
    mm <- matrix(match(m$match.matrix, rn), nrow = nrow(m$match.matrix))
    out <- data.frame(treated = match(rownames(m$match.matrix), rn), mm)
    names(out) <- c("treated", paste0("m", seq_len(ncol(mm))))
    write.csv(out, paste0(name, "_mm.csv"), row.names = FALSE, na = "")
  }
}

# v451raw_lalonde_caliper_*: kept as history. They were made by Debian's MatchIt 4.5.1 as shipped, whose
# vectorised matcher called C's integer abs() on double distances (MatchIt issue #163, fixed in 4.5.4): every
# difference below 1 counted as 0, so calipers on the propensity score were ignored. The call was
# matchit(f_l, data = lalonde, caliper = 0.1); this script no longer writes those two files.
fits <- list(
  lalonde_nn1 = quote(matchit(f_l, data = lalonde)),
  lalonde_nn2_replace = quote(matchit(f_l, data = lalonde, ratio = 2, replace = TRUE)),
  lalonde_caliper = quote(matchit(f_l, data = lalonde, caliper = 0.1)),
  lalonde_exact_race = quote(matchit(f_l, data = lalonde, exact = ~race)),
  lalonde_discard_both = quote(matchit(f_l, data = lalonde, discard = "both")),
  lalonde_nn3_smallest = quote(matchit(f_l, data = lalonde, ratio = 3, m.order = "smallest")),
  lalonde_logit_caliper_ratio2 = quote(matchit(f_l, data = lalonde, link = "linear.logit", ratio = 2,
                                               caliper = 0.2)),
  lalonde_data_order = quote(matchit(f_l, data = lalonde, m.order = "data")),
  lalonde_atc_caliper = quote(matchit(f_l, data = lalonde, estimand = "ATC", caliper = 0.25)),
  lalonde_mahalanobis = quote(matchit(f_l, data = lalonde, distance = "mahalanobis")),
  lalonde_subclass6_att = quote(matchit(f_l, data = lalonde, method = "subclass", subclass = 6)),
  lalonde_subclass6_ate = quote(matchit(f_l, data = lalonde, method = "subclass", subclass = 6,
                                        estimand = "ATE")),
  sim_nn1_caliper_exact = quote(matchit(f_s, data = sim, caliper = 0.05, exact = ~band)),
  sim_nn3_raw_caliper = quote(matchit(f_s, data = sim, ratio = 3, caliper = 0.02, std.caliper = FALSE)),
  sim_nn2_replace_caliper = quote(matchit(f_s, data = sim, ratio = 2, replace = TRUE, caliper = 0.1)),
  sim_subclass10_ate = quote(matchit(f_s, data = sim, method = "subclass", subclass = 10, estimand = "ATE")),
  # covariate calipers (MatchIt's named caliper entries) and per-caliper std.caliper
  lalonde_caliper_age5 = quote(matchit(f_l, data = lalonde, caliper = c(0.2, age = 5), std.caliper = c(TRUE, FALSE))),
  lalonde_caliper_std_covs = quote(matchit(f_l, data = lalonde, caliper = c(0.25, age = 0.5, educ = 0.5))),
  lalonde_caliper_covs_only = quote(matchit(f_l, data = lalonde, caliper = c(age = 3, educ = 1),
                                            std.caliper = FALSE)),
  lalonde_nn2_caliper_re74 = quote(matchit(f_l, data = lalonde, ratio = 2, caliper = c(0.3, re74 = 0.4))),
  lalonde_nn2_replace_caliper_age = quote(matchit(f_l, data = lalonde, ratio = 2, replace = TRUE,
                                                  caliper = c(age = 4), std.caliper = FALSE)),
  sim_nn1_caliper_age_exact = quote(matchit(f_s, data = sim, caliper = c(0.1, age = 5), std.caliper = c(TRUE, FALSE),
                                            exact = ~band)),
  # ties: sim's covariates are discrete, so many units share a propensity score
  sim_nn1 = quote(matchit(f_s, data = sim)),
  sim_nn2 = quote(matchit(f_s, data = sim, ratio = 2)),
  sim_nn3_replace = quote(matchit(f_s, data = sim, ratio = 3, replace = TRUE)),
  sim_nn1_replace_data = quote(matchit(f_s, data = sim, replace = TRUE)),
  sim_nn2_smallest_exact = quote(matchit(f_s, data = sim, ratio = 2, m.order = "smallest", exact = ~custody)),
  sim_nn1_atc = quote(matchit(f_s, data = sim, estimand = "ATC"))
)
for (name in names(fits)) {
  m <- suppressWarnings(eval(fits[[name]]))
  stopifnot(packageVersion("MatchIt") >= "4.7.2")
  save_fit(name, m)
  cat(name, ": matched treated", sum(m$weights[m$treat == 1] > 0), "controls", sum(m$weights[m$treat == 0] > 0), "\n")
}
# glm coefficients, to check the propensity model itself
co <- coef(glm(f_l, data = lalonde, family = binomial))
write.csv(data.frame(term = names(co), estimate = format(co, digits = 17)), "lalonde_glm_coef.csv", row.names = FALSE)
# VERSIONS.txt lists the R and package versions behind every fixture script here

# Balance as MatchIt's summary reports it (un-matched and matched), for balance_table's checks.
bal_fixture <- function(name, m) {
  s <- summary(m, un = TRUE)
  if (is.null(s$sum.matched)) s$sum.matched <- s$sum.across
  keep <- c("Means Treated", "Means Control", "Std. Mean Diff.", "Var. Ratio", "eCDF Max")
  out <- rbind(data.frame(sample = "before", term = rownames(s$sum.all), s$sum.all[, keep], check.names = FALSE),
               data.frame(sample = "after", term = rownames(s$sum.matched), s$sum.matched[, keep],
                          check.names = FALSE))
  write.csv(out, paste0(name, "_balance.csv"), row.names = FALSE)
}
bal_fixture("lalonde_nn1", matchit(f_l, data = lalonde))
bal_fixture("lalonde_subclass6_ate", matchit(f_l, data = lalonde, method = "subclass", subclass = 6, estimand = "ATE"))
