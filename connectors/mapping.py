"""Column mappings that turn any vendor's call-detail CSV into a canonical entity, without code.

A landing folder that holds a `_mapping.yml` is a mapped source: every CSV file in it is
read with its own header, and the mapping says how each canonical column is made from
the source columns. The result is handed to the ordinary loader (typing, quarantine,
pseudonymisation, manifest), so a mapped file obeys every connector rule.

Mapping keys (see `connectors/mappings/anonymous_bank_call_log.yml` for a full example):

- `target`: the canonical entity (e.g. `acd_contacts`).
- `time_zone`: IANA zone the source's clock times are in.
- `columns`: canonical column -> a source column, a list of source columns (the first
  non-empty wins), `{concat: [columns], separator: "-"}` (a key made of several columns),
  or `{value: constant}`.
- `null_values` / `column_null_values`: markers meaning "no value", for every column or
  per source column (e.g. `0:00:00` for an event that did not happen).
- `date_column`, `date_format`, `time_format`, `time_columns`, `day_starts_at`: clock-time
  columns are combined with the date column; a time more than 12 hours earlier than the
  `day_starts_at` column rolls over to the next day (a call that crosses midnight), while
  a few minutes earlier is clock skew between systems and stays on the date.
- `datetime_format`: for columns holding a full date and time in one non-ISO format.
- `when: {source column: value | [values] | null}` on a column spec (with `first: [...]`
  or `column: name`) sets the column only for the records that match.
- `outcome`: `{column, map: {source value: canonical outcome}}`; `abandoned` follows it.
- `exclude`: a list of `{when: {...}, reason: ...}`; matching records are not rows of the
  target (e.g. a call that hung up in the IVR was never offered to a queue).

Excluded records are not errors: they are counted per reason in `raw._excluded` with
their file, line and record date, so totals still reconcile with the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import schema

MAPPING_FILE = "_mapping.yml"


class MappingError(ValueError):
    """The mapping file is wrong; the message names the key."""


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Mapping:
    target: schema.Entity
    time_zone: str | None
    columns: dict[str, object]
    null_values: list[str] = field(default_factory=list)
    column_null_values: dict[str, list[str]] = field(default_factory=dict)
    date_column: str | None = None
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M:%S"
    time_columns: list[str] = field(default_factory=list)
    day_starts_at: str | None = None
    datetime_format: str | None = None
    outcome: dict | None = None
    exclude: list[dict] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict, where: str) -> Mapping:
        if not isinstance(data, dict) or "target" not in data or "columns" not in data:
            raise MappingError(f"{where}: a mapping needs `target` and `columns`")
        try:
            target = schema.entity(data["target"])
        except KeyError as exc:
            raise MappingError(f"{where}: target: {exc.args[0]}") from None
        known = set(target.column_names)
        for key in data["columns"]:
            if key not in known:
                raise MappingError(f"{where}: {key!r} is not a column of {target.name}")
        unknown = set(data) - {f for f in cls.__dataclass_fields__} - {"description"}
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        kw = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "target"}
        kw.setdefault("time_zone", None)
        return cls(target=target, **kw)

    # -- SQL over the file's all-text columns -------------------------------------------------

    def _nulls(self, col: str) -> list[str]:
        return [*self.null_values, *self.column_null_values.get(col, [])]

    def _ref(self, col: str, header: set[str]) -> str:
        if col not in header:
            raise MappingError(f"source column {col!r} is not in the file's header")
        v = f"nullif(trim(raw.{_ident(col)}), '')"
        nulls = self._nulls(col)
        if nulls:
            v = f"case when {v} in ({', '.join(_q(n) for n in nulls)}) then null else {v} end"
        if col in self.time_columns and self.date_column:
            day = f"strptime(raw.{_ident(self.date_column)}, {_q(self.date_format)})"
            t = f"cast(strptime({v}, {_q(self.time_format)}) as time)"
            ts = f"(cast({day} as date) + {t})"
            if self.day_starts_at and self.day_starts_at != col:
                start = (
                    f"cast(strptime(nullif(trim(raw.{_ident(self.day_starts_at)}), ''), "
                    f"{_q(self.time_format)}) as time)"
                )
                # Only a time far earlier than the day's start crossed midnight; a few minutes
                # earlier is clock skew between the systems that stamped the two columns.
                crossed = f"epoch({start}) - epoch({t}) > 43200"
                ts = f"(case when {crossed} then {ts} + interval 1 day else {ts} end)"
            v = f"strftime({ts}, '%Y-%m-%d %H:%M:%S')"
        elif self.datetime_format and col in self.time_columns:
            v = f"strftime(strptime({v}, {_q(self.datetime_format)}), '%Y-%m-%d %H:%M:%S')"
        return v

    def _when(self, cond: dict, header: set[str]) -> str:
        """`{source column: value | [values] | null}`, all of which must hold."""
        if not isinstance(cond, dict) or not cond:
            raise MappingError(f"`when` needs a mapping of source columns to values, not {cond!r}")
        parts = []
        for col, want in cond.items():
            ref = self._ref(col, header)
            if want is None:
                parts.append(f"{ref} is null")
            elif isinstance(want, list):
                parts.append(f"{ref} in ({', '.join(_q(v) for v in want)})")
            else:
                parts.append(f"{ref} = {_q(want)}")
        return " and ".join(parts)

    def _column(self, spec: object, header: set[str]) -> str:
        if isinstance(spec, dict) and "when" in spec:
            inner = {k: v for k, v in spec.items() if k != "when"}
            inner = inner.get("first", inner.get("column", inner))
            return f"case when {self._when(spec['when'], header)} then {self._column(inner, header)} end"
        if isinstance(spec, dict) and "value" in spec:
            return _q(spec["value"])
        if isinstance(spec, dict) and "concat" in spec:
            sep = _q(spec.get("separator", "-"))
            parts = ", ".join(self._ref(c, header) for c in spec["concat"])
            return f"concat_ws({sep}, {parts})"
        if isinstance(spec, list):
            return f"coalesce({', '.join(self._ref(c, header) for c in spec)})"
        if isinstance(spec, str):
            return self._ref(spec, header)
        raise MappingError(f"cannot read column spec {spec!r}")

    def select(self, header: list[str]) -> tuple[str, list[str]]:
        """SQL over `_cx_raw` giving `_ord`, `_exclude`, the mapped canonical columns (text)
        and the unmapped source columns (kept as extras); and the resulting header."""
        hs = set(header)
        exprs: dict[str, str] = {}
        for name, spec in self.columns.items():
            exprs[name] = self._column(spec, hs)
        reasons: list[str] = []
        if self.outcome:
            col = self.outcome["column"]
            src = self._ref(col, hs)
            cases = " ".join(f"when {_q(k)} then {_q(v)}" for k, v in (self.outcome.get("map") or {}).items())
            exprs["outcome"] = f"case {src} {cases} else {src} end"
            if "abandoned" not in self.columns:
                exprs["abandoned"] = (
                    f"case when ({exprs['outcome']}) is null then null "
                    f"when ({exprs['outcome']}) = 'abandoned' then 'true' else 'false' end"
                )
        for rule in self.exclude:
            if not isinstance(rule, dict) or "when" not in rule or "reason" not in rule:
                raise MappingError(f"each `exclude` rule needs `when` and `reason`, not {rule!r}")
            reasons.append(f"case when {self._when(rule['when'], hs)} then {_q(rule['reason'])} end")
        used = self._used_source_columns()
        extras = [c for c in header if c not in used and c not in exprs]
        exclude = f"coalesce({', '.join(reasons)})" if reasons else "null::varchar"
        record_date = (
            f"cast(strptime(raw.{_ident(self.date_column)}, {_q(self.date_format)}) as date)"
            if self.date_column
            else "null::date"
        )
        cols = [f"{e} as {_ident(n)}" for n, e in exprs.items()]
        cols += [f"raw.{_ident(c)} as {_ident(c)}" for c in extras]
        sql = (
            f"select raw._ord, {exclude} as _exclude, {record_date} as _record_date, "
            f"{', '.join(cols)} from _cx_raw as raw"
        )
        return sql, [*exprs, *extras]

    def _used_source_columns(self) -> set[str]:
        used: set[str] = set()
        for spec in self.columns.values():
            while isinstance(spec, dict) and "when" in spec:
                spec = spec.get("first", spec.get("column"))
            if isinstance(spec, str):
                used.add(spec)
            elif isinstance(spec, list):
                used.update(spec)
            elif isinstance(spec, dict) and "concat" in spec:
                used.update(spec["concat"])
        if self.outcome:
            used.add(self.outcome["column"])
        return used
