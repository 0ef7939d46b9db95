# Reference weights for desist's IPW trimming (tests/unit/evaluation/test_weighting_r.py).
#   apt-get install -y r-base-core      (Debian bookworm: R 4.2.2; no package beyond base R's stats)
#   cd tests/reference && Rscript make_weighting_reference.R       (needs lalonde.csv and sim.csv from here)
# Writes weighting_lalonde.csv and weighting_sim.csv: the propensity score from glm(), the untrimmed ATE and ATT
# weights and the weights after each trimming rule desist offers. R is needed only to regenerate these files.
#
# WeightIt is not in Debian, so trim_weightit() below restates the rule of WeightIt's trim() (WeightIt 1.x,
# R/trim.R, internal .trim_weights(); github.com/ngreifer/WeightIt), written from its documentation and code:
#  * at < 1: at <- max(at, 1 - at); the cap is quantile(w, at, type = 3) over the weights to be trimmed --
#    all units pooled for the ATE, the non-focal group (controls) for the ATT, whose treated weights are all 1;
#    weights above it are set to it; with lower = TRUE weights below quantile(w, 1 - at, type = 3) are raised.
#  * at >= 1: the number of weights to trim; at <- min(at, n - at); the cap is the (n - at)-th smallest weight
#    (with lower = TRUE the floor is the (at + 1)-th smallest).
trim_weightit <- function(w, treat, at, estimand, lower = FALSE) {
  trimmed <- if (estimand == "ATT") treat == 0 else rep(TRUE, length(w))
  x <- w[trimmed]
  if (at < 1) {
    at <- max(at, 1 - at)
    q <- quantile(x, probs = c(1 - at, at), type = 3, names = FALSE)
  } else {
    n <- length(x)
    at <- as.integer(min(at, n - at))
    s <- sort(x)
    q <- c(s[at + 1L], s[n - at])
  }
  if (lower) x[x < q[1]] <- q[1]
  x[x > q[2]] <- q[2]
  w[trimmed] <- x
  w
}
# desist's earlier rule, kept as trim_rule = "group": R's default (type 7) quantile within each treatment group
# (controls only for the ATT)
trim_group <- function(w, treat, at, estimand) {
  for (g in if (estimand == "ATT") 0 else c(1, 0)) {
    sel <- treat == g
    w[sel] <- pmin(w[sel], quantile(w[sel], at, type = 7, names = FALSE))
  }
  w
}
ipw <- function(ps, treat, estimand) {
  if (estimand == "ATE") ifelse(treat == 1, 1 / ps, 1 / (1 - ps)) else ifelse(treat == 1, 1, ps / (1 - ps))
}
make <- function(data, formula, file, keep = NULL) {
  ps <- fitted(glm(formula, data = data, family = binomial))
  tr <- data$treat
  out <- data.frame(row = seq_len(nrow(data)), ps = ps)
  for (est in c("ATE", "ATT")) {
    w <- ipw(ps, tr, est)
    out[[paste0(est, "_none")]] <- w
    for (at in c(0.99, 0.95, 0.9, 0.8)) out[[sprintf("%s_weightit_%g", est, at)]] <- trim_weightit(w, tr, at, est)
    out[[sprintf("%s_weightit_%g_lower", est, 0.9)]] <- trim_weightit(w, tr, 0.9, est, lower = TRUE)
    for (k in c(1, 5, 20)) out[[sprintf("%s_weightit_%d", est, k)]] <- trim_weightit(w, tr, k, est)
    out[[sprintf("%s_weightit_%d_lower", est, 5)]] <- trim_weightit(w, tr, 5, est, lower = TRUE)
    for (at in c(0.99, 0.9)) out[[sprintf("%s_group_%g", est, at)]] <- trim_group(w, tr, at, est)
  }
  if (!is.null(keep)) out <- out[, c("row", "ps", keep)]
  out[] <- lapply(out, function(v) if (is.double(v)) sprintf("%.15g", v) else v)
  write.csv(out, file, row.names = FALSE, quote = FALSE)
  cat(file, ":", ncol(out) - 2, "weight columns\n")
}
lalonde <- read.csv("lalonde.csv")
make(lalonde, treat ~ age + educ + race + married + nodegree + re74 + re75, "weighting_lalonde.csv")
sim <- read.csv("sim.csv")
make(sim, treat ~ age + priors + band + custody, "weighting_sim.csv",
     keep = c("ATE_none", "ATE_weightit_0.99", "ATE_weightit_0.9_lower", "ATE_weightit_20", "ATE_group_0.9",
              "ATT_none", "ATT_weightit_0.95", "ATT_weightit_0.9", "ATT_weightit_5_lower", "ATT_group_0.99"))
