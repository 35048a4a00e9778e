#!/usr/bin/env python3
"""Synthetic B12 screening export for the benchmarks (Python standard library only, deterministic).

Kobalt's own generator. It follows the export described by the benchmark kit the project was measured with
(shared/bench/gen_b12.py, same columns, same command line, same distributions) so that bench/screen.sh runs
from a clone of this repository alone. The rows are not the kit's rows: compare engines on a file made once.

One row per patient:
  patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,
  hb_gdl,mcv_fl,folate_ngml,ferritin_ngml
An empty field means "not measured" (or "not exposed" for the two medication columns).

Distributions (roughly realistic, not clinical truth):
  * age 18..95, skewed older; sex F/M 52/48
  * metformin in about 8 % (more often with age), years log-normal, median 3, clipped to 0.2..20;
    PPI in about 10 %, median 2.5 years, clipped to 0.1..15
  * serum B12 (pmol/L) log-normal, median 350, sigma 0.5: about 4-5 % below 148 and 14 % in 148..221;
    more than 4 years of metformin lowers it by 18 %, more than 4 years of PPI by 12 %
  * about 5 % untested (b12_value, b12_unit and b12_date empty)
  * about 30 % of the tested rows in pg/mL (value = pmol/L / 0.738), the rest in pmol/L; dates in 2024-2025
  * MMA (µmol/L) in about 15 % of rows, more often when B12 is low, rising as B12 falls
  * holoTC in about 10 % (follows B12), homocysteine in about 20 % (rises below 200 pmol/L),
    folate in about 60 %, ferritin in about 50 %
  * MCV ~ N(90, 4.5) fL, 8 fL higher in about a third of the rows with B12 below 148
  * Hb ~ N(13.8 male / 12.8 female, 1.3) g/dL, 1.2 lower in those macrocytic rows

Usage: gen_b12.py N OUT.csv [--seed S] [--procs P] [--only-b12-mma]

The rows are made in blocks of 50,000, each from its own seeded generator, so the file depends on N and --seed
only, not on --procs. --only-b12-mma leaves holotc_pmol and hcy_umol empty, so that the status depends on total
B12 and MMA alone (the file on which every engine must give the same status for every row).
"""
import argparse
import math
import multiprocessing
import random
from datetime import date, timedelta

HEADER = ("patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,"
          "hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml\n")
BLOCK = 50_000
FIRST_DAY = date(2024, 1, 1)
DAYS = [(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(731)]
PG_PER_PMOL = 1 / 0.738


def fmt(value, decimals):
    """A measured value with the given decimals, or empty when not measured."""
    return "" if value is None else f"{value:.{decimals}f}"


def block(job):
    """The CSV text of rows first..first+count, from the block's own generator."""
    first, count, seed, only_b12_mma = job
    rng = random.Random((seed << 32) ^ (first // BLOCK))
    u, gauss, lognormal = rng.random, rng.gauss, rng.lognormvariate
    lines = []
    for pid in range(first, first + count):
        age = 18 + int(77.999 * u() ** 0.75)
        sex = "F" if u() < 0.52 else "M"
        older = (age - 18) / 77
        metformin = min(20.0, max(0.2, lognormal(math.log(3.0), 0.8))) if u() < 0.02 + 0.10 * older else None
        ppi = min(15.0, max(0.1, lognormal(math.log(2.5), 0.9))) if u() < 0.04 + 0.105 * older else None

        b12 = 350.0 * math.exp(gauss(0.0, 0.5))
        if metformin is not None and metformin > 4:
            b12 *= 0.82
        if ppi is not None and ppi > 4:
            b12 *= 0.88
        tested = u() >= 0.05

        mma_chance = (0.45 if b12 < 221 else 0.10) if tested else 0.02
        # MMA about 0.18 with B12 above 260 pmol/L, doubling near 200 and more than tripling near 148.
        deficit = max(0.0, 260.0 - b12) / 60.0
        mma = 0.18 * math.exp(gauss(0.0, 0.3)) * (1.0 + deficit ** 1.5) if u() < mma_chance else None
        holotc = 70.0 * b12 / 350.0 * math.exp(gauss(0.0, 0.25)) if u() < 0.10 else None
        hcy = 10.0 * math.exp(gauss(0.0, 0.25)) * (1.0 + max(0.0, 200.0 - b12) / 100.0) if u() < 0.20 else None
        if only_b12_mma:
            holotc = hcy = None

        macrocytic = b12 < 148 and u() < 0.35
        mcv = gauss(90.0, 4.5) + (8.0 if macrocytic else 0.0)
        hb = gauss(13.8 if sex == "M" else 12.8, 1.3) - (1.2 if macrocytic else 0.0)
        folate = 12.0 * math.exp(gauss(0.0, 0.45)) if u() < 0.60 else None
        ferritin = 90.0 * math.exp(gauss(0.0, 0.8)) if u() < 0.50 else None

        if tested:
            in_pg = u() < 0.30
            value = f"{b12 * PG_PER_PMOL:.0f}" if in_pg else f"{b12:.0f}"
            unit = "pg/mL" if in_pg else "pmol/L"
            when = DAYS[int(u() * len(DAYS))]
        else:
            value = unit = when = ""
        lines.append(",".join((
            str(pid), str(age), sex, fmt(metformin, 1), fmt(ppi, 1), value, unit, when, fmt(holotc, 0),
            fmt(mma, 2), fmt(hcy, 1), fmt(hb, 1), fmt(mcv, 1), fmt(folate, 1), fmt(ferritin, 0),
        )))
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description="Synthetic B12 screening export (one row per patient).")
    parser.add_argument("rows", type=int, help="number of patients")
    parser.add_argument("out", help="output CSV file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--procs", type=int, default=1, help="worker processes (the output does not change)")
    parser.add_argument("--only-b12-mma", action="store_true", help="leave holoTC and homocysteine empty")
    args = parser.parse_args()
    if args.rows < 0 or args.seed < 0 or args.procs < 1:
        parser.error("rows and --seed must be 0 or more, --procs 1 or more")
    jobs = [(first, min(BLOCK, args.rows - first), args.seed, args.only_b12_mma)
            for first in range(0, args.rows, BLOCK)]
    with open(args.out, "w", newline="") as out:
        out.write(HEADER)
        if args.procs == 1 or len(jobs) < 2:
            for job in jobs:
                out.write(block(job))
        else:
            with multiprocessing.Pool(args.procs) as pool:
                for text in pool.imap(block, jobs):
                    out.write(text)


if __name__ == "__main__":
    main()
