# Reference values from R's survival package for desist's Cox model tests (tests/unit/evaluation/test_cox_r.py).
#   apt-get install -y r-base-core r-cran-survival r-cran-jsonlite   (Debian bookworm: R 4.2.2, survival 3.5-3)
#   cd tests/reference && Rscript make_survival_reference.R
# Writes survival/<name>.csv (the data exactly as fitted) and survival/cox_reference.json (one entry per fit:
# coefficients, model-based and robust/clustered variance, Harrell's concordance with its counts).
# R is needed only to regenerate these files, never at test time.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
stopifnot(packageVersion("survival") >= "3.5")
tight <- coxph.control(eps = 1e-14, iter.max = 200, toler.chol = 1e-15)

# --- data sets the other tests do not use -------------------------------------------------------------------
# pbc: the Mayo trial participants (first 312 rows; complete for these columns), death as the event
pbc312 <- pbc[1:312, ]
pbc312 <- data.frame(time = pbc312$time, event = as.integer(pbc312$status == 2), age = pbc312$age,
                     sex = as.character(pbc312$sex),
                     edema = c("none", "untreated", "treated")[match(pbc312$edema, c(0, 0.5, 1))],
                     logbili = log(pbc312$bili), albumin = pbc312$albumin, stage = pbc312$stage,
                     trt = as.integer(pbc312$trt == 1))
set.seed(8401)
pbc312$w <- round(runif(nrow(pbc312), 0.5, 2.5), 3)
# cgd: gap times between recurrent infections (tstop - tstart), several rows per child: clustered on id
# (inherit in lower case: R orders "autosomal" before "X-linked" by locale, pandas by code point)
cgdgap <- data.frame(id = cgd$id, time = cgd$tstop - cgd$tstart, event = cgd$status,
                     treat = as.character(cgd$treat), sex = as.character(cgd$sex), age = cgd$age,
                     inherit = tolower(cgd$inherit), steroids = cgd$steroids,
                     hos = as.character(cgd$hos.cat))
# mgus2: survival in months (heavily tied), complete cases
mg <- mgus2[complete.cases(mgus2[, c("age", "sex", "hgb", "creat", "mspike")]), ]
mgus <- data.frame(time = mg$futime, event = mg$death, age = mg$age, sex = as.character(mg$sex),
                   hgb = mg$hgb, creat = mg$creat, mspike = mg$mspike)
set.seed(8402)
mgus$w <- round(rgamma(nrow(mgus), 4, 4), 4)
# simulated matched pairs: factor covariates, integer (tied) times, pair frailty, non-integer weights
set.seed(8403)
np <- 700
pair <- rep(seq_len(np), each = 2)
sim <- data.frame(pair = sample(np)[pair], treated = rep(c(1L, 0L), np),
                  band = sample(c("low", "medium", "high", "very high"), 2 * np, TRUE, c(.3, .3, .25, .15)),
                  setting = sample(c("custody", "community", "hospital"), 2 * np, TRUE, c(.5, .4, .1)),
                  age = round(rnorm(2 * np, 38, 10)))
lp <- -0.25 * sim$treated + c(low = 0, medium = .3, high = .7, "very high" = 1.1)[sim$band] +
  0.2 * (sim$setting == "community") + 0.01 * (sim$age - 38) + rnorm(np, 0, .6)[pair]
t_event <- rexp(2 * np, exp(lp) / 40)
cens <- runif(2 * np, 10, 90)
sim$time <- ceiling(pmin(t_event, cens) / 3)       # about 30 distinct times: many ties
sim$event <- as.integer(t_event <= cens)
sim$w <- round(runif(2 * np, 0.2, 3), 3)
sim <- sim[sample(nrow(sim)), ]                     # ties in arbitrary row order
rownames(sim) <- NULL

datasets <- list(pbc = pbc312, cgd = cgdgap, mgus2 = mgus, simpairs = sim)
for (nm in names(datasets)) write.csv(datasets[[nm]], file.path("survival", paste0(nm, ".csv")), row.names = FALSE)

# --- fits --------------------------------------------------------------------------------------------------
conc_bruteforce <- function(time, event, lp, w) {
  # R's rule, spelled out: a pair is comparable when the shorter time is an event (a censored time tied with an
  # event time counts as longer); pairs weigh w_i * w_j; concordant = higher risk score fails first
  conc <- disc <- tie <- 0
  for (i in which(event == 1)) {
    j <- time > time[i] | (time == time[i] & event == 0)
    conc <- conc + w[i] * sum(w[j] * (lp[i] > lp[j]))
    disc <- disc + w[i] * sum(w[j] * (lp[i] < lp[j]))
    tie <- tie + w[i] * sum(w[j] * (lp[i] == lp[j]))
  }
  c(concordant = conc, discordant = disc, tied.x = tie)
}
out <- list()
fit_one <- function(name, formula, data, ties = "efron", robust = FALSE, weights = NULL, cluster = NULL) {
  # weights and cluster are column names, passed as vectors (coxph evaluates them in the data otherwise)
  robust <- robust || !is.null(cluster)  # coxph ignores a cluster without robust = TRUE
  args <- list(formula, data = data, ties = ties, robust = robust)
  if (!is.null(weights)) args$weights <- data[[weights]]
  if (!is.null(cluster)) args$cluster <- data[[cluster]]
  fit <- do.call(coxph, c(args, list(control = tight)))
  default <- do.call(coxph, args)
  w <- if (is.null(fit$weights)) rep(1, nrow(data)) else fit$weights
  y <- fit$y
  bf <- conc_bruteforce(y[, 1], y[, 2], fit$linear.predictors, w)
  cc <- fit$concordance
  stopifnot(isTRUE(all.equal(unname(bf), unname(cc[c("concordant", "discordant", "tied.x")]))))
  out[[name]] <<- list(
    call = sprintf("coxph(%s, ties = \"%s\", robust = %s%s%s)", deparse(formula, width.cutoff = 500L), ties, robust,
                   if (is.null(weights)) "" else paste0(", weights = ", weights),
                   if (is.null(cluster)) "" else paste0(", cluster = ", cluster)),
    terms = names(coef(fit)),
    coef = unname(coef(fit)),
    coef_default_control = unname(coef(default)),
    loglik = fit$loglik[2],
    var = unname(fit$var),
    naive_var = if (is.null(fit$naive.var)) NULL else unname(fit$naive.var),
    concordance = unname(cc["concordance"]),
    concordance_counts = as.list(cc[c("concordant", "discordant", "tied.x", "tied.y", "tied.xy")]),
    n = fit$n, events = fit$nevent
  )
}
f_pbc <- Surv(time, event) ~ age + sex + edema + logbili + albumin + stage + trt
fit_one("pbc_efron", f_pbc, pbc312)
fit_one("pbc_breslow", f_pbc, pbc312, ties = "breslow")
fit_one("pbc_efron_robust", f_pbc, pbc312, robust = TRUE)
fit_one("pbc_efron_weighted_robust", f_pbc, pbc312, weights = "w", robust = TRUE)
f_cgd <- Surv(time, event) ~ treat + sex + age + inherit + steroids + hos
fit_one("cgd_efron", f_cgd, cgdgap)
fit_one("cgd_efron_cluster_id", f_cgd, cgdgap, cluster = "id")
f_mg <- Surv(time, event) ~ age + sex + hgb + creat + mspike
fit_one("mgus2_efron", f_mg, mgus)
fit_one("mgus2_breslow", f_mg, mgus, ties = "breslow")
fit_one("mgus2_efron_robust", f_mg, mgus, robust = TRUE)
fit_one("mgus2_efron_weighted_robust", f_mg, mgus, weights = "w", robust = TRUE)
fit_one("mgus2_breslow_weighted_robust", f_mg, mgus, ties = "breslow", weights = "w", robust = TRUE)
f_sim <- Surv(time, event) ~ treated + band + setting + age
fit_one("simpairs_efron", f_sim, sim)
fit_one("simpairs_efron_robust", f_sim, sim, robust = TRUE)
fit_one("simpairs_efron_cluster_pair", f_sim, sim, cluster = "pair")
fit_one("simpairs_efron_weighted_cluster_pair", f_sim, sim, weights = "w", cluster = "pair")
# the marginal hazard ratio after matching, as desist's compare_survival fits it
fit_one("simpairs_treated_weighted_cluster_pair", Surv(time, event) ~ treated, sim, weights = "w", cluster = "pair")
fit_one("simpairs_treated_weighted_robust", Surv(time, event) ~ treated, sim, weights = "w", robust = TRUE)

write_json(out, file.path("survival", "cox_reference.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat(sprintf("%-40s n=%4d events=%4d C=%.4f\n", names(out), sapply(out, `[[`, "n"), sapply(out, `[[`, "events"),
            sapply(out, `[[`, "concordance")), sep = "")
