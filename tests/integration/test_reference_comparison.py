"""The dbt models against the independent pandas reference (tests/integration/reference.py) on
the generated demo log: every column of every mart, and the status of every raw row.

Two builds: the session's ``demo_build`` (default vars) and one with non-default vars (a past
``as_of`` so that some rows are after it, RFM thresholds for all three metrics, quantile usage
tiers and other lifecycle parameters).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.integration.conftest import run_dbt_build
from tests.integration.reference import (
    MODEL_KEYS,
    comparable,
    compute_reference,
    frame_mismatches,
    query,
    table,
    warehouse_row_status,
)
from tests.integration.support import REFERENCE_BUILD

RFM_THRESHOLDS = {
    "recency": [7, 30, 90, 180],
    "frequency": [2, 3, 5, 10],
    "monetary": [50, 100, 250, 1000],
}


def default_max_event_date() -> date:
    """What the SQL uses when ``max_event_date`` is not set: the run's UTC date + 1 day."""
    return datetime.now(timezone.utc).date() + timedelta(days=1)


@pytest.fixture(scope="module")
def demo_raw(demo_data) -> pd.DataFrame:
    return pd.read_parquet(demo_data.events_path)


@pytest.fixture(scope="module")
def ref_default(demo_raw) -> dict[str, pd.DataFrame]:
    return compute_reference(demo_raw, max_event_date=default_max_event_date())


def custom_vars(demo_data) -> dict:
    return {
        "as_of": str(demo_data.end_date - timedelta(days=45)),
        "max_event_date": str(default_max_event_date()),
        "rfm_bins": 5,
        "rfm_thresholds": RFM_THRESHOLDS,
        "usage_tier_mode": "quantile",
        "new_user_days": 21,
        "reactivation_gap_days": 21,
        "at_risk_ratio": 0.6,
        "churn_days": 120,
    }


@pytest.fixture(scope="module")
def custom_build(demo_data, tmp_path_factory):
    # The project's dbt unit tests assume the default vars, so they are left out of this build.
    return run_dbt_build(
        demo_data.events_path,
        tmp_path_factory.mktemp("custom_build"),
        custom_vars(demo_data),
        command=REFERENCE_BUILD,
    )


@pytest.fixture(scope="module")
def ref_custom(demo_raw, demo_data) -> dict[str, pd.DataFrame]:
    v = custom_vars(demo_data)
    return compute_reference(
        demo_raw,
        as_of=date.fromisoformat(v["as_of"]),
        max_event_date=date.fromisoformat(v["max_event_date"]),
        rfm_bins=v["rfm_bins"],
        rfm_thresholds=v["rfm_thresholds"],
        usage_tier_mode=v["usage_tier_mode"],
        new_user_days=v["new_user_days"],
        reactivation_gap_days=v["reactivation_gap_days"],
        at_risk_ratio=v["at_risk_ratio"],
        churn_days=v["churn_days"],
    )


# --------------------------------------------------------------------------- helpers


def row_status_mismatches(build, ref: dict[str, pd.DataFrame]) -> list[str]:
    """Vectorised comparison of the per-row status (half a million rows)."""
    sql = warehouse_row_status(build)
    exp = ref["row_status"]
    problems = []
    dup_ids = sql["event_row_id"][sql["event_row_id"].duplicated()]
    if len(dup_ids):
        problems.append(f"rows with more than one status: {sorted(dup_ids)[:10]}")
    m = exp.merge(sql, on="event_row_id", how="outer", suffixes=("_ref", "_sql"), indicator=True)
    missing = m[m["_merge"] != "both"]
    if len(missing):
        problems.append(f"{len(missing)} rows in only one side:\n{missing.head(10).to_string()}")
    both = m[m["_merge"] == "both"]
    for col in ("row_status", "quarantine_reason", "duplicate_reason"):
        a = both[f"{col}_sql"].astype(object).where(both[f"{col}_sql"].notna(), None)
        e = both[f"{col}_ref"].astype(object).where(both[f"{col}_ref"].notna(), None)
        bad = both[[x != y for x, y in zip(a, e)]]
        if len(bad):
            problems.append(
                f"column {col!r}: {len(bad)} rows differ, first ones:\n"
                + bad[["event_row_id", f"{col}_sql", f"{col}_ref"]].head(10).to_string()
            )
    return problems


def accounting_mismatches(build, ref: dict[str, pd.DataFrame], n_raw: int) -> list[str]:
    acc = table(build, "event_row_accounting")
    count_col = "rows" if "rows" in acc.columns else "row_count"
    got = {s: int(n) for s, n in zip(acc["row_status"], acc[count_col]) if int(n)}
    exp = {s: int(n) for s, n in zip(ref["event_row_accounting"]["row_status"], ref["event_row_accounting"]["rows"])}
    problems = []
    if got != exp:
        problems.append(f"event_row_accounting: SQL {got} != reference {exp}")
    if sum(got.values()) != n_raw:
        problems.append(f"event_row_accounting sums to {sum(got.values())}, the file has {n_raw} rows")
    return problems


def compare_all(build, ref: dict[str, pd.DataFrame], n_raw: int) -> None:
    problems: list[str] = []
    for model, keys in MODEL_KEYS.items():
        problems += [f"[{model}] {p}" for p in frame_mismatches(comparable(model, table(build, model)), ref[model], keys)]
    problems += [f"[row_status] {p}" for p in row_status_mismatches(build, ref)]
    problems += [f"[accounting] {p}" for p in accounting_mismatches(build, ref, n_raw)]
    assert not problems, "warehouse != reference\n" + "\n".join(problems)


# --------------------------------------------------------------------------- tests


def test_default_vars_match_reference(demo_build, demo_raw, ref_default):
    compare_all(demo_build, ref_default, len(demo_raw))


def test_default_as_of_is_the_demo_end_date(demo_build, demo_data, ref_default):
    fct = table(demo_build, "fct_user_behavior")
    assert set(pd.to_datetime(fct["as_of"]).dt.date) == {demo_data.end_date}
    assert set(ref_default["fct_user_behavior"]["as_of"]) == {demo_data.end_date}


def test_default_revenue_is_conserved(demo_build, ref_default):
    clean_revenue = query(
        demo_build, "select coalesce(sum(revenue), 0) as r from main.stg_events where is_purchase"
    )["r"].iloc[0]
    fct_revenue = table(demo_build, "fct_user_behavior")["revenue"].sum()
    ref_revenue = ref_default["fct_user_behavior"]["revenue"].sum()
    assert clean_revenue == pytest.approx(ref_revenue, rel=1e-9)
    assert fct_revenue == pytest.approx(ref_revenue, rel=1e-9)
    summary = table(demo_build, "segment_summary")
    for dim, part in summary.groupby("segment_dimension"):
        assert part["revenue"].sum() == pytest.approx(ref_revenue, rel=1e-9), dim


def test_custom_vars_match_reference(custom_build, demo_raw, ref_custom):
    assert (ref_custom["row_status"]["row_status"] == "after_as_of").sum() > 0
    compare_all(custom_build, ref_custom, len(demo_raw))
