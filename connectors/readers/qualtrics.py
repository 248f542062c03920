"""Qualtrics survey responses -> survey_responses, from either shape of export.

The Fivetran/API tables (`survey_response`, `question_response`, optional `survey_embedded_data`)
are read together as one unit; every native "Export Data -> CSV" file (three header rows) is a unit
of its own. Which question is the overall (and effort) question, on which scale, and where the
contact, channel, program... come from is declared per survey under `qualtrics:` in sources.yml.
DECISIONLOG "Qualtrics Reader: Declared Scales, Questions by QID".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath

from .. import schema
from .base import Claim, Reader, ReaderError, Staged, Staging, Unit, no_exclusions
from .base import col as _col
from .base import ident as _ident
from .base import q as _q
from .base import stem as _stem

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

    name = "qualtrics"
    folders = ("qualtrics",)
    entities = ("survey_responses",)
    tables = QUALTRICS_TABLES
    required = ("survey_response", "question_response")

    def table_of(self, path: str) -> str | None:
        return _stem(path).removeprefix("qualtrics_")

    def units(self, claim: Claim, paths: list[str]):
        csv_files = [p for p in paths if p.lower().endswith((".csv", ".csv.gz"))]
        native = [
            p for p in csv_files if self.table_of(p) not in (*QUALTRICS_TABLES, *QUALTRICS_OTHER_TABLES)
        ]
        fivetran = [p for p in csv_files if p not in native]
        units, skipped = super().units(claim, fivetran)
        skipped = [(p, "a Qualtrics table the survey reader does not need") for p, _ in skipped]
        skipped += [(p, "not a CSV file") for p in paths if p not in csv_files]
        units += [Unit(claim, [p]) for p in native]
        return units, skipped

    # -- declarations ------------------------------------------------------------------------

    def _surveys(self, st: Staging) -> dict[str, _Survey]:
        cfg = st.settings(self.name).get("surveys") or {}
        out: dict[str, _Survey] = {}
        for sid, spec in cfg.items():
            where = f"sources.yml qualtrics.surveys.{sid}"
            if not isinstance(spec, dict):
                raise ReaderError(f"{where}: expected a mapping")
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
                    raise ReaderError(f"{where}.{role}: needs question (a QID) and scale: [min, max]")
                questions[role] = (str(q["question"]), f"{scale[0]:g}", f"{scale[1]:g}")
            if "overall" not in questions:
                raise ReaderError(
                    f"{where}: no overall question and scale; " + _QUALTRICS_DECLARE.format(survey=sid)
                )
            columns = {}
            for col, src in (spec.get("columns") or {}).items():
                if col not in _MAPPED_COLUMNS:
                    raise ReaderError(f"{where}.columns.{col}: not one of {', '.join(_MAPPED_COLUMNS)}")
                if not isinstance(src, dict) or len(src) != 1 or next(iter(src)) not in ("embedded", "value"):
                    raise ReaderError(
                        f"{where}.columns.{col}: expected {{embedded: <field>}} or {{value: <constant>}}"
                    )
                kind, key = next(iter(src.items()))
                columns[col] = (kind, str(key))
            files = spec.get("files") or []
            out[str(sid)] = _Survey(str(sid), questions, columns, [str(f) for f in files])
        return out

    def _time_zone(self, st: Staging, e) -> str | None:
        return st.settings(self.name).get("time_zone") or st.time_zone_for(e.name)

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

    def _finish(self, st: Staging, e, surveys, base: str, zone=None, header_rows=None) -> Staged:
        st.con.execute(f"create temp table _cx_src as {self._select(surveys, base)}")
        no_exclusions(st)
        produced = {"response_id", "responded_at", *_MAPPED_COLUMNS}
        produced |= {f"{r}_{x}" for r in _SCORE_COLUMNS for x in ("score", "scale_min", "scale_max")}
        return Staged(
            columns=[*(c for c in e.column_names if c in produced), *_QUALTRICS_KEPT],
            checks=True,
            time_zone=zone or self._time_zone(st, e),
            header_rows=header_rows or {},
        )

    @staticmethod
    def _wanted(surveys: dict[str, _Survey]) -> tuple[list[str], list[str]]:
        qids = sorted({q[0] for s in surveys.values() for q in s.questions.values()})
        fields = sorted({k for s in surveys.values() for kind, k in s.columns.values() if kind == "embedded"})
        return qids, fields

    # -- Fivetran tables ------------------------------------------------------------------------

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        e = schema.entity(entity)
        if not unit.together:
            return self._stage_native(st, e)
        present = self.present(unit)
        sr = self.read_table(st, 0, "_cx_v_sr", ("id", "survey_id"))
        self.read_table(st, present["question_response"], "_cx_v_qr", ("response_id", "question_id", "value"))
        surveys = self._surveys(st)
        found = [
            r[0] for r in st.con.execute("select distinct survey_id from _cx_v_sr order by 1").fetchall()
        ]
        undeclared = [s for s in found if s not in surveys]
        if undeclared:
            raise ReaderError(
                f"survey(s) {', '.join(undeclared)} have no declared overall question and scale; "
                + _QUALTRICS_DECLARE.format(survey=undeclared[0])
            )
        qids, fields = self._wanted(surveys)
        answers = ", ".join(
            f"max(value) filter (where question_id = {_q(q)}) as {_ident('q:' + q)}" for q in qids
        )
        # Only the answer to the question itself: not a sub-question or a loop iteration.
        st.con.execute(
            f"""
            create temp table _cx_v_answers as
            select response_id, {answers} from _cx_v_qr
            where coalesce(sub_question_key, '') = '' and coalesce(loop_id, '') = ''
            group by response_id
        """
            if qids
            else "create temp table _cx_v_answers as select null::varchar as response_id where false"
        )
        st.temp("_cx_v_answers")
        emb_join = ""
        emb_cols = ""
        if fields:
            if "survey_embedded_data" not in present:
                raise ReaderError(
                    f"sources.yml declares embedded data ({', '.join(fields)}) but the folder "
                    "has no survey_embedded_data table"
                )
            self.read_table(st, present["survey_embedded_data"], "_cx_v_ed", ("response_id", "key", "value"))
            embedded = ", ".join(
                f"max(value) filter (where key = {_q(k)}) as {_ident('e:' + k)}" for k in fields
            )
            st.con.execute(
                f"create temp table _cx_v_embedded as select response_id, {embedded} "
                "from _cx_v_ed group by response_id"
            )
            st.temp("_cx_v_embedded")
            emb_join = "left join _cx_v_embedded as em on em.response_id = r.id"
            emb_cols = ", " + ", ".join(f"em.{_ident('e:' + k)}" for k in fields)
        r = lambda n: _col(sr, "r", n)  # noqa: E731
        kept = ", ".join(f"{r(c)} as {c}" for c in _QUALTRICS_KEPT if c != "survey_id")
        q_cols = "".join(f", an.{_ident('q:' + q)}" for q in qids)
        st.con.execute(f"""
            create temp table _cx_v_base as
            select r._ord, 0 as _src_file, r._ord as _src_ord, r.id as response_id, r.survey_id,
                {r("end_date")} as end_date, {r("recorded_date")} as recorded_date, {kept}
                {q_cols} {emb_cols}
            from _cx_v_sr as r
            left join _cx_v_answers as an on an.response_id = r.id
            {emb_join}
        """)
        st.temp("_cx_v_base")
        return self._finish(st, e, surveys, "_cx_v_base")

    # -- native export (three header rows) -------------------------------------------------------

    def _stage_native(self, st: Staging, e) -> Staged:
        name = PurePosixPath(st.versions[0].path).name
        names, import_ids, zones = self._native_header(st)
        surveys = self._surveys(st)
        matching = [s for s in surveys.values() if any(fnmatch(name, f) for f in s.files)]
        if not matching and len(surveys) == 1:
            matching = list(surveys.values())
        if len(matching) != 1:
            raise ReaderError(
                "a native Qualtrics export names no survey id: declare which survey it is "
                f"with qualtrics.surveys.<survey id>.files: [{name}] in sources.yml"
                + ("" if surveys else "; " + _QUALTRICS_DECLARE.format(survey="<survey id>"))
            )
        survey = matching[0]
        surveys = {survey.survey_id: survey}
        st.read_csv(0, "_cx_v_native", names)
        st.temp("_cx_v_native")
        by_import = {iid: n for n, iid in zip(names, import_ids, strict=True) if iid}

        def column(import_id: str, what: str) -> str:
            if import_id in by_import:
                return f"nullif(trim(n.{_ident(by_import[import_id])}), '')"
            if import_id in names:  # embedded data exported under its own name
                return f"nullif(trim(n.{_ident(import_id)}), '')"
            raise ReaderError(f"{name}: no column for {what} (ImportId {import_id}) in the export")

        qids, fields = self._wanted(surveys)
        picks = [f"{column('_recordId', 'the response id')} as response_id"]
        for iid, col in _NATIVE_IMPORT_IDS.items():
            if col == "id":
                continue
            picks.append(f"{column(iid, col) if iid in by_import else 'null::varchar'} as {col}")
        picks += [f"{column(q, 'question ' + q)} as {_ident('q:' + q)}" for q in qids]
        picks += [f"{column(k, 'embedded data ' + k)} as {_ident('e:' + k)}" for k in fields]
        # Rows 2 and 3 (question text, ImportIds) are the first two records after the header.
        st.con.execute(f"""
            create temp table _cx_v_base as
            select n._ord - 2 as _ord, 0 as _src_file, n._ord - 2 as _src_ord,
                {_q(survey.survey_id)} as survey_id, {", ".join(picks)}
            from _cx_v_native as n where n._ord > 2
        """)
        st.temp("_cx_v_base")
        # The export says its own zone in row 3 (`"timeZone"` of the end date); else declared.
        zone = zones.get("endDate") or zones.get("recordedDate")
        return self._finish(st, e, surveys, "_cx_v_base", zone, header_rows={0: 3})

    def _native_header(self, st: Staging):
        """Row 1 names, row 3 ImportIds and any time zones they declare, checked."""
        names = [n.strip() for n in st.csv_header(0)]
        rows = st.csv_records(0, 3)
        if len(rows) < 3:
            raise ReaderError("not a Qualtrics CSV export: fewer than three header rows")
        import_ids, zones = [], {}
        for cell in rows[2]:
            try:
                meta = json.loads(cell)
            except ValueError:
                meta = None
            if not isinstance(meta, dict) or "ImportId" not in meta:
                raise ReaderError(
                    'not a Qualtrics CSV export: row 3 should hold {"ImportId": ...} for every '
                    f"column, found {cell[:40]!r}"
                )
            import_ids.append(str(meta["ImportId"]))
            if meta.get("timeZone"):
                zones[str(meta["ImportId"])] = str(meta["timeZone"])
        if len(import_ids) != len(names):
            raise ReaderError("not a Qualtrics CSV export: row 3 does not have a cell for every column")
        return names, import_ids, zones
