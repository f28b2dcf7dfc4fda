"""Decision quality of the keep rule: whole simulated climbs, ours vs the naive rule, on a panel.

Run: `.venv/bin/python bench/decision_quality.py [--panel] [--json] [--markdown] [--seeds N]
[--quick] [--cells WORLD:T:BUDGET,...] [--set FIELD=VALUE] [--workers N]`. Without `--cells`
it runs the panel (`--panel` says so explicitly): every cell below, both rules,
the same seeds (a seed fixes the suite and the world's randomness for both rules).
The last line says which cells meet the bounds. `--set` overrides a DecideConfig
field of our rule, to try alternatives.

The panel's cells (world:T:budget): `default` at T = 10, 24, 89, 200 tasks and
budgets of 500, 1,000, 3,000 and 10,000 trials; `agent` at T = 24, 89, 200 and
3,000 trials; `mixed`, `batch`, `lossy`, `drift` and `simpler` at T = 24 and 89
and 3,000 trials. The worlds (bench/decision/worlds.py holds the numbers):

* default: each task has a true success probability for the baseline agent:
  30% "easy" tasks, p ~ U(0.92, 0.995); 30% "hard", p ~ U(0.005, 0.08); 40%
  "mixed", p ~ U(0.15, 0.85). A trial is one Bernoulli draw. Candidate edits
  arrive one after another, each acting on the *current* incumbent as a shift
  of the log-odds of some tasks (clipped to [-6, 6]):
  - 60% null: no effect anywhere;
  - 25% harmful: a random 5-30% of all tasks, each shifted by -U(1, 3)
    (about -3.6 points of suite score on average);
  - 15% helpful: a random 5-20% of the tasks the incumbent does not already
    nearly always pass (p < 0.9), each shifted by +U(1.5, 4): a fix that makes
    the failures it addresses pass most of the time (about +4.8 points).
  Each edit names max(2, T // 20) targeted tasks, as a proposer names the
  failures it set out to fix: each is, with probability 0.5, one the edit
  really improves (if any is left); otherwise a task the incumbent has failed
  at least once so far.
* agent: an agent benchmark's shape: 50% of tasks never solved, p ~ U(0.001,
  0.02); 35% nearly always, p ~ U(0.9, 0.995); 15% coin flips, p ~ U(0.2, 0.8).
* mixed: 60% null edits, 40% mixed-sign: each hurts a random 5-30% of the tasks
  by -U(1, 3) and helps a random 5-20% of the others that it could (p < 0.9) by
  +U(1.5, 4): the net is spread around 0, slightly positive on average.
* batch: every batch of trials (one look of the rule, both arms) shares a
  log-odds shift ~ N(0, 0.3), and each task within a batch another ~ N(0, 0.5).
* lossy: 5% of trials are lost to infrastructure (no reward, the slot still
  counts against the budget); a flaky 10% of the tasks lose 50%.
* drift: every trial's log-odds shifted by 0.5 * trials_so_far / budget, both
  arms; the true scores stay drift-free, so the ledger's bias counts the drift.
* simpler: like default, but an edit's size change is drawn too: 15% of edits
  remove 5-20% of agent.py's tokens (a real simplification), 35% shave 1-30
  tokens in passing, the rest add tokens; the 'simpler' flag comes from the
  climb's own rule (`meta.workspace.scope.is_simpler`), independent of whether
  the edit helps or harms.
* diffuse, null (not in the panel): smaller shifts spread thinner; every edit null.

A climb: the baseline runs first with 2 trials per task (counted); then
candidates are evaluated until a batch would exceed the budget (that last,
unfinished decision is dropped). Ours: `meta.decide.rule.evaluate_candidate` with the
default `DecideConfig`; the ledger's score is each decision's `reported_score`,
the record evolves by `next_incumbent`. Naive: the same function with
`rule="naive"`: one full-suite run per candidate, kept if its mean beats the
recorded score. After the budget, both run the final confirmation (baseline vs
final, 2 trials each per task, paired; outside the budget, as in the climb).

Reported per cell and rule: true lift (true score of the final incumbent minus
the baseline's, mean over climbs ± SE), ours - naive paired by seed (± SE), keep
rates per decision of null (not marked simpler), harmful (true change < 0) and
helpful (> 0) edits, the ledger's bias (its final score minus the true score)
and RMSE, decisions per climb, the share of climbs that end on a changed agent,
and how often the final confirmation's 95% interval holds the true change. The
bounds: lift >= naive's within one SE, null keeps <= 5%, harmful keeps <= 1%,
|ledger bias| <= 1 point within one SE (in drift cells, where the absolute score
moves with the world, the bias of the paired change against the baseline).
The default seed count runs the panel in about 6 minutes of CPU per core on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.decision.panel import PANEL, RULES, Cell, run_job, tabulate
from bench.decision.report import as_json, markdown, text
from bench.decision.worlds import WORLDS
from meta.decide.config import DecideConfig

DEFAULT_SEEDS = 120
QUICK_SEEDS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--panel", action="store_true", help="run the whole panel (the default without --cells)")
    parser.add_argument("--cells", default="", help="comma-separated WORLD:T:BUDGET cells instead of the panel")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--markdown", action="store_true", help="also print a compact Markdown table (README)")
    parser.add_argument("--seeds", type=int, default=None, help=f"climbs per rule and cell ({DEFAULT_SEEDS})")
    parser.add_argument("--quick", action="store_true", help=f"fewer seeds ({QUICK_SEEDS})")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a DecideConfig field of our rule (JSON value)")
    args = parser.parse_args()
    if args.panel and args.cells:
        parser.error("--panel and --cells exclude each other")
    cells = [Cell.parse(c) for c in args.cells.split(",") if c] or list(PANEL)
    for cell in cells:
        if cell.world not in WORLDS:
            parser.error(f"unknown world {cell.world!r} in --cells (known: {', '.join(sorted(WORLDS))})")
    seeds = args.seeds or (QUICK_SEEDS if args.quick else DEFAULT_SEEDS)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    DecideConfig(**overrides)  # fail before the run on a typo
    # Longest climbs first, so the workers finish together.
    jobs = sorted(((rule, cell, seed, overrides) for cell in cells for rule in RULES for seed in range(seeds)),
                  key=lambda job: -job[1].budget)
    started = time.monotonic()
    with multiprocessing.Pool(args.workers) as pool:
        results = list(pool.imap_unordered(run_job, jobs, chunksize=2))
    seconds = time.monotonic() - started
    table = tabulate(cells, results)
    if args.markdown:  # first, so that the last line is still the one naming the cells that miss
        print(markdown(table), end="\n\n")
    print(as_json(table, seeds, seconds) if args.json else text(table, seeds, seconds, args.workers))


if __name__ == "__main__":
    main()
