"""The binomial upper tail ``P(X > k)``, X ~ Binomial(n, p): scipy's ``bdtrc``, in plain Python.

Rosenbaum's bound for a binary outcome (:func:`desist.evaluation.sensitivity.rosenbaum_binary`) needs only
this tail, on the default path of every ``desist evaluate``. Importing ``scipy.special`` for it costs
0.2-0.6 s (it loads scipy's array-API layer, ``numpy.testing``, ``unittest`` and ``numpy.f2py``), more than
R takes to load MatchIt and match a thousand people. The tail is the regularised incomplete beta function
``I_p(k + 1, n - k)``, and scipy computes it with Cephes' ``incbet`` (a power series or one of two continued
fractions); that algorithm is transcribed here step for step, with Python's ``math.gamma``/``lgamma`` for
Cephes' gamma functions, so the values agree with scipy's to the last digit or two
(tests/unit/evaluation/test_sensitivity.py compares them over a grid).
"""

from __future__ import annotations

import math

_MACHEP = 1.11022302462515654042e-16  # 2**-53
_MAXLOG = 7.09782712893383996843e2  # log(DBL_MAX)
_MINLOG = -7.08396418532264106224e2  # log(2**-1022)
_MAXGAM = 171.624376956302725
_BIG = 4.503599627370496e15
_BIGINV = 2.22044604925031308085e-16


def binomial_sf(k: int, n: int, p: float) -> float:
    """``P(X > k)`` for X ~ Binomial(n, p), as scipy's ``bdtrc(k, n, p)`` (Cephes' ``bdtrc``)."""
    if math.isnan(p) or not 0.0 <= p <= 1.0 or n < k:
        return math.nan
    if k < 0:
        return 1.0
    if k == n:
        return 0.0
    dn = float(n - k)
    if k == 0:
        return -math.expm1(dn * math.log1p(-p)) if p < 0.01 else 1.0 - math.pow(1.0 - p, dn)
    return incomplete_beta(float(k + 1), dn, p)


def _beta(a: float, b: float) -> float:
    """Cephes' ``beta`` for arguments whose gamma functions are finite."""
    y, ga, gb = math.gamma(a + b), math.gamma(a), math.gamma(b)
    if abs(abs(ga) - abs(y)) > abs(abs(gb) - abs(y)):
        return gb / y * ga
    return ga / y * gb


def _lbeta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def incomplete_beta(aa: float, bb: float, xx: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)`` (a, b > 0), Cephes' ``incbet``."""
    if aa <= 0.0 or bb <= 0.0 or not 0.0 <= xx <= 1.0:
        return math.nan
    if xx == 0.0:
        return 0.0
    if xx == 1.0:
        return 1.0
    if bb * xx <= 1.0 and xx <= 0.95:
        return _pseries(aa, bb, xx)
    w = 1.0 - xx
    flip = xx > aa / (aa + bb)  # beyond the mean: I_x(a, b) = 1 - I_(1-x)(b, a)
    a, b, xc, x = (bb, aa, xx, w) if flip else (aa, bb, w, xx)
    if flip and b * x <= 1.0 and x <= 0.95:
        t = _pseries(a, b, x)
    else:
        y = x * (a + b - 2.0) - (a - 1.0)
        w = _incbcf(a, b, x) if y < 0.0 else _incbd(a, b, x) / xc
        y = a * math.log(x)
        t = b * math.log(xc)
        if a + b < _MAXGAM and abs(y) < _MAXLOG and abs(t) < _MAXLOG:
            t = math.pow(xc, b)
            t *= math.pow(x, a)
            t /= a
            t *= w
            t *= 1.0 / _beta(a, b)
        else:
            y += t - _lbeta(a, b)
            y += math.log(w / a)
            t = 0.0 if y < _MINLOG else math.exp(y)
    if flip:
        t = 1.0 - _MACHEP if t <= _MACHEP else 1.0 - t
    return t


def _pseries(a: float, b: float, x: float) -> float:
    """Power series, for b * x small and x not near 1."""
    ai = 1.0 / a
    u = (1.0 - b) * x
    v = u / (a + 1.0)
    t1 = v
    t = u
    n = 2.0
    s = 0.0
    z = _MACHEP * ai
    while abs(v) > z:
        u = (n - b) * x / n
        t *= u
        v = t / (a + n)
        s += v
        n += 1.0
    s += t1
    s += ai
    u = a * math.log(x)
    if a + b < _MAXGAM and abs(u) < _MAXLOG:
        return s * (1.0 / _beta(a, b)) * math.pow(x, a)
    t = -_lbeta(a, b) + u + math.log(s)
    return 0.0 if t < _MINLOG else math.exp(t)


def _continued_fraction(x: float, k: list[float], step: tuple[float, ...]) -> float:
    """Cephes' continued fractions ``incbcf`` and ``incbd``: the same recurrence, different coefficients.

    ``k`` holds k1..k8 (updated in place by ``step`` after each term pair).
    """
    pkm2, qkm2, pkm1, qkm1 = 0.0, 1.0, 1.0, 1.0
    ans, r = 1.0, 1.0
    thresh = 3.0 * _MACHEP
    for _ in range(300):
        k1, k2, k3, k4, k5, k6, k7, k8 = k
        xk = -(x * k1 * k2) / (k3 * k4)
        pk = pkm1 + pkm2 * xk
        qk = qkm1 + qkm2 * xk
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        xk = (x * k5 * k6) / (k7 * k8)
        pk = pkm1 + pkm2 * xk
        qk = qkm1 + qkm2 * xk
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if qk != 0:
            r = pk / qk
        if r != 0:
            t = abs((ans - r) / r)
            ans = r
        else:
            t = 1.0
        if t < thresh:
            break
        for i in range(8):
            k[i] += step[i]
        if abs(qk) + abs(pk) > _BIG:
            pkm2, pkm1, qkm2, qkm1 = pkm2 * _BIGINV, pkm1 * _BIGINV, qkm2 * _BIGINV, qkm1 * _BIGINV
        if abs(qk) < _BIGINV or abs(pk) < _BIGINV:
            pkm2, pkm1, qkm2, qkm1 = pkm2 * _BIG, pkm1 * _BIG, qkm2 * _BIG, qkm1 * _BIG
    return ans


def _incbcf(a: float, b: float, x: float) -> float:
    """Continued fraction expansion #1."""
    k = [a, a + b, a, a + 1.0, 1.0, b - 1.0, a + 1.0, a + 2.0]
    return _continued_fraction(x, k, (1.0, 1.0, 2.0, 2.0, 1.0, -1.0, 2.0, 2.0))


def _incbd(a: float, b: float, x: float) -> float:
    """Continued fraction expansion #2 (in z = x / (1 - x))."""
    k = [a, b - 1.0, a, a + 1.0, 1.0, a + b, a + 1.0, a + 2.0]
    return _continued_fraction(x / (1.0 - x), k, (1.0, -1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0))
