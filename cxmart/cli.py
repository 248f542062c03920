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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import pipeline
from .config import ENV_HOME, ENV_LANDING, ConfigError, Settings, pseudonym_key

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
    settings = Settings.resolve(home=home)
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
    settings = Settings.resolve(home=home, landing=landing, warehouse=warehouse)
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


def _run(settings: Settings, key: str) -> None:
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
            )
        except pipeline.StageFailed as exc:
            failed = exc
        else:
            failed = None
    if failed is not None:
        if failed.report is not None:
            _print_load(failed.report)
        if failed.summary is not None:
            _print_build(failed.summary)
        _fail(str(failed))
    _print_load(report)
    _print_build(summary)


@app.command()
def run(home: Home = None, landing: Landing = None, warehouse: Warehouse = None) -> None:
    """Run every pipeline stage in order (load -> dbt build); non-zero exit at the first failure."""
    settings = Settings.resolve(home=home, landing=landing, warehouse=warehouse)
    _run(settings, _key(demo=False))
    console.print("[green]run complete[/green]")


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
) -> None:
    """Generate a sample centre into <home>/landing, load it with the demo key, build it, summarise."""
    base = Settings.resolve(home=home, warehouse=warehouse)
    start = dt.date(2026, 3, 1)
    params = {"days": days, "agents": agents, "sites": sites, "seed": seed, "start": str(start)}
    landing = _demo_landing(base, params)
    settings = Settings.resolve(home=base.home, landing=landing, warehouse=base.warehouse)
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
