"""Privacy (docs/definitions.md, section 9): erasure, marketing consent and personal data.

Three builds of one small event log, each checked from the outside, by reading every
relation of the finished DuckDB file:

- ``listed``: erasure through a CSV file (var ``erasure_list_path``), consent events, and
  ``properties`` hashed with a salt;
- ``seeded``: erasure through the seed ``erasure_requests`` and a withdrawal in the seed
  ``consent_withdrawals`` (both written into the seed tables between ``dbt seed`` and
  ``dbt build``, exactly what the models read), no salt at all;
- ``hashed``: ``hash_user_id: true`` and ``pii_mode: drop`` with a salt.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Iterable

import duckdb
import pytest

from tests.integration.conftest import DbtBuild, run_dbt_build

SALT = "pepper-for-tests"
AS_OF = "2024-06-30"
ERASURE_SEED = "erasure_requests"  # the suppression list itself must keep the ids

HEADER = ["event_id", "user_id", "event_name", "event_ts", "session_id", "revenue", "order_id", "properties"]
KEEP_A_EMAIL = "keep.a@example.com"
KEEP_A_PHONE = "+1-555-0100"
ERASE1_EMAIL = "erase1@example.com"

EVENTS = [
    # keep_a: personal data in properties (also on a quarantined row)
    ["e-ka-1", "keep_a", "signup", "2024-06-01 09:00:00", "s-ka-1", "", "",
     json.dumps({"email": KEEP_A_EMAIL, "phone": KEEP_A_PHONE, "plan": "pro"})],
    ["e-ka-2", "keep_a", "purchase", "2024-06-10 10:00:00", "s-ka-2", "20", "o-ka-1",
     json.dumps({"email": KEEP_A_EMAIL})],
    ["e-ka-3", "keep_a", "app_open", "2024-06-28 08:00:00", "s-ka-3", "", "", "not json at all"],
    ["e-ka-4", "keep_a", "purchase", "2024-06-11 10:00:00", "s-ka-4", "-1", "o-ka-2",
     json.dumps({"email": KEEP_A_EMAIL})],
    # keep_b: subscribed, bought, then unsubscribed (event name as a tracker writes it)
    ["e-kb-1", "keep_b", "subscribe", "2024-05-01 09:00:00", "s-kb-1", "", "", ""],
    ["e-kb-2", "keep_b", "purchase", "2024-05-02 09:00:00", "s-kb-1", "10", "o-kb-1", ""],
    ["e-kb-3", "keep_b", "Unsubscribe", "2024-06-15 12:00:00", "s-kb-2", "", "", ""],
    ["e-kb-4", "keep_b", "page_view", "2024-06-20 12:00:00", "s-kb-3", "", "", ""],
    # keep_c: withdraws consent outside the event log in the `seeded` build
    ["e-kc-1", "keep_c", "signup", "2024-06-05 09:00:00", "s-kc-1", "", "", ""],
    ["e-kc-2", "keep_c", "purchase", "2024-06-06 09:00:00", "s-kc-1", "15", "o-kc-1", ""],
    # another user than erase_me_1: ids are case-sensitive
    ["e-case-1", "ERASE_ME_1", "app_open", "2024-06-10 09:00:00", "s-case-1", "", "", ""],
    # erase_me_1: clean, duplicate, quarantined, after as_of and unparseable rows
    ["x-erase1-e1", "  erase_me_1 ", "signup", "2024-06-02 09:00:00", "s-erase1", "", "",
     json.dumps({"email": ERASE1_EMAIL, "note": "erase1-marker"})],
    ["x-erase1-e2", "erase_me_1", "purchase", "2024-06-03 09:00:00", "s-erase1", "55.5", "o-erase1", ""],
    ["x-erase1-e2", "erase_me_1", "purchase", "2024-06-03 09:00:00", "s-erase1", "55.5", "o-erase1", ""],
    ["x-erase1-e3", "erase_me_1", "purchase", "2024-06-03 10:00:00", "s-erase1", "-3", "o-erase1b", ""],
    ["x-erase1-e4", "erase_me_1", "unsubscribe", "2024-06-04 09:00:00", "s-erase1", "", "", ""],
    ["x-erase1-e5", "erase_me_1", "app_open", "2024-07-05 09:00:00", "s-erase1", "", "", ""],
    ["x-erase1-e6", "erase_me_1", "app_open", "erase1-not-a-time", "s-erase1", "", "", ""],
    # erase_me_2: erased through the seed in the `seeded` build
    ["x-erase2-e1", "erase_me_2", "page_view", "2024-06-12 09:00:00", "s-erase2", "", "",
     json.dumps({"note": "erase2-marker"})],
    ["x-erase2-e2", "erase_me_2", "purchase", "2024-06-12 09:05:00", "s-erase2", "30", "o-erase2", ""],
]
ERASE1_ROWS = sum(1 for r in EVENTS if r[1].strip() == "erase_me_1")
ERASE2_ROWS = sum(1 for r in EVENTS if r[1].strip() == "erase_me_2")
ERASE1_TRACES = ["erase_me_1", "x-erase1", "s-erase1", "o-erase1", ERASE1_EMAIL, "erase1-marker", "erase1-not-a-time"]
ERASE2_TRACES = ["erase_me_2", "x-erase2", "s-erase2", "o-erase2", "erase2-marker"]
KEPT_USERS = ["keep_a", "keep_b", "keep_c", "ERASE_ME_1"]


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def find_text(db_path: Path, needles: Iterable[str], skip: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(relation, column, needle) for every column of every relation holding a needle.

    Every table and view of every schema, every column read as text, case-sensitive.
    """
    hits: list[tuple[str, str, str]] = []
    skip = {s.lower() for s in skip}
    with duckdb.connect(str(db_path), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() order by all"
        ).fetchall()
        assert columns, "no relations found"
        for schema, table, column in columns:
            if table.lower() in skip:
                continue
            for needle in needles:
                found = con.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where contains(cast("{column}" as varchar), ?)',
                    [needle],
                ).fetchone()[0]
                if found:
                    hits.append((f"{schema}.{table}", column, needle))
    return hits


def accounting(build: DbtBuild) -> dict[str, int]:
    rows = build.query("select row_status, row_count from event_row_accounting").itertuples(index=False)
    return {status: int(count) for status, count in rows}


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("privacy_events") / "events.csv", HEADER, EVENTS)


@pytest.fixture(scope="module")
def listed(events_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """Erasure through a list file (id with white space around it, a blank line); salt set."""
    work = tmp_path_factory.mktemp("privacy_listed")
    erasure_list = work / "erasure.csv"
    erasure_list.write_text("user_id,requested_at\n erase_me_1 ,2024-07-01\n,\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BEHAVIORAL_SEGMENTS_PII_SALT", SALT)
        return run_dbt_build(events_csv, work, {"as_of": AS_OF, "erasure_list_path": str(erasure_list)})


@pytest.fixture(scope="module")
def seeded(events_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """Erasure and a consent withdrawal through the seeds; no salt."""
    work = tmp_path_factory.mktemp("privacy_seeded")
    dbt_vars = {"as_of": AS_OF}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("BEHAVIORAL_SEGMENTS_PII_SALT", raising=False)
        seeded_build = run_dbt_build(events_csv, work, dbt_vars, command=("seed",))
        with duckdb.connect(str(seeded_build.db_path)) as con:
            con.execute("insert into main.erasure_requests values (' erase_me_2', date '2024-07-01')")
            con.execute("insert into main.consent_withdrawals values ('keep_c', date '2024-06-01')")
        return run_dbt_build(events_csv, work, dbt_vars, command=("build", "--exclude", "resource_type:seed"))


@pytest.fixture(scope="module")
def hashed(events_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """hash_user_id and pii_mode drop with a salt; erase_me_1 erased through a list file."""
    work = tmp_path_factory.mktemp("privacy_hashed")
    erasure_list = write_csv(work / "erasure.csv", ["user_id"], [["erase_me_1"]])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BEHAVIORAL_SEGMENTS_PII_SALT", SALT)
        return run_dbt_build(events_csv, work, {
            "as_of": AS_OF, "erasure_list_path": str(erasure_list), "hash_user_id": True, "pii_mode": "drop",
        })


# ---------- erasure


def test_erasure_through_a_list_file_leaves_no_trace(listed):
    assert find_text(listed.db_path, ERASE1_TRACES) == []
    # the search finds the same kind of traces of a user who was not erased
    assert {needle for _, _, needle in find_text(listed.db_path, ERASE2_TRACES)} == set(ERASE2_TRACES)
    # the other users, the case-variant id included, are all there
    assert set(listed.table("user_segments")["user_id"]) == set(KEPT_USERS) | {"erase_me_2"}


def test_erasure_through_a_list_file_is_accounted_for(listed):
    counts = accounting(listed)
    assert counts.get("erased") == ERASE1_ROWS
    assert sum(counts.values()) == len(EVENTS)


def test_erasure_through_the_seed_leaves_no_trace(seeded):
    assert find_text(seeded.db_path, ERASE2_TRACES, skip=[ERASURE_SEED]) == []
    # erase_me_1 is not erased here: every trace but the (dropped) e-mail address is found
    found = {needle for _, _, needle in find_text(seeded.db_path, ERASE1_TRACES)}
    assert found == set(ERASE1_TRACES) - {ERASE1_EMAIL}
    # the list itself keeps the id: it is what keeps the user out of later runs
    assert seeded.query("select count(*) as n from erasure_requests")["n"][0] == 1
    assert set(seeded.table("user_segments")["user_id"]) == set(KEPT_USERS) | {"erase_me_1"}


def test_erasure_through_the_seed_is_accounted_for(seeded):
    counts = accounting(seeded)
    assert counts.get("erased") == ERASE2_ROWS
    assert sum(counts.values()) == len(EVENTS)


def test_hashed_user_ids_still_erase_by_the_clear_id(hashed):
    traces = [*ERASE1_TRACES, sha256_hex(SALT + "erase_me_1")]
    assert find_text(hashed.db_path, traces) == []
    assert accounting(hashed).get("erased") == ERASE1_ROWS


# ---------- marketing consent


def test_withdrawal_event_keeps_the_user_in_analytics_but_out_of_the_export(listed):
    consent = listed.table("user_marketing_consent").set_index("user_id")
    assert not consent.loc["keep_b", "has_marketing_consent"]
    assert consent.loc["keep_b", "consent_source"] == "consent_event"
    assert str(consent.loc["keep_b", "consent_changed_at"]) == "2024-06-15 12:00:00"
    assert consent.loc["keep_a", "has_marketing_consent"]
    assert consent.loc["keep_a", "consent_source"] == "default"

    assert "keep_b" in set(listed.table("fct_user_behavior")["user_id"])
    assert "keep_b" in set(listed.table("user_segments")["user_id"])
    users = len(listed.table("fct_user_behavior"))
    summary = listed.table("segment_summary")
    for dimension, per_dimension in summary.groupby("segment_dimension"):
        assert per_dimension["users"].sum() == users, dimension

    exported = set(listed.table("marketing_user_segments")["user_id"])
    assert exported == set(consent.index[consent["has_marketing_consent"]])
    assert "keep_b" not in exported and "keep_a" in exported


def test_user_segments_says_who_has_consent(listed):
    flags = listed.table("user_segments").set_index("user_id")["has_marketing_consent"]
    assert not flags["keep_b"]
    assert flags.drop("keep_b").all()


def test_withdrawal_list_keeps_the_user_out_of_the_export(seeded):
    consent = seeded.table("user_marketing_consent").set_index("user_id")
    assert not consent.loc["keep_c", "has_marketing_consent"]
    assert consent.loc["keep_c", "consent_source"] == "withdrawal_list"
    assert str(consent.loc["keep_c", "consent_changed_at"]) == "2024-06-01 00:00:00"
    exported = set(seeded.table("marketing_user_segments")["user_id"])
    assert "keep_c" not in exported and "keep_b" not in exported
    assert "keep_c" in set(seeded.table("user_segments")["user_id"])


# ---------- personal data


def test_pii_properties_are_hashed_with_the_salt(listed):
    props = listed.query(
        "select event_id, properties from stg_events where user_id = 'keep_a' order by event_id"
    ).set_index("event_id")["properties"]
    signup = json.loads(props["e-ka-1"])
    assert signup == {
        "email": sha256_hex(SALT + KEEP_A_EMAIL),
        "phone": sha256_hex(SALT + KEEP_A_PHONE),
        "plan": "pro",
    }
    assert json.loads(props["e-ka-2"]) == {"email": sha256_hex(SALT + KEEP_A_EMAIL)}
    assert props["e-ka-3"] == "not json at all"  # not JSON: passes through
    assert find_text(listed.db_path, [KEEP_A_EMAIL, KEEP_A_PHONE]) == []


def test_pii_properties_are_dropped_without_a_salt(seeded):
    props = seeded.query("select event_id, properties from stg_events where user_id = 'keep_a'")
    props = props.set_index("event_id")["properties"]
    assert json.loads(props["e-ka-1"]) == {"plan": "pro"}
    assert json.loads(props["e-ka-2"]) == {}
    assert find_text(seeded.db_path, [KEEP_A_EMAIL, KEEP_A_PHONE, sha256_hex(KEEP_A_EMAIL)]) == []


def test_pii_mode_drop_removes_the_keys(hashed):
    props = hashed.query("select properties from stg_events where properties like '{%'")["properties"]
    assert len(props) >= 2
    for text in props:
        assert not {"email", "phone"} & set(json.loads(text)), text
    assert find_text(hashed.db_path, [KEEP_A_EMAIL, KEEP_A_PHONE, sha256_hex(SALT + KEEP_A_EMAIL)]) == []


def test_hash_user_id_leaves_no_clear_id(hashed):
    expected = {sha256_hex(SALT + u): u for u in [*KEPT_USERS, "erase_me_2"]}
    for mart in ["fct_user_behavior", "user_segments", "user_marketing_consent"]:
        assert set(hashed.table(mart)["user_id"]) == set(expected), mart
    assert find_text(hashed.db_path, [*KEPT_USERS, "erase_me_2"]) == []
    # consent still follows the (hashed) user's events
    exported = {expected[u] for u in hashed.table("marketing_user_segments")["user_id"]}
    assert exported == {"keep_a", "keep_c", "ERASE_ME_1", "erase_me_2"}


def test_the_salt_is_never_written_into_sql_or_dbt_artifacts(hashed):
    """Compiled SQL, manifest.json, run_results.json and the partial-parse cache are often kept
    as CI artifacts: the salt must reach DuckDB as a session variable, never as SQL text."""
    target = hashed.db_path.parent / "target"
    assert any(target.rglob("*.sql")), "no compiled SQL to search"
    leaked = [str(p) for p in target.rglob("*") if p.is_file() and SALT.encode() in p.read_bytes()]
    assert leaked == []
