"""Vendor readers: HR and survey exports in their native shapes, turned into canonical entities in SQL.

A landing folder named after a vendor (`<landing>/workday/`, `<landing>/qualtrics/`) is read
by that vendor's reader. The reader reads each file with DuckDB's own CSV reader into an
all-text temp table, builds the canonical entity's columns in SQL (`_cx_src`, plus the
records that are not rows of the target in `_cx_excl`), and hands them to the loader, which
applies every rule of an ordinary file: typing, quarantine with file, line and reason,
pseudonymisation, manifest, one transaction per load.

Two shapes of unit:

- *together*: a folder of related tables (Workday's history tables; the Qualtrics tables a
  Fivetran/API sync lands) is read as one unit. Every file has its own manifest entry; when
  any of them changes, the entity's rows from that folder are derived again from all of its
  current files and replace the earlier ones. The first file of the unit is the driving
  table: a row's `_file_id`/`_row` are the file version and record that name it.
- *file*: a native Qualtrics "Export Data -> CSV" file (three header rows) is one unit, with
  every single-file rule (unchanged, duplicate export, corrected re-export).

What cannot be read from the data is declared in `<landing>/sources.yml`, never guessed:
the `workday:` key (organisations -> program and site, job profiles -> role) and the
`qualtrics:` key (per survey: the overall and effort questions and their scales, and where
the contact id, channel, program... come from). A unit without its declaration is rejected
with a message saying what to declare. README.md ("HR and survey exports") shows both keys;
`connectors/mappings/sources.example.yml` is a full example.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from . import schema


class VendorError(ValueError):
    """The unit cannot be read: a table or a declaration is missing; the message says which."""


@dataclass
class Unit:
    """What the loader loads in one transaction: one export file, or a folder of related tables."""

    reader: Reader
    folder: str
    paths: list[str]
    together: bool = False


def _q(v: object) -> str:
    if v is None:
        return "null"
    return "'" + str(v).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stem(path: str) -> str:
    name = PurePosixPath(path).name.lower()
    for suffix in schema.SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _values(rows: list[tuple], cols: list[str]) -> str:
    """A small declared lookup as an inline relation of text columns (empty when nothing is declared)."""
    if not rows:
        nulls = ", ".join(f"null::varchar as {c}" for c in cols)
        return f"(select {nulls} where false)"
    body = ", ".join("(" + ", ".join(_q(x) for x in r) + ")" for r in rows)
    return f"(select * from (values {body}) as t({', '.join(cols)}))"


class Reader:
    """A vendor folder's reader; subclasses say which tables they read and how they map."""

    folder: str
    target: str
    tables: tuple[str, ...] = ()  # read together, in this order (the first drives)
    required: tuple[str, ...] = ()  # tables the unit cannot do without

    def table_of(self, path: str) -> str | None:
        return _stem(path)

    def units(self, folder: str, paths: list[str]) -> tuple[list[Unit], list[tuple[str, str]]]:
        """The units of this folder, and the files it does not read (with why)."""
        by_table: dict[str, str] = {}
        skipped: list[tuple[str, str]] = []
        for p in paths:
            t = self.table_of(p)
            if t in self.tables and t not in by_table:
                by_table[t] = p
            else:
                skipped.append((p, f"not a table the {self.folder} reader reads"))
        units = []
        if by_table:
            ordered = [by_table[t] for t in self.tables if t in by_table]
            units.append(Unit(self, folder, ordered, together=True))
        return units, skipped

    # -- helpers used while staging (inside the loader's transaction) -------------------------

    def _read(self, loader, index: int, table: str, required: tuple[str, ...]) -> list[str]:
        """Read file `index` of the load into temp table `table`; its header, checked."""
        from .loader import RejectedFile

        v = loader._versions[index]
        name = PurePosixPath(v.path).name
        try:
            header = [n.strip() for n in loader._csv_names(v.path)]
        except RejectedFile as exc:
            raise VendorError(f"{name}: {exc}") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise VendorError(f"{name}: header lacks column(s) {', '.join(missing)}")
        dupes = sorted({n for n in header if header.count(n) > 1})
        if dupes:
            raise VendorError(f"{name}: header repeats column(s) {', '.join(dupes)}")
        loader._read_csv(v.path, v.url, header, table)
        loader._extra_temp.append(table)
        return header

    def settings(self, loader) -> dict:
        data = loader.source_settings.get(self.folder)
        return data if isinstance(data, dict) else {}

    def stage_together(self, loader, e, unit: Unit, versions) -> None:
        raise NotImplementedError

    def stage_file(self, loader, e, path: str, url: str) -> None:
        raise VendorError(f"{PurePosixPath(path).name}: not a table the {self.folder} reader reads")


def _col(header: list[str], alias: str, name: str) -> str:
    """A column of a vendor table, or NULL when this export does not carry it."""
    return f"nullif(trim({alias}.{_ident(name)}), '')" if name in header else "null::varchar"


# ------------------------------------------------------------------------------------------
# Workday (Fivetran-landed tables) -> staff_roster
# ------------------------------------------------------------------------------------------

# Workday employee/worker types -> canonical employment_type; sources.yml may add or override.
WORKDAY_EMPLOYMENT_TYPES = {
    "regular": "permanent",
    "permanent": "permanent",
    "temporary": "temporary",
    "fixed_term": "temporary",
    "seasonal": "temporary",
    "intern": "temporary",
    "contingent": "agency",
    "contingent_worker": "agency",
    "contractor": "agency",
    "consultant": "agency",
    "agency": "agency",
}

_WORKDAY_DECLARE = """declare in sources.yml which Workday organisations are contact-centre programs
and which job profiles are CSS, e.g.
  workday:
    organizations: {<organization id>: {program_id: TELCO, site_id: LON}}
    roles: {<job profile id or code>: css}"""


def _norm_key(v: object) -> str:
    return str(v).strip().lower().replace(" ", "_").replace("-", "_")


class WorkdayReader(Reader):
    """Workday worker and position history (Fivetran tables) -> staff_roster.

    Reads `worker_position_history` (drives: one row per assignment), `worker_history`,
    `worker_position_organization_history` and, optionally, `job_profile` (file names as
    Fivetran lands them, with or without the `workday_` prefix and `_data` suffix). Other
    Workday tables (names, personal data...) are not read. DECISIONLOG "Workday Reader:
    Assignments From Position History" and "Workday Reader: Separations, Employment Type and
    Back-fill".
    """

    folder = "workday"
    target = "staff_roster"
    tables = (
        "worker_position_history",
        "worker_history",
        "worker_position_organization_history",
        "job_profile",
    )
    required = ("worker_position_history", "worker_history", "worker_position_organization_history")

    def table_of(self, path: str) -> str | None:
        return _stem(path).removeprefix("workday_").removesuffix("_data")

    def _declarations(self, loader):
        cfg = self.settings(loader)
        orgs, roles = cfg.get("organizations"), cfg.get("roles")
        if not isinstance(orgs, dict) or not orgs or not isinstance(roles, dict) or not roles:
            raise VendorError(f"no Workday declaration: {_WORKDAY_DECLARE}")
        org_rows = []
        for org, spec in orgs.items():
            if not isinstance(spec, dict) or not spec.get("program_id"):
                raise VendorError(
                    f"sources.yml workday.organizations.{org}: needs program_id (and site_id if "
                    "the site is not declared by business site under workday.sites)"
                )
            org_rows.append((str(org), str(spec["program_id"]), spec.get("site_id")))
        role_rows = [(str(k), str(v).strip().lower()) for k, v in roles.items()]
        sites = cfg.get("sites") or {}
        site_rows = [(str(k), str(v)) for k, v in sites.items()]
        types = {**WORKDAY_EMPLOYMENT_TYPES}
        types.update({_norm_key(k): str(v).lower() for k, v in (cfg.get("employment_types") or {}).items()})
        return org_rows, role_rows, site_rows, sorted(types.items())

    def stage_together(self, loader, e, unit: Unit, versions) -> None:
        present = {self.table_of(p): i for i, p in enumerate(unit.paths)}
        lacking = [t for t in self.required if t not in present]
        if lacking:
            raise VendorError(
                f"lacks table(s) {', '.join(lacking)} (CSV files named after the Workday table)"
            )
        if present["worker_position_history"] != 0:  # pragma: no cover - units() orders them
            raise VendorError("worker_position_history must drive the unit")
        org_rows, role_rows, site_rows, type_rows = self._declarations(loader)
        wph = self._read(loader, 0, "_cx_v_wph", ("worker_id", "position_id"))
        wh = self._read(loader, present["worker_history"], "_cx_v_wh", ("id",))
        wpoh = self._read(
            loader,
            present["worker_position_organization_history"],
            "_cx_v_wpoh",
            ("worker_id", "position_id", "organization_id"),
        )
        if "job_profile" in present:
            jp = self._read(loader, present["job_profile"], "_cx_v_jp", ("id",))
            job_code = (
                "left join _cx_v_jp as jp on jp.id = p.job_profile_id "
                f"left join roles as r2 on r2.job_profile = {_col(jp, 'jp', 'job_profile_code')}"
            )
        else:
            job_code = "left join (select null::varchar as role where false) as r2 on false"
        wh_i = present["worker_history"]
        p, w, o = (lambda n: _col(wph, "p", n)), (lambda n: _col(wh, "w", n)), (lambda n: _col(wpoh, "o", n))
        not_deleted = lambda c, a: (  # noqa: E731
            f"coalesce(lower({_col(c, a, '_fivetran_deleted')}), 'false') <> 'true'"
        )
        # DECISIONLOG "Workday Reader: Assignments From Position History". The current version of
        # each record (latest `_fivetran_start`) is read; positions in a row with the same
        # program, site and role are one assignment; the next assignment's start ends the
        # previous one as a transfer (the day before); the worker's termination ends the last.
        loader.con.execute(f"""
            create temp table _cx_v_assign as
            with
            orgs as {_values(org_rows, ["organization_id", "program_id", "site_id"])},
            roles as {_values(role_rows, ["job_profile", "role"])},
            sites as {_values(site_rows, ["location", "site_id"])},
            positions as (
                select p._ord, p.worker_id, p.position_id,
                    {p("job_profile_id")} as job_profile_id,
                    {p("business_title")} as business_title,
                    {p("employee_type")} as employee_type,
                    {p("business_site_summary_location")} as location,
                    coalesce({p("end_employment_date")}, {p("expected_assignment_end_date")})
                        as end_employment_date,
                    coalesce({p("start_date")}, {p("effective_date")}) as start_raw
                from _cx_v_wph as p
                where {not_deleted(wph, "p")}
                    and coalesce(lower({p("is_primary_job")}), 'true') <> 'false'
                qualify row_number() over (
                    partition by p.worker_id, p.position_id
                    order by {p("_fivetran_start")} desc nulls last, p._ord desc
                ) = 1
            ),
            position_orgs as (
                select o.worker_id, o.position_id, orgs.program_id, orgs.site_id
                from (
                    select * from _cx_v_wpoh as o
                    where {not_deleted(wpoh, "o")}
                    qualify row_number() over (
                        partition by o.worker_id, o.position_id, {o("index")}
                        order by {o("_fivetran_start")} desc nulls last, o._ord desc
                    ) = 1
                ) as o
                join orgs on orgs.organization_id = trim(o.organization_id)
                qualify row_number() over (
                    partition by o.worker_id, o.position_id
                    order by try_cast({o("index")} as integer) nulls last, o.organization_id
                ) = 1
            ),
            placed as (
                select p.*, try_cast(left(p.start_raw, 10) as date) as start_day,
                    po.program_id, coalesce(po.site_id, sites.site_id) as site_id,
                    coalesce(r1.role, r2.role, 'other') as role
                from positions as p
                left join position_orgs as po using (worker_id, position_id)
                left join sites on sites.location = p.location
                left join roles as r1 on r1.job_profile = p.job_profile_id
                {job_code}
            ),
            marked as (
                select *, case when (program_id, site_id, role) is not distinct from lag(
                    (program_id, site_id, role)) over w then 0 else 1 end as starts_island
                from placed
                window w as (partition by worker_id order by start_day nulls first, position_id)
            ),
            islands as (
                select *, sum(starts_island) over (
                    partition by worker_id order by start_day nulls first, position_id
                    rows unbounded preceding) as island
                from marked
            ),
            assignments as (
                select worker_id, island,
                    arg_min(_ord, coalesce(start_day, date '0001-01-01')) as _ord,
                    arg_min(start_raw, coalesce(start_day, date '0001-01-01')) as start_raw,
                    min(start_day) as start_day,
                    any_value(program_id) as program_id,
                    any_value(site_id) as site_id,
                    any_value(role) as role,
                    arg_max(position_id, coalesce(start_day, date '0001-01-01')) as position_id,
                    arg_max(job_profile_id, coalesce(start_day, date '0001-01-01')) as job_profile_id,
                    arg_max(business_title, coalesce(start_day, date '0001-01-01')) as business_title,
                    arg_max(employee_type, coalesce(start_day, date '0001-01-01')) as employee_type,
                    arg_max(end_employment_date, coalesce(start_day, date '0001-01-01'))
                        as end_employment_date
                from islands
                group by worker_id, island
            )
            select *, lead(start_day) over (partition by worker_id order by island) as next_start
            from assignments
        """)
        loader._extra_temp.append("_cx_v_assign")
        types = _values(type_rows, ["workday_type", "employment_type"])
        b_start = f"coalesce({_col(wph, 'b', 'start_date')}, {_col(wph, 'b', 'effective_date')})"
        loader.con.execute(f"""
            create temp table _cx_v_workers as
            select w._ord, w.id, {w("worker_code")} as worker_code,
                {w("terminated")} as terminated, {w("termination_date")} as termination_date,
                {w("termination_involuntary")} as termination_involuntary,
                {w("primary_termination_category")} as termination_category,
                {w("primary_termination_reason")} as termination_reason,
                {w("contract_end_date")} as contract_end_date,
                {w("contract_vendor_name")} as contract_vendor
            from _cx_v_wh as w
            where {not_deleted(wh, "w")}
            qualify row_number() over (
                partition by w.id order by {w("_fivetran_start")} desc nulls last, w._ord desc
            ) = 1
        """)
        loader._extra_temp.append("_cx_v_workers")
        # DECISIONLOG "Workday Reader: Separations, Employment Type and Back-fill".
        loader.con.execute(f"""
            create temp table _cx_src as
            with
            types as {types},
            rows as (
                select a.*, w.id as known_worker, w.worker_code, w.terminated,
                    w.termination_date, w.termination_involuntary, w.termination_category,
                    w.termination_reason, w.contract_end_date, w.contract_vendor,
                    coalesce(t.employment_type, case when a.employee_type is null
                        and w.contract_vendor is not null then 'agency' end, a.employee_type)
                        as employment_type,
                    case
                        when a.next_start is not null then a.next_start - 1
                        when lower(w.terminated) = 'true'
                            then try_cast(left(w.termination_date, 10) as date)
                    end as separated_day
                from _cx_v_assign as a
                left join _cx_v_workers as w on w.id = a.worker_id
                left join types as t
                    on t.workday_type = replace(replace(lower(trim(a.employee_type)), ' ', '_'), '-', '_')
                where a.program_id is not null
            )
            select row_number() over (order by r._ord) as _ord, 0 as _src_file, r._ord as _src_ord,
                coalesce(r.worker_code, r.worker_id) as employee_id,
                r.site_id, r.program_id, r.role, r.employment_type,
                r.start_raw as hired_at,
                case when r.employment_type in ('temporary', 'agency')
                    then coalesce(r.contract_end_date, r.end_employment_date) end as contract_end_at,
                case
                    when r.next_start is not null then strftime(r.next_start - 1, '%Y-%m-%d')
                    when lower(r.terminated) = 'true' then r.termination_date
                end as separated_at,
                case
                    when r.next_start is not null then 'transfer'
                    when lower(r.terminated) <> 'true' or r.terminated is null then null
                    when lower(r.termination_involuntary) = 'true' then 'involuntary'
                    when lower(r.termination_involuntary) = 'false' then 'voluntary'
                    when r.termination_category ilike '%involuntary%' then 'involuntary'
                    when r.termination_category ilike '%voluntary%' then 'voluntary'
                end as separation_type,
                case when r.separated_day is not null then cast(exists (
                    select 1 from _cx_v_wph as b
                    where b.position_id = r.position_id and b.worker_id <> r.worker_id
                        and try_cast(left({b_start}, 10) as date) > r.separated_day
                ) as varchar) end as backfilled,
                r.worker_id as workday_worker_id,
                r.position_id as workday_position_id,
                r.job_profile_id as workday_job_profile_id,
                r.business_title as workday_business_title,
                r.employee_type as workday_employee_type,
                r.termination_reason as workday_termination_reason,
                case when r.known_worker is null then 'worker ' || r.worker_id
                    || ' is not in worker_history: termination unknown' end as _reader_error
            from rows as r
        """)
        loader.con.execute(f"""
            create temp table _cx_excl as
            select 0 as _src_file, _ord as _src_ord, start_day as _record_date,
                'position in none of the organisations declared in sources.yml '
                || '(workday.organizations)' as reason
            from _cx_v_assign where program_id is null
            union all
            select {wh_i}, w._ord, null::date,
                'worker has no position in worker_position_history'
            from _cx_v_workers as w
            where not exists (select 1 from _cx_v_assign as a where a.worker_id = w.id)
        """)
        loader._reader_error = True
        loader._header = [
            *(c for c in e.column_names if c in _STAFF_COLUMNS),
            "workday_worker_id",
            "workday_position_id",
            "workday_job_profile_id",
            "workday_business_title",
            "workday_employee_type",
            "workday_termination_reason",
        ]


_STAFF_COLUMNS = (
    "employee_id", "site_id", "program_id", "role", "employment_type", "hired_at",
    "contract_end_at", "separated_at", "separation_type", "backfilled",
)  # fmt: skip


# ------------------------------------------------------------------------------------------
# Qualtrics -> survey_responses
# ------------------------------------------------------------------------------------------

# Fivetran's Qualtrics tables: the three read together, and the others (not read).
QUALTRICS_TABLES = ("survey_response", "question_response", "survey_embedded_data")
QUALTRICS_OTHER_TABLES = (
    "block", "block_question", "contact_mailing_list_membership", "core_contact",
    "core_mailing_list", "directory", "directory_contact", "directory_mailing_list",
    "distribution", "distribution_contact", "question", "question_option", "sub_question",
    "survey", "survey_version", "user",
)  # fmt: skip

# Columns of the response kept in `attributes` (identifier-looking ones are hashed by the
# loader); respondent names, IP address and location are not kept at all.
_QUALTRICS_KEPT = ("survey_id", "distribution_channel", "finished", "progress", "status", "recipient_email")
# Native export: the ImportId of each response column the reader uses -> its Fivetran name.
_NATIVE_IMPORT_IDS = {
    "_recordId": "id",
    "endDate": "end_date",
    "recordedDate": "recorded_date",
    "status": "status",
    "progress": "progress",
    "finished": "finished",
    "distributionChannel": "distribution_channel",
    "recipientEmail": "recipient_email",
}
_SCORE_COLUMNS = ("overall", "effort")
_MAPPED_COLUMNS = ("contact_id", "channel", "site_id", "program_id", "agent_id", "selection")

_QUALTRICS_DECLARE = """declare it in sources.yml (the scale is never guessed), e.g.
  qualtrics:
    time_zone: UTC
    surveys:
      {survey}:
        overall: {{question: QID1, scale: [1, 5]}}
        effort: {{question: QID2, scale: [1, 7]}}        # optional
        columns: {{contact_id: {{embedded: ContactId}}, channel: {{value: voice}}}}"""


@dataclass
class _Survey:
    survey_id: str
    questions: dict[str, tuple[str, str, str]]  # overall/effort -> (QID, min, max)
    columns: dict[str, tuple[str, str]]  # canonical column -> ('embedded'|'value', key)
    files: list[str]


class QualtricsReader(Reader):
    """Qualtrics responses -> survey_responses, from either shape of export.

    - Fivetran tables `survey_response` (drives), `question_response` and, optionally,
      `survey_embedded_data`, read together;
    - native "Export Data -> CSV" files (any other CSV in the folder): row 1 column names,
      row 2 question text, row 3 ImportId JSON (`{"ImportId":"QID1"}`), then one response a
      row. Export with numeric values ("Use numeric values"), so a scale answer is its number.

    Questions are named by their QID (the Fivetran `question_id`, the native ImportId), so
    one declaration serves both shapes. DECISIONLOG "Qualtrics Reader: Declared Scales,
    Questions by QID".
    """

    folder = "qualtrics"
    target = "survey_responses"
    tables = QUALTRICS_TABLES
    required = ("survey_response", "question_response")

    def table_of(self, path: str) -> str | None:
        return _stem(path).removeprefix("qualtrics_")

    def units(self, folder: str, paths: list[str]):
        csv_files = [p for p in paths if p.lower().endswith((".csv", ".csv.gz"))]
        native = [
            p for p in csv_files if self.table_of(p) not in (*QUALTRICS_TABLES, *QUALTRICS_OTHER_TABLES)
        ]
        fivetran = [p for p in csv_files if p not in native]
        units, skipped = super().units(folder, fivetran)
        skipped = [(p, "a Qualtrics table the survey reader does not need") for p, _ in skipped]
        skipped += [(p, "not a CSV file") for p in paths if p not in csv_files]
        units += [Unit(self, folder, [p]) for p in native]
        return units, skipped

    # -- declarations ------------------------------------------------------------------------

    def _surveys(self, loader) -> dict[str, _Survey]:
        cfg = self.settings(loader).get("surveys") or {}
        out: dict[str, _Survey] = {}
        for sid, spec in cfg.items():
            where = f"sources.yml qualtrics.surveys.{sid}"
            if not isinstance(spec, dict):
                raise VendorError(f"{where}: expected a mapping")
            questions = {}
            for role in _SCORE_COLUMNS:
                q = spec.get(role)
                if q is None:
                    continue
                scale = q.get("scale") if isinstance(q, dict) else None
                if (
                    not isinstance(q, dict)
                    or not q.get("question")
                    or not isinstance(scale, list)
                    or len(scale) != 2
                    or not all(isinstance(x, int | float) for x in scale)
                    or scale[0] >= scale[1]
                ):
                    raise VendorError(f"{where}.{role}: needs question (a QID) and scale: [min, max]")
                questions[role] = (str(q["question"]), f"{scale[0]:g}", f"{scale[1]:g}")
            if "overall" not in questions:
                raise VendorError(
                    f"{where}: no overall question and scale; " + _QUALTRICS_DECLARE.format(survey=sid)
                )
            columns = {}
            for col, src in (spec.get("columns") or {}).items():
                if col not in _MAPPED_COLUMNS:
                    raise VendorError(f"{where}.columns.{col}: not one of {', '.join(_MAPPED_COLUMNS)}")
                if not isinstance(src, dict) or len(src) != 1 or next(iter(src)) not in ("embedded", "value"):
                    raise VendorError(
                        f"{where}.columns.{col}: expected {{embedded: <field>}} or {{value: <constant>}}"
                    )
                kind, key = next(iter(src.items()))
                columns[col] = (kind, str(key))
            files = spec.get("files") or []
            out[str(sid)] = _Survey(str(sid), questions, columns, [str(f) for f in files])
        return out

    def _time_zone(self, loader, e) -> str | None:
        return self.settings(loader).get("time_zone") or loader.time_zone_for(e.name)

    # -- the canonical select over a normalised base ------------------------------------------

    def _select(self, surveys: dict[str, _Survey], base: str) -> str:
        """`_cx_src` from `base`: one row per response with `response_id, survey_id, end_date,
        recorded_date`, the kept response columns, `"q:<QID>"` answers and `"e:<field>"`
        embedded data."""

        def per_survey(expr_of) -> str:
            whens = [f"when {_q(s.survey_id)} then {expr_of(s)}" for s in surveys.values()]
            return f"case b.survey_id {' '.join(whens)} end"

        cols = []
        errors = []
        for role in _SCORE_COLUMNS:
            score = per_survey(
                lambda s, r=role: _ident(f"q:{s.questions[r][0]}") if r in s.questions else "null"
            )
            lo = per_survey(lambda s, r=role: _q(s.questions[r][1]) if r in s.questions else "null")
            hi = per_survey(lambda s, r=role: _q(s.questions[r][2]) if r in s.questions else "null")
            cols += [f"{score} as {role}_score", f"{lo} as {role}_scale_min", f"{hi} as {role}_scale_max"]
            # DECISIONLOG "Qualtrics Reader: Declared Scales, Questions by QID": an answer outside
            # the scale is quarantined, never clipped or rescaled.
            errors.append(
                f"case when try_cast({score} as double) not between try_cast({lo} as double) "
                f"and try_cast({hi} as double) then '{role}_score: ' || ({score}) "
                f"|| ' outside the declared scale ' || ({lo}) || '-' || ({hi}) end"
            )
        for col in _MAPPED_COLUMNS:

            def expr(s, c=col):
                if c not in s.columns:
                    return "null"
                kind, key = s.columns[c]
                return _ident(f"e:{key}") if kind == "embedded" else _q(key)

            cols.append(f"{per_survey(expr)} as {col}")
        kept = ", ".join(f"b.{c} as {c}" for c in _QUALTRICS_KEPT)
        return f"""
            select b._ord, b._src_file, b._src_ord, b.response_id,
                coalesce(b.end_date, b.recorded_date) as responded_at,
                {", ".join(cols)}, {kept},
                coalesce({", ".join(errors)}) as _reader_error
            from {base} as b
        """

    def _finish(self, loader, e, surveys, base: str) -> None:
        loader.con.execute(f"create temp table _cx_src as {self._select(surveys, base)}")
        loader.con.execute(
            "create temp table _cx_excl as select null::integer as _src_file, null::bigint as "
            "_src_ord, null::varchar as reason, null::date as _record_date where false"
        )
        loader._reader_error = True
        produced = {"response_id", "responded_at", *_MAPPED_COLUMNS}
        produced |= {f"{r}_{x}" for r in _SCORE_COLUMNS for x in ("score", "scale_min", "scale_max")}
        loader._header = [*(c for c in e.column_names if c in produced), *_QUALTRICS_KEPT]
        loader._tz_override = loader._tz_override or self._time_zone(loader, e)

    @staticmethod
    def _wanted(surveys: dict[str, _Survey]) -> tuple[list[str], list[str]]:
        qids = sorted({q[0] for s in surveys.values() for q in s.questions.values()})
        fields = sorted({k for s in surveys.values() for kind, k in s.columns.values() if kind == "embedded"})
        return qids, fields

    # -- Fivetran tables ------------------------------------------------------------------------

    def stage_together(self, loader, e, unit: Unit, versions) -> None:
        present = {self.table_of(p): i for i, p in enumerate(unit.paths)}
        lacking = [t for t in self.required if t not in present]
        if lacking:
            raise VendorError(
                f"lacks table(s) {', '.join(lacking)} (CSV files named after the Qualtrics table)"
            )
        sr = self._read(loader, 0, "_cx_v_sr", ("id", "survey_id"))
        self._read(loader, present["question_response"], "_cx_v_qr", ("response_id", "question_id", "value"))
        surveys = self._surveys(loader)
        found = [
            r[0] for r in loader.con.execute("select distinct survey_id from _cx_v_sr order by 1").fetchall()
        ]
        undeclared = [s for s in found if s not in surveys]
        if undeclared:
            raise VendorError(
                f"survey(s) {', '.join(undeclared)} have no declared overall question and scale; "
                + _QUALTRICS_DECLARE.format(survey=undeclared[0])
            )
        qids, fields = self._wanted(surveys)
        answers = ", ".join(
            f"max(value) filter (where question_id = {_q(q)}) as {_ident('q:' + q)}" for q in qids
        )
        # Only the answer to the question itself: not a sub-question or a loop iteration.
        loader.con.execute(
            f"""
            create temp table _cx_v_answers as
            select response_id, {answers} from _cx_v_qr
            where coalesce(sub_question_key, '') = '' and coalesce(loop_id, '') = ''
            group by response_id
        """
            if qids
            else "create temp table _cx_v_answers as select null::varchar as response_id where false"
        )
        loader._extra_temp.append("_cx_v_answers")
        emb_join = ""
        emb_cols = ""
        if fields:
            if "survey_embedded_data" not in present:
                raise VendorError(
                    f"sources.yml declares embedded data ({', '.join(fields)}) but the folder "
                    "has no survey_embedded_data table"
                )
            self._read(loader, present["survey_embedded_data"], "_cx_v_ed", ("response_id", "key", "value"))
            embedded = ", ".join(
                f"max(value) filter (where key = {_q(k)}) as {_ident('e:' + k)}" for k in fields
            )
            loader.con.execute(
                f"create temp table _cx_v_embedded as select response_id, {embedded} "
                "from _cx_v_ed group by response_id"
            )
            loader._extra_temp.append("_cx_v_embedded")
            emb_join = "left join _cx_v_embedded as em on em.response_id = r.id"
            emb_cols = ", " + ", ".join(f"em.{_ident('e:' + k)}" for k in fields)
        r = lambda n: _col(sr, "r", n)  # noqa: E731
        kept = ", ".join(f"{r(c)} as {c}" for c in _QUALTRICS_KEPT if c != "survey_id")
        q_cols = "".join(f", an.{_ident('q:' + q)}" for q in qids)
        loader.con.execute(f"""
            create temp table _cx_v_base as
            select r._ord, 0 as _src_file, r._ord as _src_ord, r.id as response_id, r.survey_id,
                {r("end_date")} as end_date, {r("recorded_date")} as recorded_date, {kept}
                {q_cols} {emb_cols}
            from _cx_v_sr as r
            left join _cx_v_answers as an on an.response_id = r.id
            {emb_join}
        """)
        loader._extra_temp.append("_cx_v_base")
        self._finish(loader, e, surveys, "_cx_v_base")

    # -- native export (three header rows) -------------------------------------------------------

    def stage_file(self, loader, e, path: str, url: str) -> None:
        from fnmatch import fnmatch

        name = PurePosixPath(path).name
        names, import_ids, zones = self._native_header(loader, path)
        surveys = self._surveys(loader)
        matching = [s for s in surveys.values() if any(fnmatch(name, f) for f in s.files)]
        if not matching and len(surveys) == 1:
            matching = list(surveys.values())
        if len(matching) != 1:
            raise VendorError(
                "a native Qualtrics export names no survey id: declare which survey it is "
                f"with qualtrics.surveys.<survey id>.files: [{name}] in sources.yml"
                + ("" if surveys else "; " + _QUALTRICS_DECLARE.format(survey="<survey id>"))
            )
        survey = matching[0]
        surveys = {survey.survey_id: survey}
        loader._read_csv(path, url, names, "_cx_v_native")
        loader._extra_temp.append("_cx_v_native")
        loader._header_rows = {0: 3}
        by_import = {iid: n for n, iid in zip(names, import_ids, strict=True) if iid}

        def column(import_id: str, what: str) -> str:
            if import_id in by_import:
                return f"nullif(trim(n.{_ident(by_import[import_id])}), '')"
            if import_id in names:  # embedded data exported under its own name
                return f"nullif(trim(n.{_ident(import_id)}), '')"
            raise VendorError(f"{name}: no column for {what} (ImportId {import_id}) in the export")

        qids, fields = self._wanted(surveys)
        picks = [f"{column('_recordId', 'the response id')} as response_id"]
        for iid, col in _NATIVE_IMPORT_IDS.items():
            if col == "id":
                continue
            picks.append(f"{column(iid, col) if iid in by_import else 'null::varchar'} as {col}")
        picks += [f"{column(q, 'question ' + q)} as {_ident('q:' + q)}" for q in qids]
        picks += [f"{column(k, 'embedded data ' + k)} as {_ident('e:' + k)}" for k in fields]
        # Rows 2 and 3 (question text, ImportIds) are the first two records after the header.
        loader.con.execute(f"""
            create temp table _cx_v_base as
            select n._ord - 2 as _ord, 0 as _src_file, n._ord - 2 as _src_ord,
                {_q(survey.survey_id)} as survey_id, {", ".join(picks)}
            from _cx_v_native as n where n._ord > 2
        """)
        loader._extra_temp.append("_cx_v_base")
        # The export says its own zone in row 3 (`"timeZone"` of the end date); else declared.
        loader._tz_override = zones.get("endDate") or zones.get("recordedDate")
        self._finish(loader, e, surveys, "_cx_v_base")

    def _native_header(self, loader, path: str):
        """Row 1 names, row 3 ImportIds and any time zones they declare, checked."""
        from .loader import RejectedFile

        try:
            names = [n.strip() for n in loader._csv_names(path)]
        except RejectedFile as exc:
            raise VendorError(str(exc)) from None
        with loader.fs.open(path, "rb", compression="infer") as raw_fh:
            text = io.TextIOWrapper(raw_fh, encoding="utf-8-sig", errors="replace", newline="")
            rows = [r for _, r in zip(range(3), csv.reader(text), strict=False)]
        if len(rows) < 3:
            raise VendorError("not a Qualtrics CSV export: fewer than three header rows")
        import_ids, zones = [], {}
        for cell in rows[2]:
            try:
                meta = json.loads(cell)
            except ValueError:
                meta = None
            if not isinstance(meta, dict) or "ImportId" not in meta:
                raise VendorError(
                    'not a Qualtrics CSV export: row 3 should hold {"ImportId": ...} for every '
                    f"column, found {cell[:40]!r}"
                )
            import_ids.append(str(meta["ImportId"]))
            if meta.get("timeZone"):
                zones[str(meta["ImportId"])] = str(meta["timeZone"])
        if len(import_ids) != len(names):
            raise VendorError("not a Qualtrics CSV export: row 3 does not have a cell for every column")
        return names, import_ids, zones


READERS: dict[str, Reader] = {r.folder: r for r in (WorkdayReader(), QualtricsReader())}
