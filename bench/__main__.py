"""``python -m bench``: run every benchmark and print ratios against same-run baselines."""

from __future__ import annotations

import argparse

from bench import vc_jwt


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--count", type=int, default=400, help="distinct credentials per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median is reported")
    parser.add_argument("--algs", default="ES256,EdDSA,RS256")
    args = parser.parse_args()
    vc_jwt.run(count=args.count, rounds=args.rounds, algs=args.algs.split(","))


if __name__ == "__main__":
    main()
