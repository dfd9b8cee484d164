"""Churn risk (docs/segments/churn.md): user_churn_risk, bgnbd_parameters, bgnbd_fit.

- a hand-made log with planted answers for the rule-based bands (every threshold hit exactly
  and missed by one day, single-event users, non-buyers, an even number of gaps) and planted
  purchasers scored with the published CDNOW parameters given through the var bgnbd_params;
- the CDNOW summary (Fader, Hardie & Lee 2005; tests/fixtures/cdnow/) fitted by our fitter
  against the published estimates, and, turned into a daily event log, through dbt;
- the 3000-user demo build compared column by column with reference_churn.py.
"""

from __future__ import annotations

import importlib.util
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.integration import reference_churn as rc
from tests.integration.conftest import DbtBuild, run_dbt_build
from tests.integration.reference import frame_mismatches
from tests.integration.support import COLUMN_CHECKS

ROOT = Path(__file__).resolve().parents[2]
CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "cdnow_customers_summary.csv"
# only what churn risk needs (and its data tests), plus the clean events the reference reads:
# keeps the two builds here short
BUILD_COMMAND = ("build", "--select", "+user_churn_risk", "+stg_events", "--indirect-selection", "cautious",
                 "--exclude", "test_type:unit", *COLUMN_CHECKS)
AS_OF = date(2024, 6, 30)
# Fader, Hardie & Lee (2005), CDNOW, weekly periods: MLE and log-likelihood as published
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4
# the same in daily periods: lambda is per day, so alpha (a time scale) is 7 times larger
PUBLISHED_DAYS = {**PUBLISHED, "alpha": PUBLISHED["alpha"] * 7}
HORIZON_39_WEEKS = 273


def load_fitter():
    spec = importlib.util.spec_from_file_location("bgnbd_fit", ROOT / "models" / "marts" / "bgnbd_fit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_events(path: Path, rows: list[tuple]) -> None:
    pd.DataFrame(rows, columns=["user_id", "event_name", "event_ts", "revenue", "order_id"]).to_csv(path, index=False)


def at_age(age: int, hour: int = 12) -> str:
    return f"{AS_OF - timedelta(days=age)} {hour:02d}:00:00"


def params_of(build: DbtBuild) -> dict:
    row = build.table("bgnbd_parameters").iloc[0]
    return {k: row[k] for k in row.index}


# --------------------------------------------------------------------------- hand-made log

# user -> (ages of active days, expected band, expected typical gap)
BAND_USERS = {
    "churned_at_90": ([200, 90], "churned", None),
    "gap_89_medium": ([200, 150, 89], "medium", 55.5),            # 89 >= 1.5 * 55.5 = 83.25, < 3 * 55.5
    "single_event_old": ([30], "high", None),                     # default gap 7: 30 >= 21
    "single_event_new": ([13], "new", None),                      # first seen 13 days ago < 14
    "first_seen_14": ([14, 0], "low", None),                      # not new at exactly 14
    "gap_exact_high": ([24, 20, 16, 12], "high", 4.0),            # 12 >= 3 * 4
    "gap_below_high": ([23, 19, 15, 11], "medium", 4.0),          # 11 < 12, 11 >= max(6, 7)
    "daily_silent_6": (list(range(30, 5, -1)), "low", 1.0),       # 6 < 7 (min silence)
    "daily_silent_7": (list(range(31, 6, -1)), "high", 1.0),      # 7 >= max(3, 7)
    "decline_quarter_exact": (list(range(35, 27, -1)) + [5, 4], "medium", 1.0),  # 2 < 0.25 * 8 is false
    "decline_below_quarter": (list(range(36, 27, -1)) + [5, 4], "high", 1.0),    # 2 < 0.25 * 9
    "decline_half_exact": (list(range(31, 27, -1)) + [5, 4], "low", 1.0),        # 2 < 0.5 * 4 is false
    "median_of_even_gaps": ([50, 40, 38, 30, 23], "high", 7.5),   # gaps 10,2,8,7: 23 >= 3 * 7.5
    "one_gap_uses_default": ([40, 20], "medium", None),           # 1 gap < 2: gap 7 -> 20 >= 10.5
}

# purchasers: user -> ages of purchase days (x = days - 1, t_x = first - last age, T = first age)
BUYERS = {
    "buyer_once": [50],
    "buyer_cdnow_1": [272, 150, 59],            # x = 2, t_x = 213, T = 272 (CDNOW customer 1 in days)
    "buyer_t40": [40, 30, 20, 10],              # x = 3, t_x = 30, T = 40
    "buyer_t60": [60, 50, 40, 30],              # T = 60
    "buyer_t100": [100, 90, 80, 70],            # T = 100
    "buyer_t100_x1": [100, 70],                 # x = 1, t_x = 30, T = 100
}


@pytest.fixture(scope="module")
def band_case(tmp_path_factory) -> DbtBuild:
    work = tmp_path_factory.mktemp("churn_bands")
    rows = []
    for user, (ages, _, _) in BAND_USERS.items():
        for age in ages:
            rows.append((user, "page_view", at_age(age), None, None))
            if age == ages[-1]:  # a second event on the last day: events are not active days
                rows.append((user, "app_open", at_age(age, 18), None, None))
    for user, ages in BUYERS.items():
        for i, age in enumerate(ages):
            rows.append((user, "purchase", at_age(age), 10.0, f"{user}-{i}"))
        rows.append((user, "purchase", at_age(ages[-1], 20), 5.0, f"{user}-same-day"))
    rows.append(("anchor", "page_view", at_age(0), None, None))
    events = work / "events.csv"
    write_events(events, rows)
    return run_dbt_build(events, work, {
        "as_of": str(AS_OF),
        "bgnbd_params": PUBLISHED_DAYS,
        "bgnbd_horizon_days": HORIZON_39_WEEKS,
    }, command=BUILD_COMMAND)


@pytest.fixture(scope="module")
def band_table(band_case) -> pd.DataFrame:
    return band_case.table("user_churn_risk").set_index("user_id")


def test_planted_bands(band_table):
    wrong = {u: (band_table.loc[u, "churn_risk_band"], want) for u, (_, want, _) in BAND_USERS.items()
             if band_table.loc[u, "churn_risk_band"] != want}
    assert not wrong, wrong


def test_planted_typical_gaps(band_table):
    for user, (ages, _, gap) in BAND_USERS.items():
        got = band_table.loc[user, "typical_gap_days"]
        assert (pd.isna(got) and gap is None) or got == gap, (user, got, gap)
        assert band_table.loc[user, "gap_count"] == len(ages) - 1
        assert band_table.loc[user, "reference_gap_days"] == (7.0 if gap is None else gap)


def test_bands_match_reference_on_hand_made_log(band_case, band_table):
    ref = rc.churn_bands(band_case.table("fct_user_behavior"), band_case.table("stg_events"))
    assert frame_mismatches(band_table.reset_index(), ref, ["user_id"]) == []


def test_var_parameters_are_used_and_fit_is_not_built(band_case):
    params = params_of(band_case)
    assert params["method"] == "var"
    for k, v in PUBLISHED_DAYS.items():
        assert params[k] == pytest.approx(v, rel=1e-15)
    assert "bgnbd_fit" not in set(band_case.query(
        "select table_name from information_schema.tables")["table_name"])


def test_non_buyers_have_no_bgnbd_scores(band_table):
    non_buyers = band_table.loc[list(BAND_USERS)]
    assert non_buyers["p_alive"].isna().all()
    assert non_buyers["expected_purchases_next_n_days"].isna().all()
    assert non_buyers["btyd_frequency"].isna().all()


def test_planted_buyers_bgnbd_inputs_and_p_alive(band_table):
    # the extra same-day purchase is the same purchase day: x counts days, not orders
    for user, ages in BUYERS.items():
        row = band_table.loc[user]
        x, t_x, big_t = len(ages) - 1, ages[0] - ages[-1], ages[0]
        assert (row["btyd_frequency"], row["btyd_recency_days"], row["btyd_t_days"]) == (x, t_x, big_t)
        assert row["p_alive"] == pytest.approx(rc.p_alive(x, t_x, big_t, **PUBLISHED_DAYS), rel=1e-9, abs=1e-12)
        want = rc.expected_purchases(x, t_x, big_t, HORIZON_39_WEEKS, **PUBLISHED_DAYS)
        assert row["expected_purchases_next_n_days"] == pytest.approx(want, rel=1e-8)
        assert row["bgnbd_horizon_days"] == HORIZON_39_WEEKS
    assert band_table.loc["buyer_once", "p_alive"] == 1.0


def test_cdnow_customer_1_matches_the_paper(band_table):
    # FHL 2005: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 purchases expected in the next 39
    # weeks; in whole days (213, 272) with alpha in days the forecast moves by < 0.002
    assert band_table.loc["buyer_cdnow_1", "expected_purchases_next_n_days"] == pytest.approx(1.226, abs=2e-3)
    weekly = rc.expected_purchases(2, 30.43, 38.86, 39, **PUBLISHED)
    assert weekly == pytest.approx(1.226, abs=5e-4)


def test_p_alive_falls_as_t_grows(band_table):
    p = [band_table.loc[u, "p_alive"] for u in ("buyer_t40", "buyer_t60", "buyer_t100")]
    assert p[0] > p[1] > p[2] > 0
    e = [band_table.loc[u, "expected_purchases_next_n_days"] for u in ("buyer_t40", "buyer_t60", "buyer_t100")]
    assert e[0] > e[1] > e[2] > 0
    # one repeat purchase 70 days ago makes a customer likelier alive than three (same t_x, T)
    assert band_table.loc["buyer_t100_x1", "p_alive"] > band_table.loc["buyer_t100", "p_alive"]


def test_truncation_error_bound_is_tiny(band_table):
    bound = band_table["expected_purchases_error_bound"].dropna()
    assert len(bound) == len(BUYERS)
    assert (bound <= 1e-12).all(), bound


# --------------------------------------------------------------------------- CDNOW


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_fitters_log_likelihood_equals_the_direct_formula(cdnow):
    """LogLikelihood (what the fit evaluates) = bgnbd_log_likelihood, term by term as written."""
    fitter = load_fitter()
    rng = np.random.default_rng(7)
    x, t_x, big_t = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    weights = rng.integers(1, 5, len(x)).astype(float)
    once = x == 0
    cases = [(x, t_x, big_t, weights), (x[once], t_x[once], big_t[once], weights[once]),
             (x[~once], t_x[~once], big_t[~once], weights[~once])]
    for data in cases:
        fast = fitter.LogLikelihood(*data)
        for _ in range(20):
            params = np.exp(rng.normal(0, 1.5, 4))
            assert fast(params) == pytest.approx(fitter.bgnbd_log_likelihood(params, *data), rel=1e-12)
        assert fast((0.5, -1.0, 1.0, 1.0)) == -math.inf


def test_fitters_gradient_equals_central_differences(cdnow):
    """LogLikelihood.gradient (what Newton's method follows) = central differences of the
    log-likelihood, with and without customers who never bought again."""
    fitter = load_fitter()
    rng = np.random.default_rng(11)
    x, t_x, big_t = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    weights = rng.integers(1, 5, len(x)).astype(float)
    for keep in (np.ones(len(x), bool), x > 0):
        ll = fitter.LogLikelihood(x[keep], t_x[keep], big_t[keep], weights[keep])
        for _ in range(10):
            params = np.exp(rng.normal(0, 1, 4))
            h = 1e-6
            numeric = [(ll(params * np.exp(h * e)) - ll(params * np.exp(-h * e))) / (2 * h) / params[i]
                       for i, e in enumerate(np.eye(4))]
            for got, want in zip(ll.gradient(params), numeric):
                assert got == pytest.approx(want, rel=1e-5, abs=1e-3)


def test_fit_is_where_the_gradient_vanishes_wherever_the_search_ends(cdnow):
    """Newton's method finishes the fit: from points around the maximum it returns the same
    point (to 1e-9 in ln-parameters), where the gradient is zero; so the parameters do not
    depend on where the coarse simplex search stopped."""
    fitter = load_fitter()
    x, t_x, big_t = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    fit = fitter.fit_bgnbd(x, t_x, big_t)
    best = np.array([fit[k] for k in ("r", "alpha", "a", "b")])
    ll = fitter.LogLikelihood(x, t_x, big_t, np.ones(len(x)))
    assert np.max(np.abs(best * ll.gradient(best))) < 1e-6
    rng = np.random.default_rng(5)
    for _ in range(5):
        start = np.log(best) + rng.normal(0, 0.05, 4)
        point, iterations = fitter.newton_maximum(ll, start)
        assert point is not None and iterations < fitter.NEWTON_ITERATIONS
        assert np.max(np.abs(point - np.log(best))) < 1e-9


def test_fitter_gives_no_parameters_without_an_interior_maximum():
    """One repeat purchase among 31 customers: the likelihood has no interior maximum, so
    Newton's method finds none, the simplex runs off towards e^+-20, and the fit reports no
    parameters rather than absurd ones."""
    fitter = load_fitter()
    x = np.r_[np.zeros(30, int), 1]
    t_x = np.r_[np.zeros(30), 5.0]
    big_t = np.full(31, 50.0)
    log_likelihood = fitter.LogLikelihood(x, t_x, big_t, np.ones(31))
    assert fitter.newton_maximum(log_likelihood, np.log([1.0, 50.0, 1.0, 1.0]))[0] is None
    fit = fitter.fit_bgnbd(x, t_x, big_t)
    assert fit["r"] is None and fit["a"] is None and not fit["converged"]
    assert fit["n_customers"] == 31 and fit["iterations"] > 0


def test_fitter_recovers_published_cdnow_estimates(cdnow):
    fit = load_fitter().fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert fit["converged"] and fit["n_customers"] == 2357
    for k, v in PUBLISHED.items():
        assert fit[k] == pytest.approx(v, rel=1e-2), k
    assert fit["log_likelihood"] == pytest.approx(PUBLISHED_LL, abs=0.1)
    # and it is a maximum of the independently written likelihood
    ll = lambda p: sum(rc.log_likelihood(int(x), tx, t, *p) for x, tx, t in
                       zip(cdnow["frequency"], cdnow["recency"], cdnow["T"]))
    best = [fit[k] for k in ("r", "alpha", "a", "b")]
    assert ll(best) == pytest.approx(fit["log_likelihood"], rel=1e-10)
    for i in range(4):
        for step in (0.99, 1.01):
            moved = list(best)
            moved[i] *= step
            assert ll(moved) < ll(best)


def cdnow_events(cdnow: pd.DataFrame) -> list[tuple]:
    """CDNOW customers in whole days: first purchase T days before as_of, x more purchase days
    spread over (0, t_x], the last at t_x."""
    rows = []
    for cid, x, tx_weeks, t_weeks in zip(cdnow["ID"], cdnow["frequency"], cdnow["recency"], cdnow["T"]):
        big_t, t_x = round(t_weeks * 7), round(tx_weeks * 7)
        days = [0] + [math.floor(j * t_x / x) for j in range(1, x + 1)]
        for i, d in enumerate(days):
            rows.append((f"c{cid:04d}", "purchase", at_age(big_t - d), 1.0, f"{cid}-{i}"))
    return rows


@pytest.fixture(scope="module")
def cdnow_build(cdnow, tmp_path_factory) -> DbtBuild:
    work = tmp_path_factory.mktemp("churn_cdnow")
    events = work / "events.csv"
    write_events(events, cdnow_events(cdnow))
    return run_dbt_build(events, work, {"as_of": str(AS_OF)}, command=BUILD_COMMAND)


def test_cdnow_fitted_in_dbt_matches_published_estimates(cdnow_build):
    params = params_of(cdnow_build)
    assert params["method"] == "mle_nelder_mead" and params["converged"]
    assert params["n_customers"] == 2357
    for k, v in PUBLISHED_DAYS.items():
        assert params[k] == pytest.approx(v, rel=1e-2), k


def test_cdnow_sql_scores_and_log_likelihood_match_reference(cdnow_build):
    params = params_of(cdnow_build)
    p = {k: float(params[k]) for k in ("r", "alpha", "a", "b")}
    users = cdnow_build.table("user_churn_risk")
    ref = rc.bgnbd_scores(users, p, 30)
    assert frame_mismatches(users, ref, ["user_id"], rtol=1e-6) == []
    ll = sum(rc.log_likelihood(int(x), tx, t, **p) for x, tx, t in
             zip(users["btyd_frequency"], users["btyd_recency_days"], users["btyd_t_days"]))
    assert params["log_likelihood"] == pytest.approx(ll, rel=1e-10)
    # the SQL log-likelihood is the fitter's own
    assert params["log_likelihood"] == pytest.approx(cdnow_build.table("bgnbd_fit")["log_likelihood"][0], rel=1e-10)


def test_hyp2f1_truncation_matches_converged_series(cdnow_build):
    """The SQL's 201-term 2F1, through E[Y], against a series summed to convergence."""
    params = params_of(cdnow_build)
    r, alpha, a, b = (float(params[k]) for k in ("r", "alpha", "a", "b"))
    users = cdnow_build.table("user_churn_risk").dropna(subset=["btyd_frequency"])
    worst = 0.0
    for x, t_x, big_t, pa, got in zip(users["btyd_frequency"], users["btyd_recency_days"], users["btyd_t_days"],
                                      users["p_alive"], users["expected_purchases_next_n_days"]):
        x = int(x)
        z = 30 / (alpha + big_t + 30)
        h = rc.hyp2f1_series(r + x, b + x, a + b + x - 1, z)
        want = pa * (a + b + x - 1) / (a - 1) * (1 - ((alpha + big_t) / (alpha + big_t + 30)) ** (r + x) * h)
        worst = max(worst, abs(got - want) / max(abs(want), 1e-300))
    assert worst < 1e-9


# --------------------------------------------------------------------------- demo build


@pytest.fixture(scope="module")
def demo(demo_build) -> dict[str, pd.DataFrame]:
    return {name: demo_build.table(name) for name in
            ("user_churn_risk", "fct_user_behavior", "stg_events", "bgnbd_parameters", "bgnbd_fit")}


def test_demo_one_row_per_user(demo):
    assert sorted(demo["user_churn_risk"]["user_id"]) == sorted(demo["fct_user_behavior"]["user_id"])
    assert set(demo["user_churn_risk"]["churn_risk_band"]) <= set(rc.BANDS)


def test_demo_bands_match_reference(demo):
    ref = rc.churn_bands(demo["fct_user_behavior"], demo["stg_events"])
    assert frame_mismatches(demo["user_churn_risk"], ref, ["user_id"]) == []


def test_demo_churned_band_is_lifecycle_churned(demo):
    table = demo["user_churn_risk"]
    assert ((table["churn_risk_band"] == "churned") == (table["days_since_last_seen"] >= 90)).all()


def test_demo_fit_is_a_maximum_and_scores_match_reference(demo):
    params = demo["bgnbd_parameters"].iloc[0]
    assert params["method"] == "mle_nelder_mead"
    p = {k: float(params[k]) for k in ("r", "alpha", "a", "b")}
    fct = demo["fct_user_behavior"]
    buyers = fct.dropna(subset=["btyd_frequency"])
    refit = load_fitter().fit_bgnbd(buyers["btyd_frequency"], buyers["btyd_recency_days"], buyers["btyd_t_days"])
    for k in p:
        assert refit[k] == pytest.approx(p[k], rel=1e-4), k
    ll = lambda q: sum(rc.log_likelihood(int(x), tx, t, **q) for x, tx, t in
                       zip(buyers["btyd_frequency"], buyers["btyd_recency_days"], buyers["btyd_t_days"]))
    assert params["log_likelihood"] == pytest.approx(ll(p), rel=1e-10)
    for k in p:
        for step in (0.99, 1.01):
            assert ll({**p, k: p[k] * step}) < ll(p), k
    ref = rc.bgnbd_scores(fct, p, 30)
    assert frame_mismatches(demo["user_churn_risk"], ref, ["user_id"], rtol=1e-6) == []


def test_demo_p_alive_monotone_in_t(demo):
    table = demo["user_churn_risk"].dropna(subset=["btyd_frequency"])
    assert ((table["p_alive"] > 0) & (table["p_alive"] <= 1)).all()
    assert (table.loc[table["btyd_frequency"] == 0, "p_alive"] == 1.0).all()
    for _, group in table.groupby(["btyd_frequency", "btyd_recency_days"]):
        ordered = group.sort_values("btyd_t_days").drop_duplicates("btyd_t_days")
        assert np.all(np.diff(ordered["p_alive"].to_numpy()) <= 1e-15)
    assert (table["expected_purchases_error_bound"] <= 1e-12).all()
