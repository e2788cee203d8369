"""The ``qa-toolkit`` command line (typer); the only module that prints."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_toolkit.errors import QAError

if TYPE_CHECKING:
    from qa_toolkit.pipeline import RejectSink

app = typer.Typer(
    name="qa-toolkit",
    help="Review and quality assurance for customer-support conversations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file path (env: QA_TOOLKIT_DB; default ./qa_toolkit.db)"),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Input format: auto, jsonl, csv, twcs, zendesk, intercom, freshdesk, "
        "helpscout, email, twcs-airlines, ibm-cdp",
    ),
]


@contextmanager
def _conversations_progress(what: str) -> Iterator[Callable[[int], None]]:
    """A spinner with the number of conversations done (on a terminal only); yields the function to call
    with that number."""
    columns = (SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
               TextColumn("{task.completed:,} conversations"), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(what, total=None)
        yield lambda n: bar.update(task, completed=n)


def _noun(count: int, one: str, many: str | None = None) -> str:
    """The noun for ``count`` of them: singular for one."""
    return one if count == 1 else (many or one + "s")


def _n(count: int, one: str, many: str | None = None) -> str:
    """``count`` with its noun, singular for one: "1 conversation", "2 conversations"."""
    return f"{count:,} {_noun(count, one, many)}"


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(code=2)


def _options(tz: str, support: list[str] | None, column: list[str] | None, unknown_role: str, source: str | None):  # type: ignore[no-untyped-def]
    from qa_toolkit.importers import ImportOptions

    column_map: dict[str, str] = {}
    for item in column or []:
        canonical, sep, header = item.partition("=")
        if not sep:
            raise QAError(f"--column takes CANONICAL=HEADER, got {item!r}")
        column_map[canonical.strip()] = header.strip()
    return ImportOptions(
        tz=tz,
        support_addresses=tuple(support or ()),
        column_map=column_map,
        unknown_role=unknown_role,
        source=source,
    )


TzOption = Annotated[str, typer.Option("--tz", help="Time zone for timestamps without an offset (CSV).")]
SupportOption = Annotated[
    list[str] | None,
    typer.Option("--support-address", help="E-mail: an address or @domain of the support side (repeatable)."),
]
ColumnOption = Annotated[
    list[str] | None, typer.Option("--column", help="CSV: map a column, CANONICAL=HEADER (repeatable).")
]
UnknownRoleOption = Annotated[
    str, typer.Option("--unknown-role", help="CSV: what to do with an unknown role: error, customer, skip.")
]
SourceOption = Annotated[
    str | None, typer.Option("--source", help="Record conversations under this source name instead.")
]
ScorecardOption = Annotated[
    Path | None, typer.Option("--scorecard", help="Scorecard TOML (default: the shipped default scorecard)")
]
NoModelsOption = Annotated[
    bool, typer.Option("--no-models", help="Do not label replies with the classifiers: rules use text evidence.")
]
ModelsDirOption = Annotated[Path | None, typer.Option("--models-dir", help="Where models live (default: models/)")]


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="Export files to import.")],
    fmt: FormatOption = "auto",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good records; write rejects to --rejects.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Where rejects go with --skip-invalid (default: <first file>.rejects.jsonl in the current folder)",
        ),
    ] = None,
    db: DbOption = None,
    tz: TzOption = "UTC",
    support: SupportOption = None,
    column: ColumnOption = None,
    unknown_role: UnknownRoleOption = "error",
    source: SourceOption = None,
    score: Annotated[
        bool,
        typer.Option(
            "--score",
            help="Then score the store: reply labels, flags and the scorecard result for every conversation "
            "not scored yet (as `qa-toolkit score-store`); the review queue is filled from them.",
        ),
    ] = False,
    scorecard: ScorecardOption = None,
    no_models: NoModelsOption = False,
    models_dir: ModelsDirOption = None,
) -> None:
    """Import export files into the store (one transaction; re-importing changes nothing); with --score,
    score what is new for the review queue."""
    from qa_toolkit.pipeline import import_files

    try:
        options = _options(tz, support, column, unknown_role, source)
        card = _scoring_card(scorecard) if score else None  # a bad scorecard fails before anything is imported
        if skip_invalid and rejects is None:
            rejects = Path.cwd() / f"{files[0].name}.rejects.jsonl"
        with _conversations_progress("importing") as done:
            summary = import_files(
                files,
                fmt=fmt,
                db=db,
                options=options,
                skip_invalid=skip_invalid,
                rejects_path=rejects,
                progress=done,
            )
    except QAError as exc:
        _fail(exc)
        return
    c = summary.counts
    for path, name in zip(summary.files, summary.formats, strict=True):
        console.print(f"read {escape(path)} as [bold]{name}[/]")
    console.print(
        f"imported {_n(summary.read, 'conversation')}: {c.new:,} new, {c.updated:,} updated, "
        f"{c.unchanged:,} unchanged; {_n(c.messages, 'message')} written"
    )
    if summary.duplicates_in_input:
        console.print(
            f"[yellow]{_n(summary.duplicates_in_input, 'conversation')} occurred twice in the input; "
            "the last occurrence was kept[/]"
        )
    if skip_invalid:
        console.print(
            f"rejected {_n(summary.rejected, 'record')}"
            + (f" (reasons in {escape(str(rejects))})" if summary.rejected else "")
        )
    elif summary.rejected:
        console.print(f"rejected {_n(summary.rejected, 'record')}")
    if card is not None:
        _score_store_and_report(db, card=card, no_models=no_models, models_dir=models_dir)


def _existing_store(db: str | None) -> str | None:
    """``db`` when it names a store that exists: a command that only reads the store (export, stats,
    score-store) fails on a SQLite file that is not there, rather than create an empty one and report
    nothing (``import`` creates it)."""
    from qa_toolkit.errors import StoreError
    from qa_toolkit.settings import database_url

    url, prefix = database_url(db), "sqlite:///"
    path = url[len(prefix) :] if url.startswith(prefix) else ""
    if path and path != ":memory:" and not Path(path).exists():
        raise StoreError(f"no database at {path}: import a file first (qa-toolkit import FILE --db {path}), "
                         "or name the store with --db or QA_TOOLKIT_DB")  # fmt: skip
    return db


@app.command("export")
def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl (canonical) or csv (one row per message)")
    ] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: standard output)")] = None,
    db: DbOption = None,
) -> None:
    """Export the stored conversations (JSONL export -> import round-trips)."""
    from qa_toolkit.db.crud import iter_conversations
    from qa_toolkit.db.engine import get_engine
    from qa_toolkit.exporters import write_csv, write_jsonl

    if fmt not in ("jsonl", "csv"):
        _fail(QAError(f"unknown export format {fmt!r}; valid: jsonl, csv"))
    try:
        engine = get_engine(_existing_store(db))
        convs = iter_conversations(engine)
        if fmt == "jsonl":
            if out is None:
                n = write_jsonl(convs, sys.stdout.buffer)
            else:
                with open(out, "wb") as fh:
                    n = write_jsonl(convs, fh)
        else:
            if out is None:
                n = write_csv(convs, sys.stdout)
            else:
                with open(out, "w", encoding="utf-8", newline="") as fh:
                    n = write_csv(convs, fh)
    except QAError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _fail(QAError(f"{out}: cannot write ({exc.strerror or exc})"))
        return
    console.print(f"exported {_n(n, 'conversation')}" + (f" to {escape(str(out))}" if out else ""))


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.0f}s"
    if value < 7200:
        return f"{value / 60:.1f}m"
    if value < 172800:
        return f"{value / 3600:.1f}h"
    return f"{value / 86400:.1f}d"


@app.command("stats")
def stats(
    db: DbOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Counts by source, channel, team and agent, and thread-metric summaries."""
    import orjson

    from qa_toolkit.db.crud import store_stats
    from qa_toolkit.db.engine import get_engine

    try:
        figures = store_stats(get_engine(_existing_store(db)))
    except QAError as exc:
        _fail(exc)
        return
    if json_out:
        sys.stdout.write(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out = Console()
    out.print(
        f"[bold]{figures['conversations']:,}[/] {_noun(figures['conversations'], 'conversation')}, "
        f"[bold]{figures['messages']:,}[/] {_noun(figures['messages'], 'message')}, {_n(figures['agents'], 'agent')}"
    )
    roles = figures["messages_by_role"]
    out.print(
        "messages by role: "
        + (", ".join(f"{k} {v:,}" for k, v in roles.items()) or "none")
        + f"; auto-replies {figures['automated_messages']:,}; internal notes {figures['internal_notes']:,}"
    )
    for title, key in (
        ("source", "by_source"),
        ("channel", "by_channel"),
        ("team", "by_team"),
        ("language", "by_language"),
    ):
        table = Table(title=f"by {title}", title_justify="left")
        table.add_column(title)
        table.add_column("conversations", justify="right")
        for name, n in figures[key]:
            table.add_row(name, f"{n:,}")
        out.print(table)
    table = Table(title="agents (human answers; '(no author)': replies the export names no agent for)",
                  title_justify="left")  # fmt: skip
    for col in ("agent", "name", "replies", "conversations"):
        table.add_column(col, justify="right" if col in ("replies", "conversations") else "left")
    for row in figures["by_agent"]:
        agent = row["agent_id"] or "(no author)"
        table.add_row(agent, row["agent_name"] or "", f"{row['replies']:,}", f"{row['conversations']:,}")
    out.print(table)
    table = Table(title="thread metrics", title_justify="left")
    for col in ("metric", "known", "mean", "median", "p90", "max"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, m in figures["metrics"].items():
        show = (lambda v: "-" if v is None else f"{v:.1f}") if name == "exchanges" else _fmt_seconds
        label = name.removesuffix("_seconds")  # times are shown with their unit (s, m, h, d)
        table.add_row(label, f"{m['known']:,}", show(m["mean"]), show(m["median"]), show(m["p90"]), show(m["max"]))
    out.print(table)
    out.print(
        f"conversations without a human answer: {figures['conversations_without_human_answer']:,}; "
        f"with an unanswered customer turn: {figures['conversations_with_unanswered_turn']:,}"
    )


@app.command("formats")
def formats() -> None:
    """List the input formats."""
    from qa_toolkit.importers import get_importer, importer_names

    out = Console()
    for name in importer_names():
        out.print(f"[bold]{name}[/]: {get_importer(name).description}")


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the demo JSONL.")] = Path("demo.jsonl"),
    seed: Annotated[int, typer.Option(help="Random seed (the default gives the shipped corpus).")] = 7,
) -> None:
    """Write the bundled demo corpus (written by the project itself) as canonical JSONL."""
    from qa_toolkit.demo import write_demo_jsonl

    n = write_demo_jsonl(out, seed=seed)
    console.print(f"wrote {n:,} demo conversations to {out}")


def _data_dir(value: Path | None) -> Path:
    from qa_toolkit.datasets import shared_data_dir

    data = value or shared_data_dir()
    if data is None or not Path(data).is_dir():
        raise QAError("../shared/data not found: training and evaluation read the research data there "
                      "(set --data-dir or QA_SHARED_DATA)")  # fmt: skip
    return Path(data)


DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="The research data (default: ../shared/data)")]


@app.command("train")
def train(
    data_dir: DataDirOption = None,
    models_dir: ModelsDirOption = None,
    with_reviews: Annotated[
        bool,
        typer.Option(
            "--with-reviews",
            help="Add the reviewers' confirmed and corrected labels (finished reviews in --db) to the training "
            "data; the new models go to a candidate folder beside the active ones, with the figures before and after.",
        ),
    ] = False,
    db: DbOption = None,
    activate: Annotated[
        bool,
        typer.Option(
            "--activate",
            help="With --with-reviews: make the new models the active ones (the replaced "
            "ones are kept; the app's admin page can go back).",
        ),  # fmt: skip
    ] = False,
) -> None:
    """Retrain the four reply classifiers from ../shared/data and the committed labels, evaluate them on
    the evaluation set and write models/<name>-v1/ with their cards. With --with-reviews: retrain with the
    reviewers' labels from the store added and show the evaluation before and after."""
    if activate and not with_reviews:
        _fail(QAError("--activate goes with --with-reviews"))
    if with_reviews:
        _train_with_reviews(data_dir=data_dir, models_dir=models_dir, db=db, activate=activate)
        return
    from qa_toolkit.classifiers.training import train_all

    try:
        train_all(_data_dir(data_dir), models_dir=models_dir, log=lambda m: Console().print(escape(m)))
    except QAError as exc:
        _fail(exc)


def _learning():  # type: ignore[no-untyped-def]
    """qa_toolkit.learning, or one clear error when this installation does not have it."""
    try:
        from qa_toolkit import learning
    except ImportError as exc:
        if exc.name not in ("qa_toolkit.learning", None):
            raise
        raise QAError(
            "`train --with-reviews` needs qa_toolkit.learning (learning from reviewers), which this installation "
            "does not have; `qa-toolkit train` without it retrains on the committed labels"
        ) from None
    return learning


def _fmt_metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _train_with_reviews(*, data_dir: Path | None, models_dir: Path | None, db: str | None, activate: bool) -> None:
    from qa_toolkit.datasets import shared_data_dir
    from qa_toolkit.db.engine import get_engine

    out = Console()
    try:
        learning = _learning()
        if data_dir is not None and not data_dir.is_dir():
            raise QAError(f"{data_dir}: the research data folder (--data-dir) is not there")
        data = data_dir or shared_data_dir()
        active = models_dir or learning.active_models_dir()
        candidate = learning.new_candidate_dir(learning.retrain_dir())
        result = learning.retrain_with_reviews(
            get_engine(db),
            data_dir=data,
            models_dir=active,
            out_dir=candidate,
            log=lambda m: console.print(escape(m), highlight=False),
        )
        backup = learning.activate_models(result.out_dir, models_dir=active, backups_dir=learning.retrain_dir() /
                                          "previous", by="qa-toolkit train") if activate else None  # fmt: skip
    except QAError as exc:
        _fail(exc)
        return
    kind = "the hand-labelled evaluation set" if result.independent else "the review examples (cross-validated)"
    table = Table(title=f"before -> after, on {kind}", title_justify="left")
    for col in ("label", "n", "macro-F1", "change", "accuracy", "ECE", "review examples", "note"):
        table.add_column(col, justify="left" if col in ("label", "note") else "right")
    for row in result.table():
        table.add_row(
            row["label"],
            "-" if row["evaluated on"] is None else f"{row['evaluated on']:,}",
            f"{_fmt_metric(row['macro_f1 before'])} -> {_fmt_metric(row['macro_f1 after'])}",
            "-" if row["macro_f1 change"] is None else f"{row['macro_f1 change']:+.3f}",
            f"{_fmt_metric(row['accuracy before'])} -> {_fmt_metric(row['accuracy after'])}",
            f"{_fmt_metric(row['ece before'])} -> {_fmt_metric(row['ece after'])}",
            "-" if row["review examples"] is None else f"{row['review examples']:,}",
            escape(str(row["note"] or "")),
        )
    out.print(table)
    out.print(escape(result.evaluation_note), highlight=False)
    for note in result.notes:
        out.print(f"note: {escape(note)}", highlight=False)
    console.print(
        f"trained on {result.base_examples:,} committed and {result.review_examples:,} reviewed replies; "
        f"new models in {escape(str(result.out_dir))}"
    )
    if backup is not None:
        console.print(
            f"the new models are active in {escape(str(active))}; the replaced ones are kept in "
            f"{escape(str(backup))}. Conversations scored before keep their automatic results; newly imported "
            "ones are scored with the new models"
        )
    else:
        console.print(
            "the active models are unchanged: switch to the new ones on the app's admin page, or run this "
            "again with --activate"
        )


@app.command("evaluate")
def evaluate(data_dir: DataDirOption = None, models_dir: ModelsDirOption = None) -> None:
    """Per-class precision, recall, F1, calibration and confusion matrices of the saved classifiers on the
    hand-labelled evaluation set; the figures are written into the model cards."""
    from qa_toolkit.classifiers.training import evaluate_all

    try:
        evaluate_all(_data_dir(data_dir), models_dir=models_dir, log=lambda m: Console().print(escape(m)))
    except QAError as exc:
        _fail(exc)


@app.command("score")
def score(
    input_file: Annotated[Path, typer.Argument(help="Any importable file.", metavar="INPUT")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the scores (JSONL).")],
    fmt: FormatOption = "auto",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Score the good records; skip the rest.")
    ] = False,
    models_dir: ModelsDirOption = None,
    tz: TzOption = "UTC",
    support: SupportOption = None,
    column: ColumnOption = None,
    unknown_role: UnknownRoleOption = "error",
) -> None:
    """Score every agent reply (tone, personalisation, apology, resolution, with confidence and evidence);
    one JSON line per agent reply (not bots, auto-replies, internal notes or empty messages). Needs no database."""
    import orjson

    from qa_toolkit.learning import active_models_dir
    from qa_toolkit.pipeline import FirstOfEach, RejectSink, iter_enriched, read_conversations
    from qa_toolkit.scoring import ReplyScorer

    try:
        options = _options(tz, support, column, unknown_role, None)
        scorer = ReplyScorer.load(models_dir or active_models_dir())  # the active models, as the app's
        sink = RejectSink(skip_invalid=skip_invalid)
        first = FirstOfEach()  # a conversation id repeated in the input: scored once (its first occurrence)
        n = 0
        with _atomic_output(out) as fh:
            convs = read_conversations([input_file], fmt=fmt, options=options, on_reject=sink)
            for batch in iter_enriched(first(convs)):
                for record in scorer.score_conversations(batch):
                    fh.write(orjson.dumps(record) + b"\n")
                    n += 1
    except QAError as exc:
        _fail(exc)
        return
    repeated = f"; {_n(first.repeated, 'repeated conversation id')} scored once (the first)" if first.repeated else ""
    skipped = f"; skipped {_n(sink.count, 'invalid record')}" if sink.count else ""
    console.print(f"scored {_n(n, 'agent reply', 'agent replies')}" + skipped
                  + repeated + f" -> {escape(str(out))}")  # fmt: skip
    _print_rejects(sink)


def _print_rejects(sink: RejectSink) -> None:
    """The first records skipped with --skip-invalid, each with its file, line or record, and reason."""
    for rejected in sink.first:
        console.print(f"  skipped {escape(rejected.location)}: {escape(rejected.reason)}", highlight=False)
    if sink.count > len(sink.first):
        console.print(f"  ... and {sink.count - len(sink.first):,} more")


@contextmanager
def _atomic_output(out: Path) -> Iterator[BinaryIO]:
    """Write to ``OUT.partial``, which replaces OUT only when complete: nothing is ever half-written.
    An OSError becomes one clear error naming the file."""
    tmp = out.with_name(out.name + ".partial")
    try:
        with open(tmp, "wb") as fh:
            yield fh
        tmp.replace(out)
    except OSError as exc:
        raise QAError(f"{out}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def _load_scorer(*, no_models: bool, models_dir: Path | None):  # type: ignore[no-untyped-def]
    """The four reply classifiers (None with ``no_models``); a model that cannot be loaded is one clear error."""
    if no_models:
        return None
    from qa_toolkit.learning import active_models_dir
    from qa_toolkit.scoring import ReplyScorer

    try:  # the active models ($QA_MODELS_DIR, else models/): the ones the app scores with
        return ReplyScorer.load(models_dir or active_models_dir())
    except Exception as exc:  # noqa: BLE001 - a missing or stale model: say so, and how to go on without
        raise QAError(
            f"the reply models could not be loaded ({type(exc).__name__}: {exc}); retrain them with "
            "`qa-toolkit train`, or pass --no-models to flag on text evidence only"
        ) from None


def _flag_results(input_file: Path, *, fmt: str, skip_invalid: bool, scorecard: Path | None, no_models: bool,
                  models_dir: Path | None, options, sink):  # type: ignore[no-untyped-def]  # fmt: skip
    """Both flagging passes over ``input_file`` (settings from the scorecard; reply labels unless
    ``no_models``)."""
    from qa_toolkit.flagging import flag_file, load_settings

    settings = load_settings(scorecard)
    scorer = _load_scorer(no_models=no_models, models_dir=models_dir)
    return flag_file([input_file], fmt=fmt, options=options, on_reject=sink, settings=settings, scorer=scorer)


@app.command("flag")
def flag(
    input_file: Annotated[Path, typer.Argument(help="Any importable file.", metavar="INPUT")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the flags (JSONL).")],
    fmt: FormatOption = "auto",
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Flag the good records; skip the rest.")] = False,
    scorecard: ScorecardOption = None,
    no_models: NoModelsOption = False,
    models_dir: ModelsDirOption = None,
    tz: TzOption = "UTC",
    support: SupportOption = None,
    column: ColumnOption = None,
    unknown_role: UnknownRoleOption = "error",
) -> None:
    """Flag the threads a team lead should read and score every conversation with the scorecard; one JSON
    line per conversation. Relative thresholds and templates are computed over the input. Needs no database."""
    from collections import Counter

    import orjson

    from qa_toolkit.pipeline import RejectSink

    try:
        options = _options(tz, support, column, unknown_role, None)
        sink = RejectSink(skip_invalid=skip_invalid)
        results = _flag_results(input_file, fmt=fmt, skip_invalid=skip_invalid, scorecard=scorecard,
                                no_models=no_models, models_dir=models_dir, options=options, sink=sink)  # fmt: skip
        n = review = 0
        rules: Counter[str] = Counter()
        with _atomic_output(out) as fh:
            for result in results:
                fh.write(orjson.dumps(result.to_record()) + b"\n")
                n += 1
                review += result.top_score >= 0.5
                rules.update(f.rule for f in result.flags)
    except QAError as exc:
        _fail(exc)
        return
    console.print(f"flagged {_n(n, 'conversation')}: {review:,} with a flag scoring >= 0.5"
                  + (f"; skipped {_n(sink.count, 'invalid record')}" if sink.count else "")
                  + f" -> {escape(str(out))}")  # fmt: skip
    for rule, count in rules.most_common():
        console.print(f"  {rule}: {count:,} ({count / max(n, 1):.1%})")
    _print_rejects(sink)


def _is_flag_output(path: Path) -> bool:
    """True when ``path`` is what ``qa-toolkit flag`` writes (JSONL with conversation_id, metrics, flags)."""
    import orjson

    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    record = orjson.loads(line)
                    return isinstance(record, dict) and {"conversation_id", "metrics", "flags"} <= record.keys()
    except (OSError, orjson.JSONDecodeError, UnicodeDecodeError):
        return False
    return False


def _read_flag_lines(path: Path):  # type: ignore[no-untyped-def]
    import orjson

    with open(path, "rb") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise QAError(f"{path}:{i}: not a JSON line ({exc})") from None


@app.command("report")
def report(
    input_file: Annotated[
        Path, typer.Argument(help="Any importable file, or the output of `qa-toolkit flag`.", metavar="INPUT")
    ],
    flags: Annotated[
        Path | None,
        typer.Option("--flags", help="Use this `qa-toolkit flag` output for INPUT instead of flagging again."),
    ] = None,
    fmt: FormatOption = "auto",
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Skip invalid records.")] = False,
    scorecard: ScorecardOption = None,
    no_models: NoModelsOption = False,
    models_dir: ModelsDirOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summaries as JSON.")] = False,
    top: Annotated[int, typer.Option("--top", help="Rows per table (agents, teams), most conversations first.")] = 30,
    tz: TzOption = "UTC",
    support: SupportOption = None,
    column: ColumnOption = None,
    unknown_role: UnknownRoleOption = "error",
) -> None:
    """Per-agent and per-team summaries: conversations, mean score (with n), flag rates, median and p90
    first response, template usage. Reads conversations (and flags them), or a `qa-toolkit flag` output."""
    import orjson

    from qa_toolkit.flagging import agent_of
    from qa_toolkit.pipeline import RejectSink, read_conversations
    from qa_toolkit.reports import row_from_record, row_from_result, summarise

    note = ""
    try:
        options = _options(tz, support, column, unknown_role, None)
        sink = RejectSink(skip_invalid=skip_invalid)
        if flags is None and _is_flag_output(input_file):
            rows = [row_from_record(r) for r in _read_flag_lines(input_file)]
            note = "a flag output names no agents or teams: pass the conversations with --flags for those"
        elif flags is not None:
            by_id = {str(r.get("conversation_id")): r for r in _read_flag_lines(flags)}
            rows = []
            for conv in read_conversations([input_file], fmt=fmt, options=options, on_reject=sink):
                record = by_id.pop(conv.id, None)
                if record is None:
                    continue
                authors = {m.id: (m.author or m.author_name or agent_of(conv)) for m in conv.messages}
                rows.append(row_from_record(record, agent=agent_of(conv), team=conv.team or "-", authors=authors))
            if by_id:
                note = f"{len(by_id):,} flagged conversations were not in {input_file.name}"
        else:
            results = _flag_results(input_file, fmt=fmt, skip_invalid=skip_invalid, scorecard=scorecard,
                                    no_models=no_models, models_dir=models_dir, options=options, sink=sink)  # fmt: skip
            rows = [row_from_result(r) for r in results]
        summary = summarise(rows)
    except QAError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _fail(QAError(f"cannot read ({exc.strerror or exc})"))
        return
    if json_out:
        sys.stdout.write(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out = Console()
    o = summary.overall
    mean = "-" if o.mean_score is None else f"{o.mean_score:.1f}"
    out.print(
        f"[bold]{o.conversations:,}[/] conversations; mean score {mean} (n={o.scored:,}); "
        f"{o.review_rate:.1%} with a flag scoring >= 0.5; first response median "
        f"{_fmt_seconds(o.median_first_response)}, p90 {_fmt_seconds(o.p90_first_response)}; "
        f"{o.template_uses:,} canned replies"
    )
    if o.flag_rates:
        out.print(
            "flag rates: " + ", ".join(f"{k} {v:.1%}" for k, v in sorted(o.flag_rates.items(), key=lambda kv: -kv[1]))
        )
    for title, groups in (("teams", summary.teams), ("agents", summary.agents)):
        table = Table(title=title, title_justify="left")
        for col in ("name", "convs", "score (n)", "passed", "review", "top flag", "1st resp", "p90", "canned"):
            table.add_column(col, justify="left" if col in ("name", "top flag") else "right")
        for g in groups[:top]:
            top_flag = max(g.flag_rates.items(), key=lambda kv: kv[1], default=None)
            table.add_row(
                escape(g.name),
                f"{g.conversations:,}",
                "-" if g.mean_score is None else f"{g.mean_score:.1f} ({g.scored:,})",
                "-" if g.pass_rate is None else f"{g.pass_rate:.0%}",
                f"{g.review_rate:.0%}",
                f"{top_flag[0].split('.')[0]} {top_flag[1]:.0%}" if top_flag else "",
                _fmt_seconds(g.median_first_response),
                _fmt_seconds(g.p90_first_response),
                f"{g.template_uses:,}",
            )
        if len(groups) > top:
            table.caption = f"{len(groups) - top:,} more (--top)"
        out.print(table)
    if o.top_templates:
        out.print("most used canned replies:")
        for name, uses in o.top_templates:
            out.print(f"  {uses:,}x  {escape(name)}", highlight=False)
    if sink.count:
        console.print(f"skipped {_n(sink.count, 'invalid record')}")
        _print_rejects(sink)
    if note:
        console.print(f"[yellow]{escape(note)}[/]")


# --------------------------------------------------------------------------- the store's automatic results


def _scoring_card(scorecard: Path | None):  # type: ignore[no-untyped-def]
    """The scorecard for scoring the store: the file given, else the default one (a bad file is one clear error)."""
    from qa_toolkit.scorecard import default_scorecard, load_scorecard

    return load_scorecard(scorecard) if scorecard is not None else default_scorecard()


def _score_store_and_report(  # type: ignore[no-untyped-def]
    db: str | None, *, card, no_models: bool, models_dir: Path | None, rescore_stale: bool = False
) -> None:
    """Score every stored conversation without automatic results (qa_toolkit.store_scoring) and say what the
    review queue now holds. The models are loaded only when there is something to score (or, with
    ``rescore_stale``, to find results made with other models)."""
    from qa_toolkit.db.engine import get_engine
    from qa_toolkit.db.results import queue_counts, unscored_conversations
    from qa_toolkit.store_scoring import score_store

    try:
        engine = get_engine(db)
        scorer = None
        summary = None
        if rescore_stale or unscored_conversations(engine, limit=1):
            scorer = _load_scorer(no_models=no_models, models_dir=models_dir)
            with _conversations_progress("scoring") as done:
                summary = score_store(engine, scorer=scorer, card=card, progress=done, rescore_stale=rescore_stale)
        counts = queue_counts(engine)
    except QAError as exc:
        _fail(exc)
        return
    if summary is None or not summary.conversations:
        console.print(
            "nothing to score: every stored conversation has its automatic results"
            + (", made with these models and this scorecard" if rescore_stale else "")
        )
    else:
        replies = _n(summary.replies, "agent reply", "agent replies")
        labelled = f"{replies} labelled" if scorer is not None else "no models (--no-models)"
        console.print(
            f"scored {_n(summary.conversations, 'conversation')} with scorecard {escape(card.key)}: {labelled}; "
            f"{summary.flagged:,} flagged ({_n(summary.flags, 'flag')})"
        )
    console.print(
        f"review queue: {counts.waiting:,} waiting, {counts.in_progress:,} in review, {counts.reviewed:,} reviewed"
        + (f"; {counts.not_scored:,} not scored" if counts.not_scored else "")
    )


@app.command("score-store")
def score_store_cmd(
    db: DbOption = None,
    scorecard: ScorecardOption = None,
    no_models: NoModelsOption = False,
    models_dir: ModelsDirOption = None,
    rescore_stale: Annotated[
        bool,
        typer.Option(
            "--rescore-stale",
            help="Also score again the conversations scored with other models or another scorecard "
            "(after switching models); reviews are kept.",
        ),
    ] = False,
) -> None:
    """Score the stored conversations that have no automatic results yet (or changed since): reply labels,
    flags and the scorecard result, which fill the app's review queue. Running it again does nothing."""
    try:
        card = _scoring_card(scorecard)
        _existing_store(db)
    except QAError as exc:
        _fail(exc)
        return
    _score_store_and_report(db, card=card, no_models=no_models, models_dir=models_dir, rescore_stale=rescore_stale)


# --------------------------------------------------------------------------- the app


def app_command(*, port: int | None, extra: list[str]) -> list[str]:
    """``python -m streamlit run app_streamlit.py`` with the settings of .streamlit/config.toml given on the
    command line (so they hold from any folder), and no file watcher (a served app does not reload itself when
    a source file changes; ``--server.fileWatcherType auto`` for development). ``extra`` streamlit options come
    last and win."""
    from qa_toolkit.settings import ROOT

    entry = ROOT / "app_streamlit.py"
    if not entry.is_file():
        raise QAError(f"{entry} not found: the app runs from a checkout of qa_toolkit (pip install -e .)")
    cmd = [sys.executable, "-m", "streamlit", "run", str(entry), "--browser.gatherUsageStats", "false",
           "--server.headless", "true", "--server.address", "127.0.0.1", "--client.toolbarMode", "viewer",
           "--server.fileWatcherType", "none"]  # fmt: skip
    if port is not None:
        cmd += ["--server.port", str(port)]
    return cmd + list(extra)


def app_database(db: str | None) -> str:
    """The database URL for the app, a relative SQLite path made absolute (the app must find the same file)."""
    from qa_toolkit.settings import database_url

    url = database_url(db)
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix and not url[len(prefix) :].startswith(("/", ":memory:")):
        url = prefix + str(Path(url[len(prefix) :]).resolve())
    return url


def _without_password(url: str) -> str:
    """``scheme://user@host/db`` for ``scheme://user:password@host/db`` (what may be shown on screen)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def _exec(cmd: list[str], env: dict[str, str]) -> None:  # pragma: no cover - replaces this process
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)


@app.command(
    "app",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def app_cmd(
    ctx: typer.Context,
    db: DbOption = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to serve on (default: 8501, or the next free one)")
    ] = None,
) -> None:
    """Start the scorecard app (streamlit run app_streamlit.py, headless, on 127.0.0.1) on the database;
    further options go to streamlit (e.g. --server.address 0.0.0.0). Stop it with Ctrl+C."""
    import os

    try:
        url = app_database(db)
        cmd = app_command(port=port, extra=list(ctx.args))
    except QAError as exc:
        _fail(exc)
        return
    console.print(f"starting the app on {escape(_without_password(url))} (stop it with Ctrl+C)", highlight=False)
    _exec(cmd, {**os.environ, "QA_TOOLKIT_DB": url})


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
