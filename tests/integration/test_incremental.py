"""Incremental == full: building the history day by day gives the same warehouse as one build.

The demo log is cut into files the way a daily export lands them: one file with everything
before the last days, then one file per later day. Some files carry late events for older
days, exact re-deliveries of loaded rows, and an event id re-sent with an earlier timestamp
(which takes the id over from the loaded row). One incremental run adds an erasure request.
Each step is an incremental ``dbt build`` into the same warehouse; a full build over the
final files must give identical relations (every model, seed and view; only the load_batch
bookkeeping columns differ).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from scripts import dbt_invoke
from scripts.generate_events import generate
from tests.integration.conftest import copy_project, run_dbt_build
from tests.integration.support import REFERENCE_BUILD

BUILD = REFERENCE_BUILD
# Relations that keep one block of rows per run by design (the history of past as_of values)
# are compared on the current as_of only; what is derived from that history (the previous
# as_of's KPIs, transitions between as_of dates, the snapshot's validity dates) is left out:
# a day-by-day build has a history a one-off build cannot have.
RUN_HISTORY = {"user_segment_history": "as_of", "segment_kpi_history": "as_of"}
HISTORY_DERIVED = {"segment_transitions", "user_segments_snapshot"}
# bookkeeping of when a row was written: int_user_carts keeps a settled user's row (and the
# as_of it was counted at) until the user has new events; every other column must be equal
IGNORED_COLUMNS = {"load_batch", "previous_as_of", "statuses_as_of"}
IGNORED_PREFIXES = ("previous_",)
IGNORED_SUFFIXES = ("_change",)
LAST_DAYS = ["2024-06-27", "2024-06-28", "2024-06-29", "2024-06-30"]


def _write_files(events: Path, out: Path) -> list[list[Path]]:
    """The daily files, and which of them each run sees (a growing list)."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"create table e as select *, row_number() over () as rn from read_parquet('{events}')")
    cols = ", ".join(c[0] for c in con.execute("describe e").fetchall() if c[0] != "rn")
    first = LAST_DAYS[0]
    # late events: 1 in 40 events of 2024-06-01..06-25 arrive with the file of 06-28
    late = f"cast(event_ts as date) between date '2024-06-01' and date '{first}' - 1 and rn % 40 = 3"
    files = []

    def write(name: str, where: str, extra: str = "") -> Path:
        path = out / name
        con.execute(f"copy (select {cols} from e where {where} {extra}) to '{path}' (format parquet)")
        files.append(path)
        return path

    write("00_history.parquet", f"(event_ts is null or cast(event_ts as date) < date '{first}') and not ({late})")
    for day in LAST_DAYS:
        extra = ""
        if day == "2024-06-28":
            extra = f"union all select {cols} from e where {late}"
        if day == "2024-06-29":
            # exact re-deliveries of loaded rows, and event ids re-sent one day earlier
            extra = (f"union all select {cols} from e where cast(event_ts as date) < date '{first}' and rn % 97 = 5 "
                     f"union all select * replace (event_ts - interval 1 day as event_ts) from "
                     f"(select {cols} from e where cast(event_ts as date) = date '2024-06-27' "
                     f"and event_id is not null and rn % 13 = 1)")
        write(f"{day}.parquet", f"cast(event_ts as date) = date '{day}' and not ({late})", extra)
    total = con.execute(f"select count(*) from read_parquet({[str(f) for f in files]})").fetchall()[0][0]
    assert total > con.execute("select count(*) from e").fetchall()[0][0]  # the re-deliveries are extra rows
    return [files[: i + 1] for i in range(len(files))]


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        f"where table_catalog = '{catalog}' and table_schema = 'main' order by 1").fetchall()]


def _differences(full_db: Path, inc_db: Path) -> dict[str, tuple[int, int, int]]:
    con = duckdb.connect()
    con.execute(f"attach '{full_db}' as full_build (read_only)")
    con.execute(f"attach '{inc_db}' as inc_build (read_only)")
    assert _relations(con, "full_build") == _relations(con, "inc_build")
    out = {}
    for name in _relations(con, "full_build"):
        if name in HISTORY_DERIVED:
            continue
        cols = [(r[0], r[1]) for r in con.execute(
            "select column_name, data_type from information_schema.columns "
            f"where table_catalog = 'full_build' and table_schema = 'main' and table_name = '{name}' "
            "order by ordinal_position").fetchall()
            if r[0] not in IGNORED_COLUMNS and not r[0].startswith(IGNORED_PREFIXES) and not r[0].endswith(IGNORED_SUFFIXES)]
        # floats to 9 significant digits: a sum over rows (e.g. the BG/NBD log-likelihood) may
        # differ in its last bits between two builds, as its rows are added in another order
        select = ", ".join(
            f'round("{c}" / pow(10, floor(log10(abs("{c}") + 1e-300)) - 8)) * pow(10, floor(log10(abs("{c}") + 1e-300)) - 8) as "{c}"'
            if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols)
        where = ""
        if name in RUN_HISTORY:
            col = RUN_HISTORY[name]
            where = f"where {col} = (select max({col}) from full_build.main.{name})"
        a = f"select {select} from full_build.main.{name} {where}"
        b = f"select {select} from inc_build.main.{name} {where.replace('full_build', 'inc_build')}"
        only_full = con.execute(f"select count(*) from ({a} except all {b})").fetchall()[0][0]
        only_inc = con.execute(f"select count(*) from ({b} except all {a})").fetchall()[0][0]
        rows = con.execute(f"select count(*) from ({a})").fetchall()[0][0]
        out[name] = (rows, only_full, only_inc)
    return out


def landing_with(files: list[Path], landing: Path) -> Path:
    """A new landing folder holding copies of ``files``."""
    landing.mkdir()
    for f in files:
        (landing / f.name).write_bytes(f.read_bytes())
    return landing


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("incremental")
    data = generate(out_dir=root / "demo", n_users=300, seed=7)
    return root, _write_files(data.events_path, root / "files")


def test_incremental_runs_equal_one_full_build(daily) -> None:
    root, runs = daily
    landing = root / "landing"
    landing.mkdir()
    erased_user = duckdb.sql(
        f"select user_id from read_parquet('{runs[0][0]}') where user_id is not null "
        "group by 1 order by count(*) desc, 1 limit 1").fetchall()[0][0]
    erasure_file = root / "erasure.csv"
    erasure_file.write_text("user_id\n")
    inc_dir = root / "inc"
    pending: set[str] = set()  # users with a pending cart after some run but the last
    for i, files in enumerate(runs):
        for f in files:
            target = landing / f.name
            if not target.exists():
                target.write_bytes(f.read_bytes())
        if i == len(runs) - 2:  # a later run brings an erasure request for a loaded user
            assert build.query(f"select count(*) as n from user_segments where user_id = '{erased_user}'")["n"][0] == 1
            erasure_file.write_text(f"user_id\n{erased_user}\n")
        build = run_dbt_build(landing / "*.parquet", inc_dir, {"erasure_list_path": str(erasure_file)}, command=BUILD)
        if i < len(runs) - 1:
            pending |= set(build.query("select user_id from int_user_carts where pending_carts > 0")["user_id"])
    # carts pending after an earlier run were settled by a later one (int_user_carts counts
    # users with a pending cart again on every run)
    quoted = ", ".join(f"'{u}'" for u in sorted(pending)) or "null"
    assert build.query(f"select count(*) as n from int_user_carts where user_id in ({quoted}) "
                       "and pending_carts = 0")["n"][0] > 0
    # the incremental runs really were incremental: several load batches, later ones small
    batches = build.query("select load_batch, count(*) as n from stg_events__classified group by 1 order by 1")
    assert len(batches) == len(runs)
    assert batches["n"].iloc[1:].max() < batches["n"].iloc[0] / 5
    # loaded rows were decided again: an event id taken over, and the erased user's rows blanked
    later = build.query(
        "select count(*) as n from stg_events__classified "
        f"where load_batch > {int(batches['load_batch'].iloc[0])} and event_row_id <= {int(batches['n'].iloc[0])}")
    assert later["n"].iloc[0] > 0
    assert build.query(f"select count(*) as n from user_segments where user_id = '{erased_user}'")["n"].iloc[0] == 0
    # the last run (no erasure) rewrote only the orders of its purchase events, of its users'
    # features only those used on its days and of their gaps only the new lengths: its users
    # keep older rows untouched
    last = int(batches["load_batch"].iloc[-1])
    touched = (f"select distinct user_id, coalesce('order:' || order_id, 'event:' || cast(event_row_id as varchar)) "
               f"as order_key from stg_events__classified where load_batch = {last} and is_purchase and user_id is not null")
    written = f"select user_id, order_key from int_orders where load_batch = {last}"
    assert build.query(f"select count(*) as n from ({written})")["n"].iloc[0] > 0
    assert build.query(f"select count(*) as n from ({written} except {touched})")["n"].iloc[0] == 0
    assert build.query(f"select count(*) as n from (select user_id, order_key from int_orders intersect {touched} "
                       f"except {written})")["n"].iloc[0] == 0
    for table in ("int_orders", "int_user_features", "int_user_gaps"):
        kept = build.query(
            f"select count(*) as n from {table} where load_batch < {last} and user_id in "
            f"(select user_id from stg_events__classified where load_batch = {last})")
        assert kept["n"].iloc[0] > 0, table

    full = run_dbt_build(landing / "*.parquet", root / "full", {"erasure_list_path": str(erasure_file)}, command=BUILD)
    diffs = _differences(full.db_path, build.db_path)
    bad = {name: d for name, d in diffs.items() if d[1] or d[2]}
    assert not bad, f"relations that differ (rows, only in full, only in incremental): {bad}"
    assert diffs["fct_user_behavior"][0] > 250
    assert diffs["stg_events_duplicates"][0] > 0


def test_rerun_without_new_rows_changes_nothing(daily, tmp_path: Path) -> None:
    """A run with no new input adds no rows and leaves every relation as it was, also on a
    copy of the warehouse under another name (DuckDB names its catalog after the file, so
    relation names change: the histories' definition fingerprints must not)."""
    _, runs = daily
    landing = landing_with(runs[-1], tmp_path / "landing")
    first = run_dbt_build(landing / "*.parquet", tmp_path / "a", command=BUILD)
    copy = tmp_path / "before.duckdb"
    copy.write_bytes(first.db_path.read_bytes())
    renamed = tmp_path / "renamed.duckdb"
    renamed.write_bytes(first.db_path.read_bytes())
    dbt_invoke.invoke(list(BUILD), dbt_vars={"events_path": str(landing / "*.parquet")}, db_path=renamed,
                      target_path=tmp_path / "target_renamed")
    diffs = _differences(copy, renamed)
    assert not {n: d for n, d in diffs.items() if d[1] or d[2]}
    with duckdb.connect(str(renamed), read_only=True) as con:
        for table in ("stg_events__classified", "int_user_days_history", "int_order_days",
                      "int_user_feature_days_history", "int_cart_timeline_history",
                      "int_user_activity", "int_user_periods", "int_user_features", "int_orders",
                      "int_user_carts", "int_user_gaps", "int_daily_active_users"):
            # nothing was rewritten: every row keeps the first run's load batch
            assert con.sql(f"select count(distinct load_batch) from {table}").fetchall()[0][0] == 1, table


def test_incremental_runs_read_only_new_files(daily, tmp_path: Path) -> None:
    """On Parquet files an incremental run reads the files it has not loaded, and nothing else;
    a loaded file that grew is read again (rows past the loaded ones are new), and one that
    lost rows stops the run with a message naming it."""
    _, runs = daily
    files = runs[-1]
    landing = landing_with(files[:-1], tmp_path / "landing")
    stage = ("build", "--select", "+event_row_accounting", "--indirect-selection", "cautious",
             "--exclude", "test_type:unit")
    first = run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage)
    loaded = first.query("select count(*) as n, max(event_row_id) as top, "
                         "count(source_file) as with_file from stg_events__classified")
    n_loaded, top = int(loaded["n"][0]), int(loaded["top"][0])
    assert int(loaded["with_file"][0]) == n_loaded == top

    # a loaded file rewritten with the same row count is not read again: its new user ids never appear
    history = landing / files[0].name
    duckdb.execute(f"copy (select * replace ('rewritten' as user_id) from read_parquet('{files[0]}')) "
                   f"to '{history}' (format parquet)")
    new_file = landing / files[-1].name
    new_file.write_bytes(files[-1].read_bytes())
    n_new = duckdb.sql(f"select count(*) from read_parquet('{new_file}')").fetchall()[0][0]
    second = run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage)
    after = second.query(
        "select count(*) as n, count(case when user_id = 'rewritten' then 1 end) as rewritten, "
        f"min(case when source_file = '{new_file}' then event_row_id end) as first_new, "
        f"max(case when source_file = '{new_file}' then event_row_id end) as last_new "
        "from stg_events__classified")
    assert int(after["n"][0]) == n_loaded + n_new
    assert int(after["rewritten"][0]) == 0
    assert (int(after["first_new"][0]), int(after["last_new"][0])) == (top + 1, top + n_new)

    # a loaded file that grew: its extra rows are new rows
    duckdb.execute(f"copy (select * from read_parquet('{files[-1]}') union all "
                   f"(select * from read_parquet('{files[-1]}') limit 5)) to '{new_file}' (format parquet)")
    third = run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage)
    assert third.query("select count(*) as n from stg_events__classified")["n"][0] == n_loaded + n_new + 5

    # a loaded file that lost rows: a clear error, nothing rebuilt
    duckdb.execute(f"copy (select * from read_parquet('{files[0]}') limit 10) to '{history}' (format parquet)")
    failed = run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage, check=False)
    assert not failed.result.success
    assert any(history.name in message and "--full-refresh" in message for _, _, message in failed.result.nodes)
    assert third.query("select count(*) as n from stg_events__classified")["n"][0] == n_loaded + n_new + 5


def test_data_tests_check_the_rows_of_the_latest_load(daily, tmp_path: Path) -> None:
    """The data tests of the event-grain and user-day models test the rows the latest run wrote
    (every row after a full build); uniqueness compares the new keys, of one column or several,
    with every loaded row; the var data_tests_scope: all tests every row."""
    _, runs = daily
    files = runs[-1]
    landing = landing_with(files[:-1], tmp_path / "landing")
    stage = ("build", "--select", "+stg_events", "+int_user_days_history", "--indirect-selection", "cautious", "--exclude", "test_type:unit")
    run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage)
    (landing / files[-1].name).write_bytes(files[-1].read_bytes())
    build = run_dbt_build(landing / "*.parquet", tmp_path / "w", command=stage)
    batches = build.query("select min(load_batch) as old, max(load_batch) as new from stg_events__classified")
    old, new = int(batches["old"][0]), int(batches["new"][0])
    assert old < new

    def data_tests(scope: str | None = None) -> set[str]:
        """The failing data tests of stg_events__classified, stg_events and int_user_days_history."""
        step = run_dbt_build(landing / "*.parquet", tmp_path / "w", {"data_tests_scope": scope} if scope else None,
                             command=("test", "--select", "stg_events__classified", "stg_events", "int_user_days_history",
                                      "--indirect-selection", "cautious", "--exclude", "test_type:unit"),
                             check=False)
        return {name.split(".")[2] for name, status, _ in step.result.nodes if status == "fail"}

    def execute(sql: str) -> None:
        with duckdb.connect(str(build.db_path)) as con:
            con.execute(sql)

    assert data_tests() == set()
    # a row an earlier run wrote (and tested) goes bad: only the whole-table scope sees it
    execute("update stg_events__classified set duplicate_reason = 'bogus' "
            f"where event_row_id = (select min(event_row_id) from stg_events__classified where load_batch = {old})")
    assert data_tests() == set()
    failing_all = data_tests("all")
    assert len(failing_all) == 1 and next(iter(failing_all)).startswith("accepted_values_stg_events__classified_duplicate")
    # a new row repeats the event id of a row loaded by an earlier run: the latest-load scope sees it
    # (the row's event_id_hash is of its id, as the model writes it: DuckDB's hash())
    execute(f"""
        update stg_events__classified set event_id = (
            select min(event_id) from stg_events where load_batch = {old}
        )
        where event_row_id = (select max(event_row_id) from stg_events where load_batch = {new})""")
    execute(f"update stg_events__classified set event_id_hash = hash(event_id) where load_batch = {new}")
    assert "unique_stg_events_event_id" in data_tests()
    # two-column scope: a user-day written by an earlier run again beside one of the latest run
    # is seen; a user-day repeated among earlier rows only is seen by the whole-table scope only
    user_day_test = "unique_combination_int_user_days_history_user_id__activity_date"
    execute(f"""
        insert into int_user_days_history
        select * replace ({old} as load_batch) from int_user_days_history
        where (user_id, activity_date) = (
            select (user_id, activity_date) from int_user_days_history where load_batch = {new}
            order by user_id, activity_date limit 1
        )""")
    assert user_day_test in data_tests()
    execute(f"delete from int_user_days_history where load_batch = {old} and (user_id, activity_date) in ("
            f"select user_id, activity_date from int_user_days_history where load_batch = {new})")
    execute(f"""
        insert into int_user_days_history
        select * from int_user_days_history where load_batch = {old}
        order by user_id, activity_date limit 1""")
    assert user_day_test not in data_tests()
    assert user_day_test in data_tests("all")


def test_edited_definitions_recompute_every_row(daily, tmp_path: Path) -> None:
    """The incremental histories follow what defines their derived columns: after an edit of
    the seed event_taxonomy and of the benefit vars, the next incremental run recomputes every
    feature day and every order-day, as a full build would."""
    _, runs = daily
    project = copy_project(tmp_path / "project")
    landing = landing_with(runs[-2], tmp_path / "landing")
    first = run_dbt_build(landing / "*.parquet", tmp_path / "inc", command=BUILD, project_dir=project)
    features = "select feature, count(*) as n from {} group by 1"
    before = dict(first.query(features.format("int_user_feature_days_history")).values.tolist())
    assert before.get("compare", 0) > 0 and before.get("sharing", 0) > 0
    discounted = "select count(case when discounted_events > 0 then 1 end) as n from int_order_days"
    assert first.query(discounted)["n"][0] > 0
    assert first.query("select count(*) as n from int_orders where is_discounted")["n"][0] > 0

    # compare events now count as wishlist use; sharing is no feature any more
    seed = project / "seeds" / "event_taxonomy.csv"
    lines = seed.read_text().splitlines()
    edited = [line.replace(",compare,discovery,", ",wishlist,engagement,") for line in lines
              if ",sharing," not in line]
    assert edited != lines
    seed.write_text("\n".join(edited) + "\n")
    # and only a property the generator never writes marks a discount
    new_vars = {"discount_properties": ["voucher"]}
    (landing / runs[-1][-1].name).write_bytes(runs[-1][-1].read_bytes())
    inc = run_dbt_build(landing / "*.parquet", tmp_path / "inc", new_vars, command=BUILD, project_dir=project)
    after = dict(inc.query(features.format("int_user_feature_days_history")).values.tolist())
    assert "compare" not in after and "sharing" not in after
    assert after["wishlist"] > before["wishlist"]
    assert inc.query("select count(distinct taxonomy_fingerprint) as n from int_user_feature_days_history")["n"][0] == 1
    assert inc.query(discounted)["n"][0] == 0
    assert inc.query("select count(distinct definition_fingerprint) as n from int_order_days")["n"][0] == 1
    # int_orders follows int_order_days: every user's orders summed again, none discounted
    assert inc.query("select count(*) as n from int_orders where is_discounted")["n"][0] == 0
    assert inc.query("select count(distinct definition_fingerprint) as n from int_orders")["n"][0] == 1

    full = run_dbt_build(landing / "*.parquet", tmp_path / "full", new_vars, command=BUILD, project_dir=project)
    diffs = _differences(full.db_path, inc.db_path)
    bad = {name: d for name, d in diffs.items() if d[1] or d[2]}
    assert not bad, f"relations that differ (rows, only in full, only in incremental): {bad}"
    assert diffs["user_feature_adoption"][0] > 0 and diffs["user_benefit_segments"][0] > 0
