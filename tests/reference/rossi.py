"""R's Cox fit on the Rossi recidivism data: the reference for the library and the CLI survival tests."""

ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
#: R survival: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi) (Efron)
R_EFRON = {
    "fin": -0.379,
    "age": -0.0574,
    "race": 0.3139,
    "wexp": -0.1498,
    "mar": -0.4337,
    "paro": -0.0849,
    "prio": 0.0915,
}
