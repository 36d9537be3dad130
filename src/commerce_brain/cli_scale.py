"""`commerce-brain policy scale …`: a city as partitions, evaluated one at a time or on a Dask
cluster (policy/partitions.py, policy/distributed.py; docs/scale.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import Format, FormatOpt, err, load_catalog_or_exit, out, progress
from .cli_policy import load_policies_or_exit, policy_app, read_data_or_exit

scale_app = typer.Typer(help="分区计算 A city as hive-partitioned Parquet, evaluated partition by partition "
                             "or on a Dask cluster.", no_args_is_help=True)

YearsOpt = Annotated[str, typer.Option("--years", help="Years, e.g. 2019-2023 or 2021,2023: the award years "
                                                       "(and, for generated cities, the years of facts).")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-w", min=0, help="Local cluster of this many worker "
                                                                        "processes; 0: this process, one partition "
                                                                        "at a time.")]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", envvar="COMMERCE_BRAIN_DASK_SCHEDULER",
                                                  help="A Dask scheduler's address, e.g. tcp://10.0.0.5:8786 "
                                                       "(every worker must see the same ROOT and OUT).")]


def years_or_exit(text: str) -> list[int]:
    """``2019-2023`` → 2019…2023, ``2021,2023`` → those; anything else refuses --years (exit 2)."""
    try:
        if "-" in text:
            first, last = (int(t) for t in text.split("-"))
            years = list(range(first, last + 1))
        else:
            years = sorted({int(t) for t in text.split(",")})
    except ValueError:
        years = []
    if not years or not all(2000 <= y <= 2100 for y in years):
        raise typer.BadParameter(f"年度“{text}”无效：应为 2019-2023 或 2021,2023", param_hint="--years")
    return years


@scale_app.command("write")
def scale_write(
    root: Annotated[Path, typer.Option("--out", "-o", help="ROOT folder of the partitions (created).")],
    data: Annotated[Path | None, typer.Option("--data", "-d", exists=True,
                                              help="XLSX with sheets enterprises/facts/events, or a folder of "
                                                   "those CSV files.")] = None,
    synthetic: Annotated[int | None, typer.Option("--synthetic", min=1,
                                                  help="Instead of --data: generate a synthetic city of this many "
                                                       "enterprise-years, one partition at a time.")] = None,
    shards: Annotated[int | None, typer.Option("--shards", min=1, help="This many partitions of consecutive "
                                                                      "enterprises; default: one per org unit.")] = None,
    years: YearsOpt = "2019-2023",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of --synthetic.")] = 42,
) -> None:
    """写出分区 Write a city (a file, or --synthetic) as partitions: ROOT/enterprises|facts|events/part=KEY/0.parquet."""
    from .policy.partitions import PartitionError, write_partitions, write_synthetic

    if (data is None) == (synthetic is None):
        err.print("[red]请给出 --data（数据文件）或 --synthetic（生成的企业年数）之一[/]")
        raise typer.Exit(2)
    try:
        with progress() as bar:
            bar.add_task(f"写出分区到 {root}", total=None)
            if synthetic is not None:
                keys = write_synthetic(root, synthetic, years_or_exit(years), shards=shards, seed=seed)
            else:
                source = read_data_or_exit(data, load_catalog_or_exit(), load_policies_or_exit())
                keys = write_partitions(root, source.enterprises, source.facts, source.events,
                                        by=shards if shards is not None else "org_unit")
    except PartitionError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    out.print(f"已写出 {len(keys)} 个分区到 {root}：{'、'.join(keys)}", highlight=False)


@scale_app.command("evaluate")
def scale_evaluate(
    root: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="ROOT folder written by 'scale write'.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="OUT folder: awards go to OUT/awards/part=KEY/0.parquet "
                                                              "(replaced).")],
    years: YearsOpt,
    workers: WorkersOpt = 0,
    scheduler: SchedulerOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """分区计算 Evaluate every partition (awards written per partition), with each partition's figures and totals."""
    from .policy.engine import PolicyDataError, PolicyYearError
    from .policy.partitions import PartitionError, evaluate_partitioned

    award_years = years_or_exit(years)
    try:
        if workers == 0 and scheduler is None:
            with progress() as bar:
                bar.add_task("逐个分区计算", total=None)
                summaries = evaluate_partitioned(root, award_years, out=out_dir)
        else:
            from .policy.distributed import connect, evaluate_distributed

            with connect(scheduler, workers or 2) as client, progress() as bar:
                bar.add_task("集群计算", total=None)
                summaries = evaluate_distributed(client, root.resolve(), award_years, out=out_dir.resolve())
    except (PartitionError, PolicyYearError, PolicyDataError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2 if not isinstance(exc, PartitionError) else 1) from None
    _report(summaries, fmt, f"分区计算 {root}（{years}）")


@scale_app.command("simulate")
def scale_simulate(
    enterprise_years: Annotated[int, typer.Option("--enterprise-years", "-n", min=1,
                                                  help="Size of the city, in enterprise-years.")],
    parts: Annotated[int, typer.Option("--parts", "-p", min=1, help="Partitions, each generated on a worker.")],
    years: YearsOpt = "2019-2023",
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same seed gives the same city).")] = 42,
    fmt: FormatOpt = Format.table,
) -> None:
    """模拟计算 Generate a synthetic city partition by partition on the workers and evaluate it; only summaries travel."""
    from .policy.distributed import connect, simulate

    with connect(scheduler, max(workers, 1)) as client, progress() as bar:
        bar.add_task("集群模拟", total=None)
        summaries = simulate(client, enterprise_years, parts=parts, years=years_or_exit(years), seed=seed)
    _report(summaries, fmt, f"模拟计算 {enterprise_years:,} 企业年，{parts} 个分区")


def _report(summaries, fmt: Format, title: str) -> None:
    """Each partition's figures, the totals, and the run's digest (equal runs, equal digests)."""
    from dataclasses import asdict

    from .policy.explain import yuan
    from .policy.partitions import peaks_by_worker, run_digest
    from .render import simple_table

    digest = run_digest({s.key: s.digest for s in summaries})
    total_fen = sum(s.amount_fen for s in summaries)
    if fmt is Format.json:
        out.print_json(json.dumps({"partitions": [asdict(s) for s in summaries], "amount_fen": total_fen,
                                   "awards": sum(s.awards for s in summaries), "digest": digest}, ensure_ascii=False))
        return
    simple_table(title, ["分区", "企业年", "奖补项数", "金额", "用时（秒）", "进程峰值内存（MB）"],
                 [[s.key, f"{s.enterprise_years:,}", f"{s.awards:,}", yuan(s.amount_fen), f"{s.seconds:.2f}",
                   f"{s.peak_rss_bytes / 2**20:,.0f}"] for s in summaries], out)
    peaks = peaks_by_worker(summaries)
    out.print(f"合计 {sum(s.enterprise_years for s in summaries):,} 企业年，{sum(s.awards for s in summaries):,} 项奖补，"
              f"{yuan(total_fen)}；{len(peaks)} 个进程，最高峰值内存 {max(peaks.values()) / 2**20:,.0f} MB",
              highlight=False)
    out.print(f"校验码 {digest}", highlight=False)


# `policy scale …` (registered here, as cli_market adds to warning_app: cli_policy importing this
# module back would make an import cycle).
policy_app.add_typer(scale_app, name="scale")
