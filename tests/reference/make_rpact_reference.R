# Reference boundaries for desist.monitoring.GroupSequentialDesign, from rpact's getDesignGroupSequential.
# Run from the repository root:  Rscript tests/reference/make_rpact_reference.R
# Writes tests/reference/rpact_boundaries.json (read by tests/unit/monitoring/test_group_sequential.py).
# rpact 3.3.4 (Debian r-cran-rpact) refuses kMax > 20 in getDesignGroupSequential; for the 40-look cases we
# call the same C++ routine that getDesignGroupSequential calls (rpact:::getDesignGroupSequentialAlphaSpendingCpp)
# with rpact's own defaults (futility bounds -6, tolerance 1e-8), and check it against the public function at 20 looks.
suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})

type_of <- c(obf = "asOF", pocock = "asP", hsd = "asHSD")

spend <- function(spending, alpha, sided, t, gamma) {
  # Lan-DeMets spending functions as rpact defines them (used only for the 40-look alpha spent).
  rpact:::getSpendingValueCpp(alpha, t, sided, type_of[[spending]], if (is.na(gamma)) NA_real_ else gamma)
}

make_case <- function(name, alpha, sided, spending, fractions, gamma = NA) {
  k <- length(fractions)
  if (k <= 20) {
    args <- list(kMax = k, alpha = alpha, sided = sided, typeOfDesign = type_of[[spending]],
                 informationRates = fractions)
    if (!is.na(gamma)) args$gammaA <- gamma
    d <- suppressWarnings(do.call(getDesignGroupSequential, args))  # "kMax > 10 is not validated"
    z <- d$criticalValues
    spent <- d$alphaSpent
    via <- "getDesignGroupSequential"
  } else {
    z <- rpact:::getDesignGroupSequentialAlphaSpendingCpp(
      k, alpha, if (is.na(gamma)) NA_real_ else gamma, type_of[[spending]], sided, fractions,
      FALSE, rep(-6, k - 1), 1e-8)
    z[z > 7.5] <- Inf  # what getDesignGroupSequential does with a look that spends (almost) nothing
    spent <- sapply(fractions, function(t) spend(spending, alpha, sided, t, gamma))
    via <- "getDesignGroupSequentialAlphaSpendingCpp"
  }
  # JSON has no infinity: a look that spends no alpha (rpact: Inf) is written as null.
  list(name = name, alpha = alpha, sided = sided, spending = spending,
       gamma = gamma, fractions = I(fractions),
       z = I(ifelse(is.finite(z), z, NA_real_)), alpha_spent = I(spent), via = via)
}

irregular6 <- c(0.1, 0.15, 0.4, 0.45, 0.9, 1)
irregular40 <- (1:40) / 40 - ifelse((1:40) %% 2 == 1, 0.008, 0)  # steps alternate 0.017 and 0.033
cases <- list(
  make_case("obf_2s_k1", 0.05, 2, "obf", 1),
  make_case("obf_2s_k4_irregular", 0.05, 2, "obf", c(0.2, 0.5, 0.7, 1)),
  make_case("obf_2s_k5", 0.05, 2, "obf", (1:5) / 5),
  make_case("obf_2s_k12", 0.05, 2, "obf", (1:12) / 12),
  make_case("obf_2s_k20", 0.05, 2, "obf", (1:20) / 20),
  make_case("obf_1s_k12", 0.025, 1, "obf", (1:12) / 12),
  make_case("obf_2s_irregular6", 0.05, 2, "obf", irregular6),
  make_case("pocock_2s_k5", 0.05, 2, "pocock", (1:5) / 5),
  make_case("pocock_1s_k12", 0.025, 1, "pocock", (1:12) / 12),
  make_case("pocock_2s_irregular6", 0.05, 2, "pocock", irregular6),
  make_case("hsd_m4_1s_k4_irregular", 0.025, 1, "hsd", c(0.2, 0.5, 0.7, 1), gamma = -4),
  make_case("hsd_m2_2s_k12", 0.05, 2, "hsd", (1:12) / 12, gamma = -2),
  make_case("hsd_1_2s_irregular6", 0.05, 2, "hsd", irregular6, gamma = 1),
  make_case("obf_2s_k40", 0.05, 2, "obf", (1:40) / 40),
  make_case("obf_2s_k40_irregular", 0.05, 2, "obf", irregular40),
  make_case("hsd_m4_1s_k40_irregular", 0.025, 1, "hsd", irregular40, gamma = -4),
  make_case("pocock_2s_k40", 0.05, 2, "pocock", (1:40) / 40),
  make_case("hsd_m4_2s_k40", 0.05, 2, "hsd", (1:40) / 40, gamma = -4)
)
cases <- Filter(length, cases)

# The internal routine must agree with the public one where both run (20 looks).
internal20 <- rpact:::getDesignGroupSequentialAlphaSpendingCpp(20, 0.05, NA_real_, "asOF", 2, (1:20) / 20,
                                                               FALSE, rep(-6, 19), 1e-8)
internal20[internal20 > 7.5] <- Inf
public20 <- suppressWarnings(getDesignGroupSequential(kMax = 20, alpha = 0.05, sided = 2,
                                                      typeOfDesign = "asOF"))$criticalValues
stopifnot(identical(is.finite(internal20), is.finite(public20)))
stopifnot(max(abs(internal20 - public20)[is.finite(public20)]) < 1e-10)

# Inflation of the fixed-sample information for 90% power (getDesignCharacteristics), equally spaced looks.
inflation <- function(spending, sided, alpha, k, gamma = NA) {
  args <- list(kMax = k, alpha = alpha, sided = sided, typeOfDesign = type_of[[spending]], beta = 0.1)
  if (!is.na(gamma)) args$gammaA <- gamma
  d <- suppressWarnings(do.call(getDesignGroupSequential, args))
  list(spending = spending, sided = sided, alpha = alpha, looks = k, gamma = gamma, power = 0.9,
       inflation = getDesignCharacteristics(d)$inflationFactor)
}
inflations <- list(inflation("obf", 2, 0.05, 12), inflation("pocock", 2, 0.05, 5),
                   inflation("obf", 1, 0.025, 4), inflation("hsd", 2, 0.05, 8, gamma = -4))

out <- list(
  inflations = inflations,
  generator = "tests/reference/make_rpact_reference.R",
  rpact_version = as.character(packageVersion("rpact")),
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  cases = cases
)
write_json(out, "tests/reference/rpact_boundaries.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", length(cases), "cases\n")
# Known limits of rpact 3.3.4 found while checking desist against it (tests/unit/monitoring/test_group_sequential.py):
# - looks that spend less than about 1e-6 of alpha (early O'Brien-Fleming looks) are not accurate: e.g. at 40 equal
#   looks its boundary at t = 0.125 (5.878) lies outside the bracket every valid boundary must satisfy
#   (increment <= P(|Z| >= c) <= increment + alpha spent before), [6.2320, 6.2329];
# - one-sided designs with closely spaced looks drift: for "hsd_m4_1s_k40_irregular" its boundaries give a type I
#   error of 0.0265 in 2,000,000 simulated paths (nominal 0.025), desist's 0.0250.
