"""The canonical raw entities of SOURCES.md: columns, types, keys and value domains, in one place.

Everything that lands in DuckDB's `raw` schema is described here; the loader, the
sample-centre generator and the dbt sources all follow this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Types used in the raw schema. Timestamps are stored as UTC TIMESTAMPTZ.
TS = "TIMESTAMPTZ"
STR = "VARCHAR"
INT = "INTEGER"
NUM = "DOUBLE"
BOOL = "BOOLEAN"
DATE = "DATE"
TIME = "TIME"

CHANNELS = ("voice", "chat", "email", "web", "social", "letter", "backoffice", "video")
TICKET_CHANNELS = ("email", "web", "social", "letter", "backoffice")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    domain: tuple[str, ...] | None = None  # allowed values (lower-case) for coded columns
    identifier: bool = False  # customer identifier: pseudonymised at the door


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] | None
    kind: str  # 'reference' (configuration) or 'fact' (activity exports)
    source: str  # the system family, used for dbt source and staging model names
    period_column: str | None = None  # the timestamp/date a row belongs to, for freshness
    notes: str = field(default="", compare=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def C(name: str, type_: str = STR, **kw) -> Column:  # noqa: N802 - short constructor for the table below
    return Column(name, type_, **kw)


ENTITIES: tuple[Entity, ...] = (
    # Reference entities: small, exported from system configuration.
    Entity(
        "sites",
        (C("site_id", required=True), C("site_name"), C("time_zone")),
        ("site_id",),
        "reference",
        "reference",
    ),
    Entity(
        "programs",
        (C("program_id", required=True), C("program_name"), C("client_id")),
        ("program_id",),
        "reference",
        "reference",
    ),
    Entity(
        "queues",
        (
            C("queue_id", required=True),
            C("site_id"),
            C("program_id"),
            C("channel", domain=CHANNELS),
            C("service_level_seconds", INT),
            C("short_abandon_seconds", INT),
            C(
                "sl_formula",
                domain=("copc_offered", "answered_only", "abandons_positive", "abandons_negative"),
            ),
            C("cycle_time_hours", NUM),
            C("calendar_id"),
            # chat queues whose button is shown only while a CSS is free: chat abandonment is
            # not measurable there (METRICS.md section 2); empty means false
            C("chat_button_only_when_free", BOOL),
        ),
        ("queue_id",),
        "reference",
        "reference",
    ),
    Entity(
        "calendars",
        (
            C("calendar_id", required=True),
            C("weekday", INT, required=True, domain=("1", "2", "3", "4", "5", "6", "7")),
            C("opens_at", TIME, required=True),
            C("closes_at", TIME, required=True),
        ),
        ("calendar_id", "weekday", "opens_at"),
        "reference",
        "reference",
    ),
    Entity(
        "holidays",
        (C("calendar_id", required=True), C("date", DATE, required=True)),
        ("calendar_id", "date"),
        "reference",
        "reference",
    ),
    # ACD (phone)
    Entity(
        "acd_contacts",
        (
            C("contact_id", required=True),
            C("segment_id", required=True),
            C("site_id"),
            C("program_id"),
            C("queue_id", required=True),
            C("channel", domain=("voice",)),
            C("direction", domain=("inbound", "outbound")),
            C("customer_key", identifier=True),
            C("offered_at", TS, required=True),
            C("answered_at", TS),
            C("ended_at", TS),
            C("abandoned", BOOL),
            C(
                "outcome",
                domain=(
                    "answered",
                    "abandoned",
                    "overflow",
                    "transfer",
                    "callback",
                    "timeout",
                    "exit_key",
                    "no_agents",
                ),
            ),
            C("wait_seconds", NUM),
            C("talk_seconds", NUM),
            C("hold_seconds", NUM),
            C("acw_seconds", NUM),
            C("agent_id"),
            C("transferred_to_queue"),
        ),
        ("contact_id", "segment_id"),
        "fact",
        "acd",
        period_column="offered_at",
    ),
    Entity(
        "agent_states",
        (
            C("agent_id", required=True),
            C("site_id"),
            C(
                "state",
                required=True,
                domain=("logged_out", "available", "handling", "acw", "not_ready"),
            ),
            C("reason"),
            C("started_at", TS, required=True),
            C("ended_at", TS),
            C("channel", domain=CHANNELS),
        ),
        ("agent_id", "started_at"),
        "fact",
        "acd",
        period_column="started_at",
    ),
    # Chat
    Entity(
        "chat_sessions",
        (
            C("chat_id", required=True),
            C("site_id"),
            C("program_id"),
            C("queue_id", required=True),
            C("chat_type", domain=("reactive", "proactive")),
            C("invited_at", TS),
            C("requested_at", TS),
            C("first_human_response_at", TS),
            C("customer_replied_at", TS),
            C("established", BOOL),
            C("ended_at", TS),
            C("end_reason", domain=("customer_left", "agent_closed", "timeout", "transferred")),
            C("agent_id"),
            C("wrap_seconds", NUM),
            C("customer_key", identifier=True),
        ),
        ("chat_id",),
        "fact",
        "chat",
        period_column="requested_at",
    ),
    Entity(
        "chat_messages",
        (
            C("chat_id", required=True),
            C("sender", required=True, domain=("customer", "agent", "bot", "system")),
            C("sent_at", TS, required=True),
        ),
        None,  # no natural key: two messages may share a second
        "fact",
        "chat",
        period_column="sent_at",
    ),
    # Ticketing
    Entity(
        "tickets",
        (
            C("ticket_id", required=True),
            C("case_id"),
            C("site_id"),
            C("program_id"),
            C("queue_id"),
            C("channel", domain=TICKET_CHANNELS),
            C("priority"),
            C("customer_key", identifier=True),
            C("received_at", TS, required=True),
            C("first_response_at", TS),
            C("response_due_at", TS),
            C("completed_at", TS),
            C("due_at", TS),
            C("status"),
            C("assignee_id"),
            # the time CSSs spent handling the item, where the ticketing system captures it
            # (METRICS.md ticket_aht "where handle time is captured")
            C("handle_seconds", NUM),
        ),
        ("ticket_id",),
        "fact",
        "ticketing",
        period_column="received_at",
    ),
    Entity(
        "ticket_events",
        (
            C("ticket_id", required=True),
            C("event_at", TS, required=True),
            C("status_from"),
            C("status_to", required=True),
            C("queue_id"),
            C("assignee_id"),
        ),
        ("ticket_id", "event_at", "status_to"),
        "fact",
        "ticketing",
        period_column="event_at",
    ),
    # Surveys
    Entity(
        "survey_responses",
        (
            C("response_id", required=True),
            C("contact_id"),
            C("channel", domain=CHANNELS),
            C("site_id"),
            C("program_id"),
            C("agent_id"),
            C("responded_at", TS, required=True),
            C("overall_score", NUM),
            C("overall_scale_min", NUM),
            C("overall_scale_max", NUM),
            C("effort_score", NUM),
            C("effort_scale_min", NUM),
            C("effort_scale_max", NUM),
            C("selection", domain=("random", "all", "other")),
        ),
        ("response_id",),
        "fact",
        "survey",
        period_column="responded_at",
    ),
    # Quality monitoring
    Entity(
        "qa_evaluations",
        (
            C("evaluation_id", required=True),
            C("contact_id"),
            C("channel", domain=CHANNELS),
            C("site_id"),
            C("program_id", required=True),
            C("agent_id"),
            C("evaluator_id"),
            C("evaluated_at", TS, required=True),
            C("monitoring_mode", domain=("remote", "side_by_side", "calibration")),
            C("selection", domain=("random", "targeted")),
            C("customer_critical_error", BOOL),
            C("business_critical_error", BOOL),
            C("compliance_critical_error", BOOL),
            C("defects", INT),
            C("score", NUM),
        ),
        ("evaluation_id",),
        "fact",
        "qa",
        period_column="evaluated_at",
    ),
    # Workforce (WFM and HR)
    Entity(
        "wfm_schedules",
        (
            C("agent_id", required=True),
            C("site_id"),
            C(
                "activity",
                required=True,
                domain=("on_queue", "break", "lunch", "training", "meeting", "off"),
            ),
            C("started_at", TS, required=True),
            C("ended_at", TS, required=True),
        ),
        ("agent_id", "started_at"),
        "fact",
        "wfm",
        period_column="started_at",
    ),
    Entity(
        "wfm_forecasts",
        (
            C("queue_id", required=True),
            C("interval_start", TS, required=True),
            C("interval_minutes", INT),
            C("horizon", required=True, domain=("scheduling", "staffing")),
            C("forecast_offered", NUM, required=True),
            C("forecast_aht_seconds", NUM),
            C("made_at", TS, required=True),
        ),
        ("queue_id", "interval_start", "horizon", "made_at"),
        "fact",
        "wfm",
        period_column="interval_start",
    ),
    Entity(
        "staff_roster",
        (
            C("employee_id", required=True),
            C("site_id"),
            C("program_id", required=True),
            C("role", required=True),
            C("employment_type", domain=("permanent", "temporary", "agency")),
            C("hired_at", DATE, required=True),
            C("contract_end_at", DATE),
            C("separated_at", DATE),
            C("separation_type", domain=("voluntary", "involuntary", "transfer")),
            C("backfilled", BOOL),
            # people metrics (METRICS.md section 7; DECISIONLOG "Staff Roster: Three Optional
            # Dates"): the requested start, the end of initial training, first proficiency
            C("requested_start_at", DATE),
            C("training_completed_at", DATE),
            C("proficient_at", DATE),
        ),
        ("employee_id", "program_id", "hired_at"),
        "reference",
        "hr",
        period_column="hired_at",
    ),
    Entity(
        "absences",
        (
            C("employee_id", required=True),
            C("date", DATE, required=True),
            C("hours", NUM, required=True),
            C("planned", BOOL, required=True),
        ),
        ("employee_id", "date"),
        "fact",
        "hr",
        period_column="date",
    ),
    # Digital-assisted and cost
    Entity(
        "bot_conversations",
        (
            C("conversation_id", required=True),
            C("program_id", required=True),
            C("started_at", TS, required=True),
            C("ended_at", TS),
            C("contained", BOOL),
            C("escalated", BOOL),
            C("escalated_correctly", BOOL),
            C("resolved", BOOL),
            C("questions", INT),
            C("questions_recognised", INT),
            C("bot_messages", INT),
        ),
        ("conversation_id",),
        "fact",
        "bot",
        period_column="started_at",
    ),
    Entity(
        "program_costs",
        (
            C("program_id", required=True),
            C("month", DATE, required=True),
            C("total_cost", NUM, required=True),
            C("currency"),
        ),
        ("program_id", "month"),
        "reference",
        "finance",
        period_column="month",
    ),
    # Monthly exchange rates: one `currency` unit is worth `rate` units of `reporting_currency`.
    # Optional; without them costs in several currencies are never added up.
    Entity(
        "exchange_rates",
        (
            C("month", DATE, required=True),
            C("currency", required=True),
            C("reporting_currency", required=True),
            C("rate", NUM, required=True),
        ),
        ("month", "currency", "reporting_currency"),
        "reference",
        "finance",
        period_column="month",
    ),
    # Operations: when a customer-facing system was down (uptime, chat availability). Empty
    # program/queue/site means the outage hit every one of them.
    Entity(
        "system_outages",
        (
            C("outage_id", required=True),
            C(
                "system",
                required=True,
                domain=("bot", "chat", "ivr", "voice", "email", "web", "crm", "other"),
            ),
            C("program_id"),
            C("queue_id"),
            C("site_id"),
            C("started_at", TS, required=True),
            C("ended_at", TS),
            C("impact", domain=("full", "partial")),
        ),
        ("outage_id",),
        "fact",
        "ops",
        period_column="started_at",
    ),
)

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}


# Row rules: checks across one row's typed values, made by the loader, so that a row breaking one
# is quarantined with its file, line and reason (the raw gate's range checks stay as a second line).
@dataclass(frozen=True)
class RowRule:
    check: str  # 'not_before' | 'non_negative' | 'plain_id'
    columns: tuple[str, ...]


def not_before(end: str, *starts: str) -> RowRule:
    """`end` is not earlier than the first given of `starts` (NULLs are not judged)."""
    return RowRule("not_before", (*starts, end))


def non_negative(*columns: str) -> RowRule:
    """Durations, counts, costs and forecasts: never below 0."""
    return RowRule("non_negative", columns)


# An end is checked against its own start only. Milestones in between (answered, first response)
# come from another system's clock in many exports, and a few seconds of skew put them before the
# start (27 calls of the Technion log are answered 1-5 s before they enter the queue): those stay
# for the raw gate's ended_before_started check, whose failure marks the period, not the row.
ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "acd_contacts": (
        not_before("ended_at", "offered_at"),
        non_negative("wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds"),
    ),
    "agent_states": (not_before("ended_at", "started_at"),),
    "chat_sessions": (
        not_before("ended_at", "requested_at", "invited_at"),
        non_negative("wrap_seconds"),
    ),
    "tickets": (not_before("completed_at", "received_at"), non_negative("handle_seconds")),
    "wfm_schedules": (not_before("ended_at", "started_at"),),
    "wfm_forecasts": (non_negative("forecast_offered", "forecast_aht_seconds"),),
    "staff_roster": (not_before("separated_at", "hired_at"),),
    "absences": (non_negative("hours"),),
    "bot_conversations": (
        not_before("ended_at", "started_at"),
        non_negative("questions", "questions_recognised", "bot_messages"),
    ),
    "qa_evaluations": (non_negative("defects"),),
    "program_costs": (non_negative("total_cost"),),
    "system_outages": (not_before("ended_at", "started_at"),),
}

# A plain identifier: no leading or trailing white space and no control character (tab, line
# break, NUL...) anywhere. Such an id joins to nothing downstream (' Q1' is not queue Q1).
PLAIN_ID_PATTERN = r"[^[:cntrl:][:space:]]([^[:cntrl:]]*[^[:cntrl:][:space:]])?"


def id_columns(e: Entity) -> tuple[str, ...]:
    """The entity's key and reference columns (`*_id`, and `transferred_to_queue`), pseudonymised
    customer identifiers excepted: each must hold a plain identifier."""
    return tuple(
        c.name
        for c in e.columns
        if c.type == STR and not c.identifier and (c.name.endswith("_id") or c.name == "transferred_to_queue")
    )


def row_rules(e: Entity) -> tuple[RowRule, ...]:
    ids = id_columns(e)
    return ROW_RULES.get(e.name, ()) + ((RowRule("plain_id", ids),) if ids else ())


# Reference entities load first so that facts can be read in their site's time zone.
LOAD_ORDER: tuple[str, ...] = tuple(
    e.name for e in sorted(ENTITIES, key=lambda e: (e.kind != "reference", ENTITIES.index(e)))
)

# Extra (vendor) columns whose names look like customer identifiers are pseudonymised
# before they are kept in `attributes`, like the canonical `customer_key`.
IDENTIFIER_HINTS: tuple[str, ...] = (
    "customer",
    "phone",
    "email",
    "e_mail",
    "ani",
    "msisdn",
    "caller",
    "address",
    "name",
)

SUFFIXES: tuple[str, ...] = (".csv.gz", ".csv", ".parquet", ".jsonl", ".jsonl.gz")


def entity(name: str) -> Entity:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown canonical entity {name!r}") from None


def staging_model_name(e: Entity) -> str:
    """`stg_<source>__<entity>` per STYLE.md, e.g. acd_contacts -> stg_acd__contacts."""
    return f"stg_{e.source}__{e.name.removeprefix(e.source + '_')}"


# Bookkeeping columns every raw table carries after its canonical columns.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("attributes", "JSON"),  # extra vendor columns, identifiers already pseudonymised
    ("_file_id", "VARCHAR"),  # the load-manifest entry (file version) the row came from
    ("_row", "BIGINT"),  # record number within that file (1 = first data record)
    ("_loaded_at", "TIMESTAMPTZ"),
)


def raw_ddl(e: Entity, schema: str = "raw") -> str:
    cols = [f"{c.name} {c.type}" for c in e.columns] + [f"{n} {t}" for n, t in META_COLUMNS]
    return f"create table if not exists {schema}.{e.name} ({', '.join(cols)})"
