"""The peer side of `cargo bench --bench peer`: univers (the Python reference implementation of
vers) checks the same (range, version) cases firmwatch checked, and says how fast and what it
answered.

Input: a JSON file `{"cases": [[range, version], ...], "rounds": N}` with vers strings in
univers's scheme names. Output (stdout): one JSON object with `checks_per_sec`, `univers` (its
version) and `answers` (one boolean per case, or null where univers raised).

Ranges and versions are parsed once, outside the timed loop, as firmwatch's side does.
"""

import json
import sys
import time
from importlib.metadata import version

from univers.version_range import VersionRange


def main(path):
    data = json.load(open(path))
    prepared = []
    answers = []
    for rng, ver in data["cases"]:
        try:
            r = VersionRange.from_string(rng)
            v = r.version_class(ver)
            prepared.append((r, v))
            answers.append(v in r)
        except Exception:  # an input univers cannot read: reported, not timed
            answers.append(None)
    rounds = data["rounds"]
    start = time.perf_counter()
    hits = 0
    for _ in range(rounds):
        for r, v in prepared:
            hits += v in r
    elapsed = time.perf_counter() - start
    checks = rounds * len(prepared)
    json.dump(
        {
            "univers": version("univers"),
            "checks": checks,
            "seconds": elapsed,
            "checks_per_sec": checks / elapsed if elapsed > 0 else 0.0,
            "hits": hits,
            "answers": answers,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
