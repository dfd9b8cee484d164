"""The two baselines the benchmark compares the full ``dbt build`` with.

* **The DuckDB floor** (:data:`FLOOR_SQL`, :func:`run_duckdb_floor`): one hand-written DuckDB
  statement over ``read_parquet(<glob>)`` that applies the staging rules that matter for
  ``fct_user_behavior`` and the RFM scores (docs/definitions.md, sections 2 to 5) and returns
  every column of ``fct_user_behavior`` plus ``r_score``, ``f_score`` and ``m_score``, equal to
  the dbt models'. It is what DuckDB alone needs for these outputs: no intermediate tables, no
  status bookkeeping, no tests, no privacy steps.
* **The pandas way** (:func:`run_pandas`): what a data scientist would write when the log fits
  in memory: ``read_parquet``, ``dropna`` / ``drop_duplicates`` cleaning, ``groupby`` per user
  and day, lifetimes-style ``frequency / recency / T / monetary_value`` (the semantics of
  ``summary_data_from_transaction_data(..., freq='D')``, written out here) and RFM scores with
  ``pd.qcut`` on ``rank(method='first')``.

Both assume the default vars (``purchase_events ['purchase']``, ``rfm_bins`` 5,
``min_event_ts`` 1971-01-01, ``max_event_date`` = UTC today + 1 day, ``max_revenue`` 1e9,
``as_of`` = date of the latest valid event), no erasure requests and the generator's typed
schema (``event_ts`` TIMESTAMP, ``revenue`` DOUBLE, the rest text).

    python -m scripts.floor_query duckdb --events /data/u55k/events.parquet
    python -m scripts.floor_query pandas --events '/data/parts/*.parquet' --out /tmp/rfm.parquet
"""

from __future__ import annotations

import argparse
import glob
import re
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

CONTRACT_COLUMNS = ["user_id", "event_name", "event_ts", "event_id", "session_id", "revenue", "order_id", "properties"]
PURCHASE_EVENTS = ("purchase",)
RFM_BINS = 5
MIN_EVENT_TS = "1971-01-01"
FUTURE_TOLERANCE_DAYS = 1
MAX_REVENUE = 1_000_000_000
# ASCII white space trimmed from text (docs/definitions.md, section 1.4)
ASCII_WHITESPACE = " \t\n\x0b\x0c\r"

# The fct_user_behavior columns in model order, then the three RFM scores.
FCT_COLUMNS = [
    "user_id", "as_of",
    "first_seen_at", "last_seen_at", "first_seen_date", "last_seen_date",
    "days_since_first_seen", "days_since_last_seen",
    "active_days_total", "active_days_7d", "active_days_28d", "active_days_90d", "active_days_prev_28d",
    "events_total", "events_28d",
    "orders", "revenue", "avg_order_value", "first_purchase_at", "last_purchase_at",
    "days_since_last_purchase", "purchase_days", "is_purchaser",
    "btyd_frequency", "btyd_recency_days", "btyd_t_days", "btyd_monetary_value",
]
SCORE_COLUMNS = ["r_score", "f_score", "m_score"]
OUTPUT_COLUMNS = FCT_COLUMNS + SCORE_COLUMNS

# --------------------------------------------------------------------------------------
# The DuckDB floor
# --------------------------------------------------------------------------------------

# One statement; {events}, {ws}, {purchase_events}, {min_event_ts}, {max_event_date},
# {max_revenue} and {bins} are filled in by floor_sql(). Notes on equivalence with the models:
# * Exact duplicates and repeated event ids: the models number rows twice among the usable
#   rows (exact copy: partition by every typed column, order by position; event id: partition
#   by event_id, order by event_ts, position) and keep a row when both numbers are 1. For a row
#   with an event_id that is the same as keeping the first row of its event_id by (event_ts,
#   position): an exact copy of that row shares its event_id and event_ts and comes later. So
#   rows with an event_id need only the event_id window and rows without one only the
#   exact-copy window (one window over both, partitioned by event_id or every column, costs
#   twice the CPU on 9M rows). Exact copies compare the properties text (the models its md5).
# * as_of is the latest valid event date, so no valid event is after as_of (the models'
#   after_as_of status is empty under the default vars) and every valid event is clean.
# * Orders: every purchase event belongs to exactly one order, so a user's order count is
#   distinct order ids + purchase events without one, and the user's revenue is the exact
#   decimal sum of the purchase revenue (the models sum per order-day, order, then user, each
#   exact and rounded to a double between steps: the same double for amounts with up to 15
#   significant digits).
FLOOR_SQL = """
with

raw_events as (
    select
        row_number() over () as event_row_id,
        nullif(trim(cast(user_id as varchar), {ws}), '') as user_id,
        nullif(regexp_replace(lower(trim(cast(event_name as varchar), {ws})), '[[:space:].-]+', '_', 'g'), '')
            as event_name,
        try_cast(event_ts as timestamp) as event_ts,
        nullif(trim(cast(event_id as varchar), {ws}), '') as event_id,
        nullif(trim(cast(session_id as varchar), {ws}), '') as session_id,
        revenue is not null as has_revenue,
        try_cast(revenue as double) as revenue,
        nullif(trim(cast(order_id as varchar), {ws}), '') as order_id,
        cast(properties as varchar) as properties
    from read_parquet({events}, union_by_name = true)
),

usable_events as (
    -- not quarantined (docs/definitions.md, section 2, rule 1)
    select *
    from (select *, event_name in ({purchase_events}) as is_purchase from raw_events)
    where
        user_id is not null
        and event_name is not null
        and event_ts is not null
        and event_ts >= timestamp '{min_event_ts}'
        and cast(event_ts as date) <= date '{max_event_date}'
        and not coalesce(
            is_purchase and (
                (has_revenue and (revenue is null or not isfinite(revenue)))
                or revenue < 0
                or revenue > {max_revenue}
            ),
            false
        )
),

clean_events as (
    -- not a duplicate (rule 2): the first row of each event_id by (event_ts, position) ...
    select user_id, event_ts, cast(event_ts as date) as event_date, is_purchase, revenue, order_id
    from usable_events
    where event_id is not null
    qualify row_number() over (partition by event_id order by event_ts, event_row_id) = 1
    union all
    -- ... and, without an event_id, the first of each set of exact copies by position
    select user_id, event_ts, cast(event_ts as date) as event_date, is_purchase, revenue, order_id
    from usable_events
    where event_id is null
    qualify row_number() over (
        partition by user_id, event_name, event_ts, session_id, revenue, order_id, properties
        order by event_row_id
    ) = 1
),

run_context as (
    select max(event_date) as as_of from clean_events
),

user_days as (
    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        count(*) filter (where is_purchase) as purchase_events,
        cast(sum(cast(case when is_purchase then coalesce(revenue, 0) else 0 end as decimal(38, 9))) as double)
            as revenue,
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at
    from clean_events
    group by user_id, event_date
),

activity as (
    select
        user_days.user_id,
        min(first_event_at) as first_seen_at,
        max(last_event_at) as last_seen_at,
        min(activity_date) as first_seen_date,
        max(activity_date) as last_seen_date,
        count(*) as active_days_total,
        count(*) filter (where run_context.as_of - activity_date between 0 and 6) as active_days_7d,
        count(*) filter (where run_context.as_of - activity_date between 0 and 27) as active_days_28d,
        count(*) filter (where run_context.as_of - activity_date between 0 and 89) as active_days_90d,
        count(*) filter (where run_context.as_of - activity_date between 28 and 55) as active_days_prev_28d,
        cast(sum(events) as bigint) as events_total,
        cast(coalesce(sum(events) filter (where run_context.as_of - activity_date between 0 and 27), 0) as bigint)
            as events_28d,
        count(*) filter (where purchase_events > 0) as purchase_days,
        min(activity_date) filter (where purchase_events > 0) as first_purchase_date,
        max(activity_date) filter (where purchase_events > 0) as last_purchase_date,
        -- lifetimes' monetary_value: mean daily total over the purchase days after the first
        coalesce(
            cast(
                sum(cast(revenue as decimal(38, 9))) filter (where purchase_events > 0)
                - cast(arg_min(revenue, activity_date) filter (where purchase_events > 0) as decimal(38, 9))
                as double
            ) / nullif(count(*) filter (where purchase_events > 0) - 1, 0),
            0
        ) as repeat_day_value
    from user_days
    cross join run_context
    group by user_days.user_id
),

order_stats as (
    select
        user_id,
        count(distinct order_id) + count(*) filter (where order_id is null) as orders,
        cast(sum(cast(coalesce(revenue, 0) as decimal(38, 9))) as double) as revenue,
        min(event_ts) as first_purchase_at,
        max(event_ts) as last_purchase_at
    from clean_events
    where is_purchase
    group by user_id
),

users as (
    select
        activity.user_id,
        run_context.as_of,
        activity.first_seen_at,
        activity.last_seen_at,
        activity.first_seen_date,
        activity.last_seen_date,
        cast(run_context.as_of - activity.first_seen_date as bigint) as days_since_first_seen,
        cast(run_context.as_of - activity.last_seen_date as bigint) as days_since_last_seen,
        activity.active_days_total,
        activity.active_days_7d,
        activity.active_days_28d,
        activity.active_days_90d,
        activity.active_days_prev_28d,
        activity.events_total,
        activity.events_28d,
        coalesce(order_stats.orders, 0) as orders,
        coalesce(order_stats.revenue, 0) as revenue,
        case when order_stats.orders > 0 then order_stats.revenue / order_stats.orders end as avg_order_value,
        order_stats.first_purchase_at,
        order_stats.last_purchase_at,
        cast(run_context.as_of - activity.last_purchase_date as bigint) as days_since_last_purchase,
        activity.purchase_days,
        coalesce(order_stats.orders, 0) > 0 as is_purchaser,
        case when activity.purchase_days > 0 then activity.purchase_days - 1 end as btyd_frequency,
        cast(activity.last_purchase_date - activity.first_purchase_date as bigint) as btyd_recency_days,
        cast(run_context.as_of - activity.first_purchase_date as bigint) as btyd_t_days,
        case when activity.purchase_days > 0 then activity.repeat_day_value end as btyd_monetary_value
    from activity
    cross join run_context
    left join order_stats on activity.user_id = order_stats.user_id
)

select
    *,
    -- RFM among purchasers: least(bins, 1 + floor(bins * percent_rank())) from worse to better
    case when is_purchaser then
        case when count(*) over purchasers = 1 then 1 else least({bins}, 1 + cast(floor(
            {bins} * (rank() over (partition by is_purchaser order by days_since_last_purchase desc) - 1)
            / cast(count(*) over purchasers - 1 as double)) as integer)) end
    end as r_score,
    case when is_purchaser then
        case when count(*) over purchasers = 1 then 1 else least({bins}, 1 + cast(floor(
            {bins} * (rank() over (partition by is_purchaser order by orders asc) - 1)
            / cast(count(*) over purchasers - 1 as double)) as integer)) end
    end as f_score,
    case when is_purchaser then
        case when count(*) over purchasers = 1 then 1 else least({bins}, 1 + cast(floor(
            {bins} * (rank() over (partition by is_purchaser order by revenue asc) - 1)
            / cast(count(*) over purchasers - 1 as double)) as integer)) end
    end as m_score
from users
window purchasers as (partition by is_purchaser)
"""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def default_max_event_date() -> date:
    """The models' default max_event_date: the run's UTC date + future_tolerance_days."""
    return datetime.now(timezone.utc).date() + timedelta(days=FUTURE_TOLERANCE_DAYS)


def floor_sql(
    events_glob: str,
    max_event_date: date | None = None,
    purchase_events: tuple[str, ...] = PURCHASE_EVENTS,
    bins: int = RFM_BINS,
) -> str:
    """:data:`FLOOR_SQL` filled in for one input file or glob."""
    ws = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
    return FLOOR_SQL.format(
        events=_sql_text(events_glob),
        ws=ws,
        purchase_events=", ".join(_sql_text(normalise_event_name(p)) for p in purchase_events),
        min_event_ts=MIN_EVENT_TS,
        max_event_date=(max_event_date or default_max_event_date()).isoformat(),
        max_revenue=MAX_REVENUE,
        bins=int(bins),
    )


def run_duckdb_floor(
    events_glob: str,
    threads: int = 2,
    memory_limit: str = "16GB",
    temp_dir: str | None = None,
    out_path: Path | None = None,
) -> int:
    """Run the floor in a fresh in-memory DuckDB; write Parquet to ``out_path`` when given,
    else materialise the result as a temp table. Returns the number of user rows."""
    sql = floor_sql(events_glob)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"set threads = {int(threads)}")
        con.execute(f"set memory_limit = {_sql_text(memory_limit)}")
        # the allocator settings of profiles.yml, so that the floor gets what dbt's runs get
        con.execute("set block_allocator_memory = '4GB'")
        con.execute("set allocator_flush_threshold = '4GB'")
        con.execute("set TimeZone = 'UTC'")
        if temp_dir:
            con.execute(f"set temp_directory = {_sql_text(temp_dir)}")
        if out_path is not None:
            out_path = Path(out_path)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            row = con.execute(f"copy ({sql}) to {_sql_text(str(out_path))} (format parquet)").fetchone()
            return int(row[0]) if row else 0
        con.execute(f"create temp table floor_result as {sql}")
        row = con.execute("select count(*) from floor_result").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


# --------------------------------------------------------------------------------------
# The pandas way
# --------------------------------------------------------------------------------------

_NAME_SEPARATORS = r"[ \t\n\x0b\x0c\r.\-]+"


def normalise_event_name(name: str) -> str:
    """Trimmed, lower-cased, runs of spaces, hyphens and dots as one '_'."""
    return re.sub(_NAME_SEPARATORS, "_", name.strip(ASCII_WHITESPACE).lower())


def read_events_pandas(events_glob: str) -> pd.DataFrame:
    """Every matching Parquet file (sorted by name, as DuckDB reads a glob), contract columns only."""
    files = sorted(glob.glob(events_glob)) or [events_glob]
    frames = [pd.read_parquet(f, engine="pyarrow", columns=CONTRACT_COLUMNS) for f in files]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def clean_events_pandas(df: pd.DataFrame, max_event_date: date | None = None) -> pd.DataFrame:
    """Staging the pandas way: normalise, drop the invalid rows, drop duplicates."""
    for col in ["user_id", "event_id", "session_id", "order_id"]:
        df[col] = df[col].str.strip(ASCII_WHITESPACE)
        df[col] = df[col].mask(df[col] == "")
    name = df["event_name"].str.strip(ASCII_WHITESPACE).str.lower().str.replace(_NAME_SEPARATORS, "_", regex=True)
    df["event_name"] = name.mask(name == "")
    df = df.dropna(subset=["user_id", "event_name", "event_ts"])
    max_day = pd.Timestamp(max_event_date or default_max_event_date())
    df = df[(df["event_ts"] >= pd.Timestamp(MIN_EVENT_TS)) & (df["event_ts"] < max_day + pd.Timedelta(days=1))]
    purchase_names = [normalise_event_name(p) for p in PURCHASE_EVENTS]
    df = df.assign(is_purchase=df["event_name"].isin(purchase_names))
    bad_revenue = df["is_purchase"] & df["revenue"].notna() & (
        ~np.isfinite(df["revenue"]) | (df["revenue"] < 0) | (df["revenue"] > MAX_REVENUE)
    )
    df = df[~bad_revenue]
    # exact copies: the first one stays; then one row per event_id, the earliest (stable sort
    # keeps file order among equal timestamps)
    df = df.drop_duplicates(subset=CONTRACT_COLUMNS, keep="first").drop(columns=["session_id", "properties"])
    df = df.sort_values("event_ts", kind="stable")
    has_id = df["event_id"].notna()
    df = pd.concat([df[has_id].drop_duplicates(subset="event_id", keep="first"), df[~has_id]])
    return df.drop(columns=["event_id"])


def btyd_summary(purchases: pd.DataFrame, observation_end: pd.Timestamp) -> pd.DataFrame:
    """lifetimes' summary_data_from_transaction_data(freq='D', monetary_value_col='revenue'):
    frequency (repeat purchase days), recency and T in days, monetary_value (mean daily total
    over the repeat days, 0 without repeats). One row per customer, indexed by user_id."""
    daily = purchases.groupby(["user_id", "date"], as_index=False)["revenue"].sum()
    daily["first"] = ~daily.duplicated("user_id", keep="first")  # sorted by date within user
    first_date = daily.groupby("user_id")["date"].min()
    summary = pd.DataFrame({
        "btyd_frequency": daily.groupby("user_id").size() - 1,
        "btyd_recency_days": (daily.groupby("user_id")["date"].max() - first_date).dt.days,
        "btyd_t_days": (observation_end - first_date).dt.days,
    })
    repeat = daily[~daily["first"]].groupby("user_id")["revenue"].mean()
    summary["btyd_monetary_value"] = repeat.reindex(summary.index).fillna(0.0)
    return summary


def rfm_scores_pandas(users: pd.DataFrame, bins: int = RFM_BINS) -> pd.DataFrame:
    """The usual notebook RFM: qcut of rank(method='first') into ``bins`` equal groups."""
    buyers = users[users["orders"] > 0]
    labels = list(range(1, bins + 1))
    out = pd.DataFrame(index=buyers.index)
    if len(buyers) >= bins:
        out["r_score"] = pd.qcut(buyers["days_since_last_purchase"].rank(method="first"), bins, labels=labels[::-1])
        out["f_score"] = pd.qcut(buyers["orders"].rank(method="first"), bins, labels=labels)
        out["m_score"] = pd.qcut(buyers["revenue"].rank(method="first"), bins, labels=labels)
    else:  # too few purchasers for bins quantiles: one group each
        for col in SCORE_COLUMNS:
            out[col] = 1
    return out.astype("Int32").reindex(users.index)


def compute_pandas(events: pd.DataFrame, max_event_date: date | None = None) -> pd.DataFrame:
    """fct_user_behavior + r/f/m scores from raw events, the pandas way."""
    df = clean_events_pandas(events, max_event_date)
    df["date"] = df["event_ts"].dt.normalize()
    as_of = df["date"].max()

    days = df.groupby(["user_id", "date"]).agg(
        events=("event_ts", "size"), first_event_at=("event_ts", "min"), last_event_at=("event_ts", "max"),
    ).reset_index()
    days["age"] = (as_of - days["date"]).dt.days
    windows = {"active_days_7d": (0, 6), "active_days_28d": (0, 27), "active_days_90d": (0, 89),
               "active_days_prev_28d": (28, 55)}
    for name, (lo, hi) in windows.items():
        days[name] = days["age"].between(lo, hi)
    days["events_28d"] = days["events"].where(days["age"].between(0, 27), 0)
    users = days.groupby("user_id").agg(
        first_seen_at=("first_event_at", "min"), last_seen_at=("last_event_at", "max"),
        first_seen_date=("date", "min"), last_seen_date=("date", "max"),
        active_days_total=("date", "size"),
        **{name: (name, "sum") for name in windows},
        events_total=("events", "sum"), events_28d=("events_28d", "sum"),
    )
    users.insert(0, "as_of", as_of)
    users["days_since_first_seen"] = (as_of - users["first_seen_date"]).dt.days
    users["days_since_last_seen"] = (as_of - users["last_seen_date"]).dt.days

    purchases = df[df["is_purchase"]].copy()
    purchases["revenue"] = purchases["revenue"].fillna(0.0)
    # an order is (user, order_id); a purchase without order_id is an order of its own
    own_order = pd.Series("event:" + purchases.index.astype(str), index=purchases.index)
    purchases["order_key"] = purchases["order_id"].fillna(own_order)
    orders = purchases.groupby("user_id").agg(
        orders=("order_key", "nunique"), revenue=("revenue", "sum"),
        first_purchase_at=("event_ts", "min"), last_purchase_at=("event_ts", "max"),
        purchase_days=("date", "nunique"), last_purchase_date=("date", "max"),
    )
    users = users.join(orders).join(btyd_summary(purchases, as_of))
    users["orders"] = users["orders"].fillna(0).astype("int64")
    users["revenue"] = users["revenue"].fillna(0.0)
    users["avg_order_value"] = users["revenue"] / users["orders"].where(users["orders"] > 0)
    users["days_since_last_purchase"] = (as_of - users["last_purchase_date"]).dt.days.astype("Int64")
    users["purchase_days"] = users["purchase_days"].fillna(0).astype("int64")
    users["is_purchaser"] = users["orders"] > 0
    for col in ["btyd_frequency", "btyd_recency_days", "btyd_t_days"]:
        users[col] = users[col].astype("Int64")
    users = users.join(rfm_scores_pandas(users))
    return users.reset_index()[OUTPUT_COLUMNS]


def run_pandas(events_glob: str, out_path: Path | None = None) -> int:
    """Read, clean and summarise the log in pandas; write Parquet to ``out_path`` when given.
    Returns the number of user rows."""
    result = compute_pandas(read_events_pandas(events_glob))
    if out_path is not None:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        result.to_parquet(out_path, index=False)
    return len(result)


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.floor_query",
        description="Baselines for the benchmark: fct_user_behavior + RFM scores in one DuckDB query, or in pandas.",
    )
    parser.add_argument("engine", choices=["duckdb", "pandas"])
    parser.add_argument("--events", required=True, help="Parquet file or glob")
    parser.add_argument("--out", type=Path, default=None, help="write the result here as Parquet")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2)")
    parser.add_argument("--memory-limit", default="16GB", help="DuckDB memory_limit (default 16GB)")
    parser.add_argument("--temp-dir", default=None, help="DuckDB temp_directory for spilling")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.engine == "duckdb":
        rows = run_duckdb_floor(args.events, threads=args.threads, memory_limit=args.memory_limit,
                                temp_dir=args.temp_dir, out_path=args.out)
    else:
        rows = run_pandas(args.events, out_path=args.out)
    print(f"{args.engine}: {rows} users in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
