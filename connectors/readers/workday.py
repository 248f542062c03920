"""Workday worker and position history, as Fivetran lands it, -> staff_roster.

The reader reads `worker_position_history` (drives: one row per assignment), `worker_history`,
`worker_position_organization_history` and, optionally, `job_profile` together (file names with or
without the `workday_` prefix and `_data` suffix); other Workday tables (names, personal data...)
are never read. Which organisations are programs and which job profiles are CSS is declared under
`workday:` in sources.yml. DECISIONLOG "Workday Reader: Assignments From Position History" and
"Workday Reader: Separations, Employment Type and Back-fill".
"""

from __future__ import annotations

from .. import schema
from .base import Reader, ReaderError, Staged, Staging, Unit, col, values

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

    name = "workday"
    folders = ("workday",)
    entities = ("staff_roster",)
    tables = (
        "worker_position_history",
        "worker_history",
        "worker_position_organization_history",
        "job_profile",
    )
    required = ("worker_position_history", "worker_history", "worker_position_organization_history")

    def _declarations(self, st: Staging):
        cfg = st.settings(self.name)
        orgs, roles = cfg.get("organizations"), cfg.get("roles")
        if not isinstance(orgs, dict) or not orgs or not isinstance(roles, dict) or not roles:
            raise ReaderError(f"no Workday declaration: {_WORKDAY_DECLARE}")
        org_rows = []
        for org, spec in orgs.items():
            if not isinstance(spec, dict) or not spec.get("program_id"):
                raise ReaderError(
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

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        present = self.present(unit)
        if present["worker_position_history"] != 0:  # pragma: no cover - units() orders them
            raise ReaderError("worker_position_history must drive the unit")
        org_rows, role_rows, site_rows, type_rows = self._declarations(st)
        wph = self.read_table(st, 0, "_cx_v_wph", ("worker_id", "position_id"))
        wh = self.read_table(st, present["worker_history"], "_cx_v_wh", ("id",))
        wpoh = self.read_table(
            st,
            present["worker_position_organization_history"],
            "_cx_v_wpoh",
            ("worker_id", "position_id", "organization_id"),
        )
        if "job_profile" in present:
            jp = self.read_table(st, present["job_profile"], "_cx_v_jp", ("id",))
            job_code = (
                "left join _cx_v_jp as jp on jp.id = p.job_profile_id "
                f"left join roles as r2 on r2.job_profile = {col(jp, 'jp', 'job_profile_code')}"
            )
        else:
            job_code = "left join (select null::varchar as role where false) as r2 on false"
        wh_i = present["worker_history"]
        p, w, o = (lambda n: col(wph, "p", n)), (lambda n: col(wh, "w", n)), (lambda n: col(wpoh, "o", n))
        not_deleted = lambda c, a: (  # noqa: E731
            f"coalesce(lower({col(c, a, '_fivetran_deleted')}), 'false') <> 'true'"
        )
        # DECISIONLOG "Workday Reader: Assignments From Position History". The current version of
        # each record (latest `_fivetran_start`) is read; positions in a row with the same
        # program, site and role are one assignment; the next assignment's start ends the
        # previous one as a transfer (the day before); the worker's termination ends the last.
        st.con.execute(f"""
            create temp table _cx_v_assign as
            with
            orgs as {values(org_rows, ["organization_id", "program_id", "site_id"])},
            roles as {values(role_rows, ["job_profile", "role"])},
            sites as {values(site_rows, ["location", "site_id"])},
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
        st.temp("_cx_v_assign")
        types = values(type_rows, ["workday_type", "employment_type"])
        b_start = f"coalesce({col(wph, 'b', 'start_date')}, {col(wph, 'b', 'effective_date')})"
        st.con.execute(f"""
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
        st.temp("_cx_v_workers")
        # DECISIONLOG "Workday Reader: Separations, Employment Type and Back-fill".
        st.con.execute(f"""
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
        st.con.execute(f"""
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
        e = schema.entity(entity)
        return Staged(
            checks=True,
            columns=[
                *(c for c in e.column_names if c in _STAFF_COLUMNS),
                "workday_worker_id",
                "workday_position_id",
                "workday_job_profile_id",
                "workday_business_title",
                "workday_employee_type",
                "workday_termination_reason",
            ],
        )


_STAFF_COLUMNS = (
    "employee_id", "site_id", "program_id", "role", "employment_type", "hired_at",
    "contract_end_at", "separated_at", "separation_type", "backfilled",
)  # fmt: skip
