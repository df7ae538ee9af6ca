"""Benchmark: the one-stop read endpoints at district scale, on PostgreSQL (issue 27). Not
part of `make test`; run `make bench-one-stop`.

    NHT_BENCH_DATABASE_URL  the database to fill (default postgresql://postgres@127.0.0.1:5432/nht_one_stop).
                            Its public schema is DROPPED and migrated afresh.
    NHT_BENCH_EVALUATIONS   how many ratings (default 1000000)
    NHT_BENCH_CALLS         requests timed per endpoint (default 200)

It fills the database with 1,345 matters across 15 departments, each handled by some of
the centres; a year of booked slots (every working day's slots of 20 matters at every
centre: about 490,000 rows); and as many closed cases as ratings, rated over the past
year with their monthly tallies (filled by SQL, as the ratings would have kept them).
Then it times, through the app in-process (WSGI, no network): the catalogue list and a
Chinese search, a centre's slots, the statistics per centre, matter and department, and a
page of the national export; p50 and p99 of each, against the 50 ms p99 read goal. The
district has seven centres (centres.py); the issue's forty are not reference data yet.
"""

from __future__ import annotations

import os
import random
import statistics as stats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/nht_one_stop"
GOAL_MS = 50


def main() -> None:
    url = os.environ.get("NHT_BENCH_DATABASE_URL", DEFAULT_URL)
    ratings = int(os.environ.get("NHT_BENCH_EVALUATIONS", "1000000"))
    calls = int(os.environ.get("NHT_BENCH_CALLS", "200"))

    from nanhaitong import create_app, db
    from nanhaitong.config import normalize_database_url
    from nanhaitong.kernel import Principal
    from nanhaitong.migrations.runner import upgrade
    from nanhaitong.one_stop import appointments, catalogue
    from nanhaitong.one_stop.centres import CENTRES
    from nanhaitong.one_stop.demo import DEPARTMENTS, MATTERS, matter_fields
    from nanhaitong.timeutil import china_today

    url = normalize_database_url(url)
    if not url.startswith("postgresql"):
        sys.exit("the benchmark runs on PostgreSQL")
    base, _, name = url.rpartition("/")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)

    data_dir = Path(os.environ.get("NHT_BENCH_DATA_DIR", "/tmp/nht-bench-one-stop"))
    data_dir.mkdir(parents=True, exist_ok=True)
    # The sandbox (SMS for the staff sign-in) is reached over loopback HTTP, as in the tests.
    import threading

    from werkzeug.serving import make_server

    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, respond: holder["app"](environ, respond), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = create_app({"ENV": "development", "DATA_DIR": str(data_dir), "DATABASE_URL": url, "REDIS_URL": None,
                      "JOBS_EAGER": True, "SANDBOX": True, "LOG_LEVEL": "WARNING",
                      "SANDBOX_URL": f"http://127.0.0.1:{server.server_port}/sandbox",
                      "RATELIMIT_DEFAULT": "100000000 per minute"})
    holder["app"] = app
    rng = random.Random(27)
    seeder = Principal(kind="system", account_id="bench", session_id="-", audience="staff", assurance_level=1,
                       role="operator")
    started = time.perf_counter()
    with app.test_request_context():
        # 1,345 matters: the demo's 45, then variants of them across the departments.
        for i in range(1345):
            row = MATTERS[i % len(MATTERS)]
            fields = matter_fields(row)
            fields["code"] = f"{row[0]}-{i:04d}"
            fields["name"] = row[1] if i < len(MATTERS) else f"{row[1]}（{list(DEPARTMENTS.values())[i % 15][-6:]}{i}）"
            fields["centres"] = sorted(rng.sample(sorted(CENTRES), rng.randint(2, 7)))
            catalogue.create_matter(seeder, fields)
        session = db.session()
        matter_ids = list(session.execute(text("SELECT id FROM one_stop_matters ORDER BY code")).scalars())
        busy = matter_ids[:20]
        today = china_today()
        days = []
        day = today.toordinal() - 365
        from datetime import date

        from nanhaitong.one_stop import calendar
        while day <= today.toordinal():
            if calendar.is_working_day(date.fromordinal(day)):
                days.append(date.fromordinal(day).isoformat())
            day += 1
        centre = next(iter(CENTRES.values()))
        starts = [s for s, _ in appointments.slot_starts(centre)]
        session.execute(text(
            "INSERT INTO one_stop_slots (id, centre_code, matter_id, day, start, capacity, booked) "
            "SELECT substr(md5(random()::text || c || m || d || s), 1, 26), c, m, d, s, 3, 1 "
            "FROM unnest(CAST(:c AS text[])) AS c, unnest(CAST(:m AS text[])) AS m, "
            "unnest(CAST(:d AS text[])) AS d, unnest(CAST(:s AS text[])) AS s"),
            {"c": sorted(CENTRES), "m": busy, "d": days, "s": starts})
        slot_rows = session.execute(text("SELECT count(*) FROM one_stop_slots")).scalar_one()
        session.commit()
        session.execute(text("CREATE TEMP TABLE bench_matters AS SELECT row_number() OVER (ORDER BY id) AS n, id, "
                             "department FROM one_stop_matters"))
        centre_codes = "ARRAY[" + ",".join(f"'{c}'" for c in CENTRES) + "]"
        session.execute(text(f"""
            INSERT INTO one_stop_cases (id, number, owner_kind, owner_id, matter_id, centre_code, channel, form,
                                        status, accepted_on, legal_days, created_by, created_at)
            SELECT lpad(to_hex(g), 26, '0'), 'NHB' || g, 'citizen', 'bench', m.id,
                   ({centre_codes})[1 + g % 7], 'counter', '', 'completed', '2026-01-05', 10, 'bench',
                   now() - (g % 365) * interval '1 day'
            FROM generate_series(1, :n) AS g JOIN bench_matters m ON m.n = 1 + g % 1345"""), {"n": ratings})
        session.execute(text("""
            INSERT INTO one_stop_evaluations (id, case_id, owner_kind, owner_id, level, reasons, text, channel,
                                              centre_code, matter_id, department, created_at)
            SELECT c.id, c.id, 'citizen', 'bench',
                   CASE WHEN random() < 0.02 THEN 1 WHEN random() < 0.04 THEN 2 WHEN random() < 0.1 THEN 3
                        WHEN random() < 0.3 THEN 4 ELSE 5 END, '[]', NULL, 'app', c.centre_code, c.matter_id,
                   m.department, c.created_at
            FROM one_stop_cases c JOIN one_stop_matters m ON m.id = c.matter_id WHERE c.owner_id = 'bench'"""))
        for dimension, column in (("centre", "centre_code"), ("matter", "matter_id"), ("department", "department")):
            session.execute(text(f"""
                INSERT INTO one_stop_evaluation_tallies (dimension, key, month, level, count)
                SELECT '{dimension}', {column}, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), level,
                       count(*)
                FROM one_stop_evaluations GROUP BY 2, 3, 4"""))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    fill_seconds = time.perf_counter() - started

    from nanhaitong.identity import staff

    with app.app_context():
        staff.create("13900000099", "operator", "Bench-password-2026", actor="system:bench")
        db.session().commit()
    client = app.test_client()
    code_answer = client.post("/api/v1/admin/auth/sms-codes", json={"phone": "13900000099"})
    assert code_answer.status_code == 202, code_answer.get_json()
    import re

    sms = client.get("/sandbox/sms/messages", query_string={"phone": "13900000099"}).get_json()
    code = re.search(r"\d{6}", sms["messages"][0]["text"]).group(0)
    token = client.post("/api/v1/admin/auth/tokens", json={
        "phone": "13900000099", "password": "Bench-password-2026", "code": code}).get_json()["access_token"]
    staff_headers = {"Authorization": f"Bearer {token}"}

    endpoints = {
        "centres (no query: the floor)": ("/api/v1/one-stop/centres", {}, {}),
        "matters, first page": ("/api/v1/one-stop/matters", {}, {}),
        "matters, search 营业执照": ("/api/v1/one-stop/matters", {"q": "营业执照"}, {}),
        "matters of a centre": ("/api/v1/one-stop/matters", {"centre": "shishan", "limit": 50}, {}),
        "slots of a busy matter": ("/api/v1/one-stop/slots", {"centre": "guicheng", "matter_id": busy[0],
                                                              "days": 10}, {}),
        "stats by centre": ("/api/v1/admin/one-stop/evaluations/stats", {"by": "centre"}, staff_headers),
        "stats by matter": ("/api/v1/admin/one-stop/evaluations/stats", {"by": "matter"}, staff_headers),
        "stats by department": ("/api/v1/admin/one-stop/evaluations/stats", {"by": "department"}, staff_headers),
        "export, a page of 500": ("/api/v1/admin/one-stop/evaluations/export", {"limit": 500}, staff_headers),
    }
    print(f"filled in {fill_seconds:.0f} s: 1345 matters, {slot_rows} slots, {ratings} ratings")
    print(f"{'endpoint':32} {'p50 ms':>8} {'p99 ms':>8}  goal p99 < {GOAL_MS} ms")
    for label, (path, query, headers) in endpoints.items():
        timings = []
        for _ in range(calls):
            t0 = time.perf_counter()
            answer = client.get(path, query_string=query, headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
            assert answer.status_code == 200, (label, answer.get_json())
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"{label:32} {stats.median(timings):8.1f} {p99:8.1f}  {'ok' if p99 < GOAL_MS else 'OVER'}")
    server.shutdown()


if __name__ == "__main__":
    main()
