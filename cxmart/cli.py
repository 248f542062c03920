"""The `cxmart` command line: generate a sample centre, load exports, run the pipeline, or a demo."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import pipeline
from . import scorecard as sc
from .config import ENV_ENGINE, ENV_HOME, ENV_LANDING, ConfigError, Settings, pseudonym_key
from .gate import GateError

app = typer.Typer(
    help="cxmart: contact-centre exports -> DuckDB -> dbt COPC metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help=f"Working folder (landing/, warehouse.duckdb, mart.duckdb, reports/). "
        f"Else ${ENV_HOME}, else ./data.",
        show_default=False,
    ),
]
Landing = Annotated[
    str | None,
    typer.Option(
        "--landing",
        help=f"Where the exports are: a folder or an fsspec URL (s3://...). "
        f"Else ${ENV_LANDING}, else <home>/landing.",
        show_default=False,
    ),
]
Warehouse = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        help="The working DuckDB file. Else $CXMART_WAREHOUSE, else <home>/warehouse.duckdb.",
        show_default=False,
    ),
]

Engine = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help=f"What runs the dbt build: duckdb (embedded) or spark (needs the spark extra and Java "
        f"17). Else ${ENV_ENGINE}, else duckdb.",
        show_default=False,
    ),
]


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]cxmart:[/red] {message}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def _settings(**paths) -> Settings:
    """Settings.resolve, or exit 2 with its one-line reason (a wrong CXMART_DUCKDB_* value)."""
    try:
        return Settings.resolve(**paths)
    except ConfigError as exc:
        _fail(str(exc), 2)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


def _generate(out: Path, days: int, agents: int, sites: int, seed: int, start: dt.date) -> dict:
    from .generator import generate

    with _progress() as bar:
        task = bar.add_task("generate", total=days)
        counts = generate(
            out,
            days=days,
            agents=agents,
            sites=sites,
            seed=seed,
            start=start,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    return counts


@app.command()
def generate(
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 184,
    agents: Annotated[int, typer.Option(help="Customer service staff (CSS).")] = 60,
    sites: Annotated[int, typer.Option(help="Sites, each in its own time zone.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, byte-identical files.")] = 7,
    start: Annotated[
        dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First simulated day.")
    ] = dt.datetime(2026, 3, 1),
    out: Annotated[
        Path | None,
        typer.Option(help="Landing folder to write into. Else <home>/landing.", show_default=False),
    ] = None,
    home: Home = None,
) -> None:
    """Write a realistic sample contact centre's exports in the canonical landing layout."""
    settings = _settings(home=home)
    if out is None and "://" in settings.landing:
        _fail(f"the generator writes local files; the landing is {settings.landing}: give --out DIR")
    target = out or Path(settings.landing)
    counts = _generate(target, days, agents, sites, seed, start.date())
    console.print(f"wrote {sum(counts.values()):,} rows in {len(counts)} entities to {target}")


def _print_load(report) -> None:
    """Per entity: files seen, rows loaded, rows quarantined, files rejected, files skipped
    (already loaded, or a duplicate export of a loaded file)."""
    table = Table(title="Loaded", show_lines=False)
    for col in ("entity", "files", "rows", "quarantined", "rejected", "skipped"):
        table.add_column(col, justify="left" if col == "entity" else "right")
    per: dict[str, list[int]] = {}
    for f in report.files:
        row = per.setdefault(f.entity, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += f.rows
        row[2] += f.quarantined
        row[3] += f.status == "rejected"
        row[4] += f.status in ("unchanged", "duplicate")
    for entity, (files, rows, quarantined, rejected, skipped) in per.items():
        table.add_row(entity, str(files), f"{rows:,}", str(quarantined), str(rejected), str(skipped))
    console.print(table)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if report.quarantined:
        console.print(
            f"[yellow]{report.quarantined} malformed row(s) quarantined[/yellow] "
            "(see raw._quarantine: file, line, reason)"
        )
    for f in report.rejected:
        err.print(f"[red]{f.message}[/red]", soft_wrap=True, highlight=False)


def _print_build(summary: pipeline.BuildSummary) -> None:
    built = ", ".join(f"{n} {kind}s" for kind, n in sorted(summary.counts.items()))
    console.print(f"dbt build: {built or 'nothing'}" + ("" if summary.success else " [red]FAILED"))
    for f in summary.failures:
        err.print(f"[red]  {f}[/red]", soft_wrap=True, highlight=False)


def _key(demo: bool) -> str:
    try:
        return pseudonym_key(demo=demo)
    except ConfigError as exc:
        _fail(str(exc), 2)


@app.command()
def load(home: Home = None, landing: Landing = None, warehouse: Warehouse = None) -> None:
    """Land every export under the landing location in the warehouse's raw schema."""
    settings = _settings(home=home, landing=landing, warehouse=warehouse)
    key = _key(demo=False)
    with _progress() as bar:
        task = bar.add_task("load", total=None)
        try:
            report = pipeline.load(
                settings,
                key,
                progress=lambda _r: bar.advance(task),
                on_start=lambda n: bar.update(task, total=n),
            )
        except pipeline.StageFailed as exc:
            failed = exc
        else:
            failed = None
    if failed is not None:
        _fail(str(failed))
    _print_load(report)
    if report.rejected:
        _fail(f"{len(report.rejected)} file(s) rejected; the rest loaded")


def _print_gate(report) -> None:
    """One line per gate; a short table of failures naming source, site, queue and day."""
    from .gate import GateReport

    assert isinstance(report, GateReport)
    judged = ""
    if report.gate == "raw":
        judged = (
            f" (judged every unit-day: {report.scope_reason})"
            if report.scope == "full"
            else f" (judged the days changes reach: {report.scope_reason})"
        )
    if not report.failures:
        absent = f"; absent (no files ever): {', '.join(report.absent)}" if report.absent else ""
        console.print(f"{report.gate} gate: {report.suites} suite(s) passed{absent}{judged}")
        return
    shown = sorted(report.failures, key=lambda f: not f.blocking)[:GATE_ROWS]
    title = f"{report.gate} gate: {len(report.failures)} failure(s){judged}"
    if report.night is not None:
        title += f", {len(report.blocking)} on the unit-days night {report.night} judges"
    table = Table(title=title, show_lines=False)
    first = "source" if report.gate == "raw" else "metric"
    for col in (first, "check", "site", "queue" if report.gate == "raw" else "unit", "day", "observed"):
        table.add_column(col, justify="right" if col == "observed" else "left")
    for f in shown:
        observed = "" if f.observed is None else f"{f.observed:.4g}"
        fourth = f.queue_id if report.gate == "raw" else f.unit
        table.add_row(
            f.source or "", f.expectation, f.site_id or "", fourth or "", str(f.day or ""), observed
        )
    console.print(table)
    if len(report.failures) > len(shown):
        console.print(f"... and {len(report.failures) - len(shown)} more (audit.validation_results)")
    if report.docs is not None:
        console.print(f"Data Docs: {report.docs}")


GATE_ROWS = 20


def _run(
    settings: Settings, key: str, allow_incomplete: bool = False, night=None, full_refresh: bool = False
) -> None:
    gates = []
    with _progress() as bar:
        tasks: dict[str, int] = {}
        try:
            report, summary = pipeline.run(
                settings,
                key,
                on_stage=lambda name: tasks.setdefault(name, bar.add_task(name, total=None)),
                load_progress=lambda _r: bar.advance(tasks["load"]),
                on_load_start=lambda n: bar.update(tasks["load"], total=n),
                on_node=lambda _uid, _status: bar.advance(tasks["dbt build"]),
                allow_incomplete=allow_incomplete,
                on_gate=gates.append,
                night=night,
                full_refresh=full_refresh,
            )
        except pipeline.StageFailed as exc:
            failed = exc
        except GateError as exc:
            _fail(str(exc), 2)
        else:
            failed = None
    if failed is not None:
        if failed.report is not None:
            _print_load(failed.report)
        if failed.summary is not None:
            _print_build(failed.summary)
        for g in gates:
            _print_gate(g)
        _fail(str(failed))
    _print_load(report)
    for g in gates[:1]:
        _print_gate(g)
    _print_build(summary)
    for g in gates[1:]:
        _print_gate(g)
    console.print(f"published {settings.mart}")
    _report_after_publish(settings)


def _report_after_publish(settings: Settings) -> None:
    """The last stage of run/demo: the scorecard (short form) and the HTML report, both read from
    the mart just published."""
    try:
        written = pipeline.report(settings)
    except sc.ScorecardUnavailable as exc:
        console.print(f"[yellow]note:[/yellow] no scorecard: {escape(str(exc))}", soft_wrap=True)
        return
    _print_scorecard(written.card, short=True)
    console.print(f"report: {written.path}")


AllowIncomplete = Annotated[
    bool,
    typer.Option(
        "--allow-incomplete",
        help="Build and publish even when the raw completeness gate fails (the failure is still "
        "recorded, and the metric-months built from the failing source are incomplete_source).",
    ),
]


NightOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--night",
        formats=["%Y-%m-%d"],
        help="Process one night, as the Airflow DAG does: load only files dated on or before it (and "
        "undated ones), and let only its days (and days its files changed) fail the raw gate.",
        show_default=False,
    ),
]


FullRefresh = Annotated[
    bool,
    typer.Option(
        "--full-refresh",
        help="Rebuild every incremental dbt model from all raw rows (and run the dbt unit tests), "
        "instead of only from the first day the new raw rows reach. Needed after editing a model.",
    ),
]


@app.command()
def run(
    home: Home = None,
    landing: Landing = None,
    warehouse: Warehouse = None,
    allow_incomplete: AllowIncomplete = False,
    night: NightOption = None,
    full_refresh: FullRefresh = False,
    engine: Engine = None,
) -> None:
    """Run every stage in order (load -> raw gate -> dbt build -> mart gate -> publish -> report);
    non-zero exit at the first failure. Ends with the scorecard and the HTML report."""
    from .night import Night

    settings = _settings(home=home, landing=landing, warehouse=warehouse, engine=engine)
    keyed = Night.of(night.date()) if night else None
    _run(
        settings, _key(demo=False), allow_incomplete=allow_incomplete, night=keyed, full_refresh=full_refresh
    )
    console.print("[green]run complete[/green]")


@app.command()
def validate(home: Home = None, landing: Landing = None, warehouse: Warehouse = None) -> None:
    """Run the completeness gates alone on the working warehouse (raw entities, every unit-day of the
    history, and the mart if built); exit 1 on any failure. Results go to audit.validation_results
    and <reports>/data_docs/."""
    settings = _settings(home=home, landing=landing, warehouse=warehouse)
    if not settings.warehouse.is_file():
        _fail(f"no working warehouse at {settings.warehouse}: run `cxmart load` or `cxmart run` first")
    from .gate import new_run_id

    run_id = new_run_id()
    try:
        reports = [pipeline.raw_gate(settings, run_id, full=True)]
        if _has_mart(settings):
            reports.append(pipeline.mart_gate(settings, run_id))
    except GateError as exc:
        _fail(str(exc), 2)
    for r in reports:
        _print_gate(r)
    failed = sum(len(r.failures) for r in reports)
    if failed:
        _fail(f"validate failed: {failed} failure(s) in run {run_id} (audit.validation_results)")
    console.print(f"[green]validate passed[/green] (run {run_id})")


def _has_mart(settings: Settings) -> bool:
    con = settings.connect(read_only=True)
    try:
        return bool(
            con.execute(
                "select count(*) from duckdb_tables() "
                "where schema_name = 'mart' and table_name = 'metric_values'"
            ).fetchone()[0]
        )
    finally:
        con.close()


@app.command()
def publish(
    home: Home = None,
    warehouse: Warehouse = None,
    rollback: Annotated[
        bool,
        typer.Option("--rollback", help="Publish again the mart published before the current one."),
    ] = False,
) -> None:
    """Gate the working warehouse's mart and publish it atomically to <home>/mart.duckdb (BI reads it
    read-only); keeps the last $CXMART_KEEP_MARTS (default 5) publications for --rollback."""
    from . import publish as pub
    from .gate import new_run_id

    settings = _settings(home=home, warehouse=warehouse)
    try:
        if rollback:
            target = pub.rollback(settings)
            console.print(f"[green]rolled back[/green]: {settings.mart} is again {target.name}")
            return
        gates = []
        try:
            pipeline.audit_and_publish(settings, new_run_id(), on_gate=gates.append)
        finally:
            for g in gates:
                _print_gate(g)
    except pipeline.StageFailed as exc:
        _fail(str(exc))
    except (pub.PublishError, GateError) as exc:
        _fail(str(exc))
    console.print(f"[green]published[/green] {settings.mart}")


@app.command("export-raw")
def export_raw(home: Home = None, warehouse: Warehouse = None) -> None:
    """Write the warehouse's raw tables (and the raw gate's results) as Parquet under
    <warehouse>.spark/sources/, the sources dbt reads on Spark. `cxmart run --engine spark` does it before
    every build; run it yourself to build with dbt on Spark by hand."""
    from . import spark

    settings = _settings(home=home, warehouse=warehouse)
    if not settings.warehouse.is_file():
        _fail(f"no working warehouse at {settings.warehouse}: run `cxmart load` or `cxmart run` first")
    counts = spark.export_raw(settings)
    console.print(
        f"exported {sum(counts.values()):,} rows in {len(counts)} tables to {settings.spark_sources}"
    )


@app.command()
def manifest(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder to write manifest.json into. Else the folder of $CXMART_DBT_MANIFEST, else "
            "dbt_project/target.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build the dbt manifest the Airflow DAG renders its dbt tasks from (`dbt parse`, ahead of time,
    never at DAG parse time). Run it again after changing the dbt project."""
    from .config import manifest_path

    settings = _settings()
    target = out or manifest_path().parent
    try:
        path = pipeline.build_manifest(settings, target)
    except pipeline.StageFailed as exc:
        _fail(str(exc))
    console.print(f"dbt manifest: {path}")


def _yes(v: bool | None) -> str:
    return "–" if v is None else "[green]yes[/green]" if v else "[red]no[/red]"


def _print_headline(h: sc.Summary) -> None:
    word = "[bold green]CERTIFIED[/bold green]" if h.certified else "[bold red]NOT YET CERTIFIED[/bold red]"
    console.print(
        f"[bold]COPC scorecard[/bold]: {escape(h.label)}, edition {escape(h.edition)}, scoring month "
        f"{sc.month_text(h.scoring_month)} (period {sc.month_text(h.period_start)} – "
        f"{sc.month_text(h.period_end)})",
        highlight=False,
    )
    short = f", short {sc.points(h.points_short)}" if h.points_short > 0 else ""
    console.print(
        f"verdict: {word}   points {sc.points(h.points_earned)} of {sc.points(h.points_available)} "
        f"({sc.pct(h.score_pct)}); needed {sc.points(h.points_needed)}{short}",
        highlight=False,
    )
    console.print(
        f"M {sc.pct(h.m_pct)}, M + I {sc.pct(h.mi_pct)}; 50 rule {_yes(h.rule_50_met)}, "
        f"75 rule {_yes(h.rule_75_met)}; approach 100% on 1.0-3.0: "
        + (_yes(h.approach_all_100) if h.self_assessed else "not self-assessed"),
        highlight=False,
    )
    console.print(
        f"trend rule: {escape(h.trend_rule)}"
        + ("; [yellow]provisional[/yellow] (fewer than 6 months of data)" if h.is_provisional else ""),
        highlight=False,
    )
    console.print(
        f"renewal extension: met {sc.pct(h.renewal_met_pct)} (> 65%), met or improving "
        f"{sc.pct(h.renewal_met_or_improving_pct)} (> 75%): {_yes(h.renewal_extension)}",
        highlight=False,
    )
    if h.failed_conditions:
        console.print("[bold red]failed conditions:[/bold red]")
        for c in h.failed_conditions:
            console.print(f"  [red]- {escape(c)}[/red]", soft_wrap=True, highlight=False)


def _scope_table(card: sc.Scorecard) -> Table:
    table = Table(title="Scopes", show_lines=False)
    for col in ("scope", "points", "score", "M", "M + I", "50/75", "certified"):
        table.add_column(col, justify="left" if col == "scope" else "right", no_wrap=True)
    for s in card.summaries:
        table.add_row(
            escape(s.label),
            f"{sc.points(s.points_earned)}/{sc.points(s.points_available)}",
            sc.pct(s.score_pct),
            sc.pct(s.m_pct),
            sc.pct(s.mi_pct),
            f"{_yes(s.rule_50_met)}/{_yes(s.rule_75_met)}",
            _yes(s.certified),
        )
    return table


def _items_table(card: sc.Scorecard, scope: sc.Summary) -> Table:
    title = (
        f"{scope.label}: {sc.points(scope.points_earned)} of {sc.points(scope.points_available)} points "
        f"({sc.pct(scope.score_pct)})"
    )
    table = Table(title=escape(title), show_lines=False)
    for col in ("item", "name", "M%", "I%", "score%", "points"):
        table.add_column(col, justify="left" if col in ("item", "name") else "right")
    for i in card.items_of(scope):
        name = escape(i.label)
        if i.approach_pct is not None:
            name += f" (approach {sc.pct(i.approach_pct, 0)}, deployment {sc.pct(i.deployment_pct, 0)})"
        if i.is_applicable is False:
            name += " [dim](not applicable)[/dim]"
        pts = "" if i.is_part else f"{sc.points(i.points_earned)} / {sc.points(i.points_available)}"
        row = [
            "" if i.is_part else escape(i.item),
            f"  {name}" if i.is_part else name,
            "" if i.m_pct is None else sc.pct(i.m_pct),
            "" if i.i_pct is None else sc.pct(i.i_pct),
            sc.pct(i.score_pct),
            pts,
        ]
        table.add_row(*row, style="dim" if i.is_part else None)
    return table


def _print_scorecard(card: sc.Scorecard, short: bool = False) -> None:
    """The verdict and failed conditions first; then (short) one line per scope, or (full) each
    scope's items."""
    _print_headline(card.headline)
    if short or len(card.summaries) > 1:
        console.print(_scope_table(card))
    if short:
        return
    for s in card.summaries:
        console.print(_items_table(card, s))
        if s is not card.headline and s.failed_conditions:
            console.print(f"[bold red]{escape(s.label)}: failed conditions[/bold red]")
            for c in s.failed_conditions:
                console.print(f"  [red]- {escape(c)}[/red]", soft_wrap=True, highlight=False)


def scorecard_text(card: sc.Scorecard, short: bool = False) -> str:
    """The scorecard as `cxmart score` prints it, as plain text (for logs, e.g. the Airflow task's)."""
    with console.capture() as captured:
        _print_scorecard(card, short=short)
    return captured.get()


Site = Annotated[
    str | None,
    typer.Option("--site", help="Only this site's scorecard (its site id).", show_default=False),
]


@app.command()
def score(
    home: Home = None,
    site: Site = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Print the COPC scorecard of the published mart: the verdict and failed conditions, then the
    item scores (M%, I%, score%, points) of the organisation and each site."""
    settings = _settings(home=home)
    try:
        card = sc.load(settings)
        if site is not None:
            card = card.only_site(site)
    except sc.ScorecardUnavailable as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(card.to_dict(), indent=2))
        return
    _print_scorecard(card)


@app.command("report")
def report_command(home: Home = None) -> None:
    """Write the HTML scorecard of the published mart to <reports>/scorecard-<month>.html and
    <reports>/scorecard.html (self-contained: open it in any browser), and print its path."""
    settings = _settings(home=home)
    try:
        written = pipeline.report(settings)
    except sc.ScorecardUnavailable as exc:
        _fail(str(exc))
    console.print(f"wrote {written.path}", highlight=False, soft_wrap=True)
    console.print(f"latest: {written.latest}", highlight=False, soft_wrap=True)


DEMO_MARKER = ".cxmart-demo.json"


def _demo_landing(settings: Settings, params: dict) -> Path:
    """The demo's own landing folder: refuse one it did not write, start clean when the sample changes."""
    landing = settings.home / "landing"
    marker = landing / DEMO_MARKER
    if marker.exists():
        if json.loads(marker.read_text()) != params:
            # Another sample: drop the old files and what was loaded from them.
            shutil.rmtree(landing)
            for p in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal")):
                p.unlink(missing_ok=True)
    elif landing.exists() and any(landing.iterdir()):
        _fail(
            f"{landing} holds exports that `cxmart demo` did not write; "
            "run the demo with another --home (or CXMART_HOME)"
        )
    landing.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(params, sort_keys=True))
    return landing


@app.command()
def demo(
    home: Home = None,
    warehouse: Warehouse = None,
    days: Annotated[int, typer.Option(help="Days to simulate.")] = 184,
    agents: Annotated[int, typer.Option(help="Customer service staff (CSS).")] = 60,
    sites: Annotated[int, typer.Option(help="Sites.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    engine: Engine = None,
) -> None:
    """Generate a sample centre into <home>/landing, load it with the demo key, build it, publish it,
    and end with the scorecard and the HTML report."""
    base = _settings(home=home, warehouse=warehouse, engine=engine)
    start = dt.date(2026, 3, 1)
    params = {"days": days, "agents": agents, "sites": sites, "seed": seed, "start": str(start)}
    landing = _demo_landing(base, params)
    settings = _settings(home=base.home, landing=landing, warehouse=base.warehouse, engine=base.engine)
    console.print(f"[bold]cxmart demo[/bold] in {settings.home}")
    _generate(landing, days, agents, sites, seed, start)
    _run(settings, _key(demo=True))
    counts = pipeline.raw_row_counts(settings)
    console.print(
        f"[green]demo complete[/green]: {sum(counts.values()):,} raw rows in "
        f"{sum(1 for n in counts.values() if n)} entities; warehouse {settings.warehouse}"
    )


if __name__ == "__main__":
    app()
