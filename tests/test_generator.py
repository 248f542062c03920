"""The sample-centre generator: deterministic, canonical files, and the cases every metric needs."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from cxmart.connectors import schema
from cxmart.generator import generate

FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})\.csv(\.gz)?$")


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        reader = csv.reader(fh)
        return next(reader), list(reader)


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    args = {"days": 3, "agents": 12, "sites": 2}
    counts = generate(tmp_path / "a", seed=5, **args)
    generate(tmp_path / "b", seed=5, **args)
    generate(tmp_path / "c", seed=6, **args)
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert a and a == b
    assert a != c
    assert set(counts) == {e.name for e in schema.ENTITIES}
    for entity, n in counts.items():
        files = list((tmp_path / "a" / entity).glob("*.csv"))
        assert sum(len(_rows(f)[1]) for f in files) == n, entity


def test_compressed_output_is_deterministic_and_holds_the_same_csv(tmp_path):
    args = {"days": 2, "agents": 8, "sites": 2, "seed": 3}
    generate(tmp_path / "plain", **args)
    generate(tmp_path / "gz1", compress=True, **args)
    generate(tmp_path / "gz2", compress=True, **args)
    assert _digests(tmp_path / "gz1") == _digests(tmp_path / "gz2")
    plain = sorted((tmp_path / "plain").rglob("*.csv"))
    assert plain
    for p in plain:
        gz = tmp_path / "gz1" / p.relative_to(tmp_path / "plain")
        assert gzip.decompress(gz.with_name(gz.name + ".gz").read_bytes()) == p.read_bytes()


def test_progress_is_reported_after_each_day(tmp_path):
    seen: list[tuple[int, int]] = []
    generate(tmp_path, days=3, agents=6, sites=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.fixture(scope="module")
def dst_centre(tmp_path_factory) -> Path:
    """Four days around the European spring DST change (2026-03-29)."""
    out = tmp_path_factory.mktemp("dst")
    generate(out, days=4, agents=16, sites=3, seed=2, start=dt.date(2026, 3, 27))
    return out


def test_files_follow_the_canonical_schema_and_layout(dst_centre):
    site_zones = {r[0]: ZoneInfo(r[2]) for r in _rows(dst_centre / "sites" / "sites.csv")[1]}
    seen = set()
    for path in sorted(dst_centre.rglob("*.csv")):
        entity = schema.entity(path.parent.name)
        seen.add(entity.name)
        header, rows = _rows(path)
        assert header == entity.column_names, path.name
        m = FILE_DATE.search(path.name)
        if entity.kind == "reference":
            assert m is None and path.name == f"{entity.name}.csv"
        else:
            assert m, path.name
        site = path.name[len(entity.name) + 1 :].split("_")[0] if m else None
        zone = site_zones.get(site) if site else None
        for row in rows:
            assert len(row) == len(header), path.name
            for col, value in zip(entity.columns, row, strict=True):
                if value == "":
                    assert not col.required, (path.name, col.name)
                    continue
                if col.domain:
                    assert value in col.domain, (path.name, col.name, value)
                if col.type == schema.BOOL:
                    assert value in ("true", "false"), (path.name, col.name, value)
                elif col.type == schema.DATE:
                    dt.date.fromisoformat(value)
                elif col.type == schema.TS:
                    ts = dt.datetime.fromisoformat(value)
                    assert ts.utcoffset() is not None, value
                    if zone is not None:  # the offset in force at that instant, in the site's zone
                        assert ts.utcoffset() == ts.astimezone(zone).utcoffset(), (path, value)
                    else:  # organisation-level rows are in UTC
                        assert value.endswith("+00:00"), (path, value)
                    if col.name == entity.period_column and m:
                        local = ts.astimezone(zone) if zone else ts
                        assert local.date().isoformat() == m.group(1), (path.name, value)
    assert seen == {e.name for e in schema.ENTITIES}


def test_london_offsets_change_across_the_dst_switch(dst_centre):
    def offsets(site: str, day: str) -> set[str]:
        """UTC offsets of the rows filed under one site and local day (their period column)."""
        out = set()
        for p in dst_centre.rglob(f"*_{site}_{day}.csv"):
            entity = schema.entity(p.parent.name)
            header, rows = _rows(p)
            if schema.entity(entity.name).column(entity.period_column).type == schema.TS:
                i = header.index(entity.period_column)
                out |= {r[i][-6:] for r in rows if r[i]}
        return out

    assert offsets("LON", "2026-03-28") == {"+00:00"}
    assert offsets("LON", "2026-03-29") == {"+00:00", "+01:00"}  # a day with two offsets
    assert offsets("LON", "2026-03-30") == {"+01:00"}
    assert offsets("NYC", "2026-03-28") == {"-04:00"}  # New York switched on 8 March
    assert offsets("MNL", "2026-03-29") == {"+08:00"}  # Manila has no DST


@pytest.fixture(scope="module")
def centre(tmp_path_factory):
    """Five weeks of a small centre, queried with DuckDB straight from the CSV files."""
    out = tmp_path_factory.mktemp("centre")
    generate(out, days=35, agents=30, sites=2, seed=7, start=dt.date(2026, 3, 20))
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for e in schema.ENTITIES:
        types = {c.name: {schema.TS: "TIMESTAMPTZ", schema.NUM: "DOUBLE", schema.INT: "BIGINT",
                          schema.BOOL: "BOOLEAN", schema.DATE: "DATE"}.get(c.type, "VARCHAR")
                 for c in e.columns}  # fmt: skip
        con.execute(
            f"create view {e.name} as select * from read_csv('{out}/{e.name}/*.csv', "
            f"header = true, columns = {types!r})"
        )
    yield con
    con.close()


def one(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_voice_has_short_abandons_system_exits_and_transfers_with_a_second_segment(centre):
    short = """select count(*) from acd_contacts a join queues q using (queue_id)
               where a.outcome = 'abandoned' and a.abandoned
                 and a.wait_seconds < q.short_abandon_seconds"""
    assert one(centre, short) > 0
    long_abandons = "select count(*) from acd_contacts where abandoned and wait_seconds >= 5"
    assert one(centre, long_abandons) > 0
    for outcome in ("timeout", "exit_key", "no_agents", "callback", "overflow"):
        assert one(centre, f"select count(*) from acd_contacts where outcome = '{outcome}'") > 0
    transferred = """select count(*) from acd_contacts t join acd_contacts s
                       on s.contact_id = t.contact_id and s.segment_id = '2'
                      and s.queue_id = t.transferred_to_queue and s.offered_at >= t.ended_at
                     where t.outcome = 'transfer' and t.segment_id = '1'"""
    assert one(centre, transferred) > 0
    orphans = """select count(*) from acd_contacts s where segment_id = '2' and not exists (
                   select 1 from acd_contacts t where t.contact_id = s.contact_id
                   and t.segment_id = '1' and t.outcome in ('transfer', 'overflow', 'callback'))"""
    assert one(centre, orphans) == 0
    # Waits of answered calls straddle the service-level thresholds.
    assert one(centre, "select count(*) from acd_contacts where answered_at is not null "
                       "and wait_seconds > 60") > 0  # fmt: skip
    assert one(centre, "select min(customer_key) from acd_contacts").startswith("cust-")


def test_24x7_queues_have_contacts_crossing_local_midnight(centre):
    sql = """select count(*) from acd_contacts a join queues q using (queue_id)
             join sites s on s.site_id = a.site_id
             where q.calendar_id = 'CAL-24X7'
               and timezone(s.time_zone, a.ended_at)::date
                 > timezone(s.time_zone, a.offered_at)::date"""
    assert one(centre, sql) > 0


def test_chats_overlap_for_one_agent_never_beyond_three(centre):
    sql = """with c as (select chat_id, agent_id, first_human_response_at s,
                               ended_at + to_seconds(wrap_seconds) e
                        from chat_sessions where agent_id is not null)
             select count(*), max(n) from (
               select a.chat_id, count(*) n from c a join c b
                 on a.agent_id = b.agent_id and b.s <= a.s and a.s < b.e group by all)
             where n > 1"""
    overlapping, most = centre.execute(sql).fetchall()[0]
    assert overlapping > 0 and most <= 3


def test_chat_messages_tell_the_session_story(centre):
    bot_first = """select count(*) from (
                     select chat_id, min(sent_at) filter (where sender = 'agent') a,
                            min(sent_at) filter (where sender = 'bot') b
                     from chat_messages group by all) where b < a"""
    assert one(centre, bot_first) > 0
    mismatch = """select count(*) from chat_sessions s left join (
                    select chat_id, min(sent_at) filter (where sender = 'agent') a
                    from chat_messages group by all) m using (chat_id)
                  where s.first_human_response_at is distinct from m.a"""
    assert one(centre, mismatch) == 0
    assert one(centre, "select count(*) from chat_sessions where chat_type = 'proactive' "
                       "and requested_at is null") > 0  # fmt: skip
    assert one(centre, "select count(*) from chat_sessions where established "
                       "and end_reason = 'customer_left'") > 0  # fmt: skip
    assert one(centre, "select count(*) from chat_sessions where requested_at is not null "
                       "and first_human_response_at is null") > 0  # fmt: skip


def test_tickets_have_missing_due_times_reopens_cases_and_open_items(centre):
    assert one(centre, "select count(*) from tickets where due_at is null") > 0
    assert one(centre, "select count(*) from tickets where due_at is not null") > 0
    assert one(centre, "select count(*) from tickets where completed_at > due_at") > 0
    assert one(centre, "select count(*) from tickets where completed_at is null") > 0
    assert one(centre, "select count(*) from ticket_events "
                       "where status_from = 'solved' and status_to = 'open'") > 0  # fmt: skip
    assert one(centre, "select max(n) from (select case_id, count(*) n from tickets "
                       "where case_id is not null group by all)") > 1  # fmt: skip
    assert one(centre, "select count(*) from tickets where channel = 'backoffice'") > 0


def test_roster_has_the_people_events_attrition_needs(centre):
    temp_early = """select count(*) from staff_roster where employment_type = 'temporary'
                    and separated_at < contract_end_at"""
    temp_on_end = """select count(*) from staff_roster where employment_type = 'temporary'
                     and separated_at = contract_end_at"""
    assert one(centre, temp_early) > 0 and one(centre, temp_on_end) > 0
    moved = """select count(*) from staff_roster o join staff_roster n
                 on n.employee_id = o.employee_id and n.program_id <> o.program_id
                and n.hired_at = o.separated_at + 1
               where o.separation_type = 'transfer' and o.backfilled = {}"""
    assert one(centre, moved.format("true")) > 0
    assert one(centre, moved.format("false")) > 0
    assert one(centre, "select count(*) from staff_roster where hired_at >= '2026-03-20'") > 0


def test_roster_has_requested_starts_trainings_and_proficiency(centre):
    # backfill hires carry a requested start; new assignments finish training on their 7th day
    assert one(centre, "select count(*) from staff_roster where requested_start_at is not null") > 0
    trained = """select count(*) from staff_roster where training_completed_at = hired_at + 6"""
    assert one(centre, trained) > 0
    assert one(centre, "select count(*) from staff_roster where training_completed_at is not null "
                       "and training_completed_at <> hired_at + 6") == 0  # fmt: skip
    assert one(centre, "select count(*) from staff_roster where proficient_at is not null") > 0
    assert one(centre, "select count(*) from staff_roster "
                       "where proficient_at <= training_completed_at") == 0  # fmt: skip


def test_nobody_works_outside_their_employment(centre):
    emp = """(select employee_id, min(hired_at) h, max(coalesce(separated_at, '2100-01-01')) s
              from staff_roster group by all)"""
    for entity, who, when in (
        ("agent_states", "agent_id", "started_at"),
        ("wfm_schedules", "agent_id", "started_at"),
        ("acd_contacts", "agent_id", "answered_at"),
        ("chat_sessions", "agent_id", "first_human_response_at"),
        ("ticket_events", "assignee_id", "event_at"),
    ):
        sql = f"""select count(*) from {entity} x join {emp} e on e.employee_id = x.{who}
                  where x.{when}::date > e.s + 1 or x.{when}::date < e.h - 1"""
        assert one(centre, sql) == 0, entity
        unknown = f"""select count(*) from {entity} where {who} is not null
                      and {who} not in (select employee_id from staff_roster)"""
        assert one(centre, unknown) == 0, entity


def test_surveys_qa_forecasts_and_bots_give_metric_inputs(centre):
    linked = """select count(*) from survey_responses r where not exists (
                  select 1 from acd_contacts c where c.contact_id = r.contact_id
                  union all select 1 from chat_sessions c where c.chat_id = r.contact_id
                  union all select 1 from tickets t where t.ticket_id = r.contact_id)"""
    assert one(centre, "select count(*) from survey_responses") > 0
    assert one(centre, linked) == 0
    assert one(centre, "select count(distinct overall_scale_max) from survey_responses") == 2
    assert one(centre, "select count(*) from survey_responses where effort_score is not null") > 0
    # Long waits lower satisfaction.
    by_wait = centre.execute(
        """select avg(r.overall_score) filter (where c.wait_seconds <= 20),
                  avg(r.overall_score) filter (where c.wait_seconds > 120)
           from survey_responses r join acd_contacts c
             on c.contact_id = r.contact_id and c.segment_id = '1'
           where r.overall_scale_max = 5"""
    ).fetchall()[0]
    assert by_wait[0] > by_wait[1]
    assert one(centre, "select count(*) from qa_evaluations where monitoring_mode = "
                       "'calibration'") > 1  # fmt: skip
    assert one(centre, "select count(*) from qa_evaluations where customer_critical_error") > 0
    assert one(centre, "select count(*) from qa_evaluations where selection = 'targeted'") > 0
    assert one(centre, "select count(distinct horizon) from wfm_forecasts") == 2
    assert one(centre, "select count(*) from absences where not planned") > 0
    assert one(centre, "select count(*) from absences where planned") > 0
    containment = "select avg(case when contained then 1 else 0 end) from bot_conversations"
    contained = one(centre, containment)
    assert 0.25 < contained < 0.65
    assert one(centre, "select count(distinct currency) from program_costs") == 2


def test_repeat_contacts_and_holidays(centre):
    repeat = """with c as (select customer_key k, offered_at t from acd_contacts
                           union all select customer_key, requested_at from chat_sessions
                           union all select customer_key, received_at from tickets)
                select count(*) from c a join c b on a.k = b.k and b.t > a.t
                 and b.t <= a.t + interval 7 day"""
    assert one(centre, repeat) > 0
    holidays = {(c, str(d)) for c, d in centre.execute("select * from holidays").fetchall()}
    assert {("CAL-LON", "2026-04-03"), ("CAL-LON", "2026-05-25"),
            ("CAL-NYC", "2026-05-25")} <= holidays  # fmt: skip


def test_outages_hit_bots_and_chat_queues_that_exist(centre):
    # Five weeks: a planned bot maintenance every Sunday and a chat release every Wednesday.
    assert one(centre, "select count(*) from system_outages where system = 'bot'") >= 5
    assert one(centre, "select count(*) from system_outages where system = 'chat'") >= 5
    assert one(centre, "select count(*) from system_outages where ended_at <= started_at") == 0
    unknown = """select count(*) from system_outages o where o.queue_id is not null
                 and o.queue_id not in (select queue_id from queues where channel = 'chat')"""
    assert one(centre, unknown) == 0
