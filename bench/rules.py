"""Outcome rules: ours (participation.rules) side by side with pabutools 1.2.3.

    .venv/bin/python bench/rules.py [--skip-pabutools-add1] [--skip-pabutools]
        [--datasets lodz,synthetic] [--voters 100000] [--projects 150] [--seed 1]

Two elections: Poland_Lodz_2022.pb from ../shared/pabulib (90,494 voters x
160 projects) and a synthetic approval election (seeded; project popularity
log-normal, ballots of 1..15 projects drawn by popularity, log-normal costs,
budget 18% of the total cost, so that
20 to 40 projects win). For each: parse time of the same .pb text,
then greedy, MES and MES+Add1 (with its greedy fill), ours and pabutools'.
Ours is the best of 3 runs, each building the numpy arrays from the
Election again (that build is also shown on its own); pabutools is run once
(it takes minutes). The script checks that both
libraries give the same winners and prints a Markdown table.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pabutools.election import Cost_Sat  # noqa: E402
from pabutools.election.pabulib import parse_pabulib_from_string  # noqa: E402
from pabutools.rules import (  # noqa: E402
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from participation.rules import (  # noqa: E402
    Election,
    Project,
    greedy,
    mes,
    mes_add1,
    parse_pb,
    write_pb,
)
from participation.rules.mes import run_mes_add1  # noqa: E402

LODZ = next(
    (
        Path(base) / "Poland_Lodz_2022.pb"
        for base in (
            os.environ.get("PABULIB_DIR", ""),
            ROOT.parent / "shared" / "pabulib",
            "/work/shared/pabulib",
        )
        if base and (Path(base) / "Poland_Lodz_2022.pb").is_file()
    ),
    ROOT.parent / "shared" / "pabulib" / "Poland_Lodz_2022.pb",
)


def synthetic(voters: int, projects: int, seed: int) -> Election:
    rng = np.random.default_rng(seed)
    ids = [f"S{k:03d}" for k in range(projects)]
    popularity = rng.lognormal(0.0, 1.0, projects)
    log_pop = np.log(popularity / popularity.sum()).astype(np.float32)
    costs = np.clip(
        np.round(rng.lognormal(np.log(250_000), 0.7, projects), -3), 5_000, 3_000_000
    )
    lengths = 1 + rng.binomial(14, 0.3, voters)
    approvals = []
    # Gumbel top-k: sampling without replacement proportionally to popularity
    for start in range(0, voters, 10_000):
        stop = min(start + 10_000, voters)
        keys = log_pop + rng.gumbel(size=(stop - start, projects)).astype(np.float32)
        ranked = np.argsort(-keys, axis=1)
        for row, length in zip(ranked, lengths[start:stop], strict=True):
            approvals.append(frozenset(ids[k] for k in row[:length]))
    budget = int(round(costs.sum() * 0.18, -3))
    return Election(
        budget=budget,
        projects=[
            Project(pid, int(c), f"Synthetic project {pid}")
            for pid, c in zip(ids, costs, strict=True)
        ],
        approvals=approvals,
        meta={"description": f"synthetic, seed {seed}", "unit": "bench"},
    )


def timed(fn, repeat=1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def pabutools_add1(instance, profile):
    start = time.perf_counter()
    outcome = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    middle = time.perf_counter()
    filled = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, initial_budget_allocation=outcome
    )
    end = time.perf_counter()
    return middle - start, end - middle, [p.name for p in filled]


def bench(label, text, args):
    print(f"\n== {label}: {len(text) / 1e6:.1f} MB of .pb text", flush=True)
    t_parse, election = timed(lambda: parse_pb(text), 3)
    t_arrays, arrays = timed(election.arrays)
    nnz = sum(len(s) for s in arrays.supporters)
    print(
        f"{election.num_voters} voters, {len(election.projects)} projects, "
        f"{nnz} approvals, budget {election.budget}"
    )
    ours, ours_t = {}, {"parse": t_parse}

    def fresh(fn):
        # each timed run builds the arrays again, as pabutools' rules build
        # their satisfaction profiles on every call
        election._cache.clear()
        return fn(election)

    for rule, fn in (("greedy", greedy), ("mes", mes), ("mes-add1", mes_add1)):
        ours_t[rule], ours[rule] = timed(lambda fn=fn: fresh(fn), 3)
    add1 = run_mes_add1(election)
    print(
        f"ours: parse {t_parse:.3f}s, arrays {t_arrays:.3f}s, "
        + ", ".join(f"{rule} {ours_t[rule]:.3f}s" for rule in ours)
        + f" (mes-add1: {add1.runs} MES runs, share increase {add1.increase})"
    )
    for rule, won in ours.items():
        cost = election.total_cost(won)
        print(f"  {rule}: {len(won)} winners, cost {cost} of {election.budget}")

    theirs, theirs_t = {}, {}
    if not args.skip_pabutools:
        theirs_t["parse"], (instance, profile) = timed(
            lambda: parse_pabulib_from_string(text)
        )
        print(f"pabutools parse {theirs_t['parse']:.1f}s", flush=True)
        theirs_t["greedy"], out = timed(
            lambda: greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
        )
        theirs["greedy"] = [p.name for p in out]
        print(f"pabutools greedy {theirs_t['greedy']:.1f}s", flush=True)
        theirs_t["mes"], out = timed(
            lambda: method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
        )
        theirs["mes"] = [p.name for p in out]
        print(f"pabutools mes {theirs_t['mes']:.1f}s", flush=True)
        if not args.skip_pabutools_add1:
            stage, fill, theirs["mes-add1"] = pabutools_add1(instance, profile)
            theirs_t["mes-add1"] = stage + fill
            print(
                f"pabutools mes-add1 {stage + fill:.1f}s "
                f"(add1 stage {stage:.1f}s + greedy fill {fill:.1f}s)",
                flush=True,
            )
    same = {}
    for rule, won in theirs.items():
        same[rule] = set(won) == set(ours[rule])
        order = "same order" if won == ours[rule] else "different order"
        verdict = "YES" if same[rule] else "NO"
        print(f"  agree on {rule}: {verdict} ({len(won)} winners, {order})")
        if not same[rule]:
            print(f"    only ours: {sorted(set(ours[rule]) - set(won))}")
            print(f"    only pabutools: {sorted(set(won) - set(ours[rule]))}")
    rows = [(label, "parse", t_parse, theirs_t.get("parse"), None)]
    rows.append(
        (label, "(ours: build arrays, in each rule below)", t_arrays, None, None)
    )
    for rule in ours:
        rows.append((label, rule, ours_t[rule], theirs_t.get(rule), same.get(rule)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="lodz,synthetic")
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-pabutools", action="store_true")
    parser.add_argument(
        "--skip-pabutools-add1",
        action="store_true",
        help="skip pabutools' MES+Add1 (minutes)",
    )
    args = parser.parse_args()
    rows = []
    for name in args.datasets.split(","):
        if name == "lodz":
            text = LODZ.read_text(encoding="utf-8-sig")
            rows += bench("Lodz 2022 (90,494 x 160)", text, args)
        elif name == "synthetic":
            start = time.perf_counter()
            election = synthetic(args.voters, args.projects, args.seed)
            text = write_pb(election)
            took = time.perf_counter() - start
            print(f"\n(synthetic election generated and written in {took:.1f}s)")
            rows += bench(
                f"synthetic ({args.voters:,} x {args.projects}, seed {args.seed})",
                text,
                args,
            )
        else:
            parser.error(f"unknown dataset {name!r}")
    print("\n| election | step | ours (s) | pabutools (s) | speed-up | same winners |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, step, ours, theirs, same in rows:
        theirs_s = "-" if theirs is None else f"{theirs:.1f}"
        speed = "-" if theirs is None else f"{theirs / ours:,.0f}x"
        same_s = "-" if same is None else ("yes" if same else "NO")
        print(f"| {label} | {step} | {ours:.3f} | {theirs_s} | {speed} | {same_s} |")


if __name__ == "__main__":
    main()
