"""``python -m bench``: run every benchmark and print ratios against same-run baselines."""

from __future__ import annotations

import argparse

from bench import (
    bulk,
    di,
    http,
    jobs,
    outcomes,
    passport_render,
    ranking,
    small,
    status,
    vc_jwt,
    verify_batch,
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--count", type=int, default=400, help="distinct credentials per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median is reported")
    parser.add_argument("--algs", default="ES256,EdDSA,RS256")
    parser.add_argument(
        "--only",
        choices=[
            "jwt",
            "di",
            "small",
            "status",
            "bulk",
            "jobs",
            "passport",
            "batch",
            "http",
            "outcomes",
            "ranking",
        ],
        help="run one benchmark only",
    )
    parser.add_argument(
        "--small-count", type=int, default=1000, help="files in the small-credential batch"
    )
    parser.add_argument("--bulk-rows", type=int, default=10_000, help="rows in the bulk CSV")
    parser.add_argument(
        "--bulk-postgres",
        metavar="URL",
        help="run the bulk benchmark on a throwaway database on this PostgreSQL server "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) instead of a SQLite file",
    )
    parser.add_argument(
        "--jobs-rows", type=int, default=2_000, help="rows per run of the job-queue benchmark"
    )
    parser.add_argument(
        "--jobs-postgres",
        metavar="URL",
        help="the PostgreSQL server for the job-queue benchmark (default: "
        "PASSPORT_TEST_DATABASE_URL, else 127.0.0.1:5432 as CI has it; with Redis on loopback, "
        "else SQLite and the SQLite queue)",
    )
    parser.add_argument(
        "--http-seconds", type=float, default=8.0, help="seconds per phase of the HTTP benchmark"
    )
    parser.add_argument(
        "--outcomes-people",
        type=int,
        default=100_000,
        help="people in the people-events benchmark (about ten events each)",
    )
    parser.add_argument(
        "--outcomes-postgres",
        metavar="URL",
        help="the PostgreSQL server for the people-events benchmark (default: "
        "PASSPORT_TEST_DATABASE_URL, else 127.0.0.1:5432 as CI has it; skipped when none answers)",
    )
    parser.add_argument(
        "--ranking-people",
        type=int,
        default=10_000,
        help="discoverable people in the ranking benchmark (five badges each)",
    )
    parser.add_argument(
        "--ranking-postgres",
        metavar="URL",
        help="the PostgreSQL server for the ranking benchmark (default: "
        "PASSPORT_TEST_DATABASE_URL, else 127.0.0.1:5432 as CI has it; skipped when none answers)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes for a smoke run (the people-events benchmark: 2,000 people, one "
        "round; the ranking benchmark: 1,000 people, three rounds)",
    )
    args = parser.parse_args()
    if args.only in (None, "jwt"):
        vc_jwt.run(count=args.count, rounds=args.rounds, algs=args.algs.split(","))
    if args.only in (None, "di"):
        di.run(count=min(args.count, 200), rounds=max(3, args.rounds // 2))
    if args.only in (None, "small"):
        small.run(count=args.small_count, rounds=max(3, args.rounds // 2))
    if args.only in (None, "status"):
        status.run(count=args.count, rounds=args.rounds)
    if args.only in (None, "batch"):
        verify_batch.run(rounds=max(3, args.rounds // 2))
    if args.only in (None, "bulk"):
        bulk.run(rows=args.bulk_rows, postgres=args.bulk_postgres)
    if args.only in (None, "jobs"):
        jobs.run(rows=args.jobs_rows, rounds=max(3, args.rounds // 2), postgres=args.jobs_postgres)
    if args.only in (None, "passport"):
        passport_render.run(badges=50, rounds=args.rounds)
    if args.only in (None, "outcomes"):
        outcomes.run(
            people=2_000 if args.quick else args.outcomes_people,
            rounds=1 if args.quick else max(1, args.rounds // 2),
            postgres=args.outcomes_postgres,
        )
    if args.only in (None, "ranking"):
        ranking.run(
            people=1_000 if args.quick else args.ranking_people,
            rounds=3 if args.quick else args.rounds,
            postgres=args.ranking_postgres,
        )
    if args.only in (None, "http"):
        http.run(seconds=args.http_seconds)


if __name__ == "__main__":
    main()
