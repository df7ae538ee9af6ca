"""Growth: the same endpoints on a small and on a full-size PostgreSQL database.

    python -m bench.growth [--full-scale 1.0] [--duration 10] [--report-only]

Fills two databases with filler data (set-wise, ``INSERT ... SELECT generate_series``):
10,000 citizens (and proportionally the rest), then the full district: 1,000,000
citizens, 5,000,000 licences, 200,000 enterprises and 2,000,000 payment orders (with one
bus card each). Then it benchmarks both with ``bench.run`` and reports, for each
endpoint at full size against small size, the slowdown of its rate (as a ratio to the
ceiling measured just before it) and the growth of its CPU per request (API and
database): both must stay at most GOAL (1.1, issue 26), which only indexes and query plans can give.

Filler rows carry real ciphertexts (one per column, reused: a value is bound to its
column, not its row) so reads decrypt as in production. The benchmark's own citizen is
made through the API on top of the filler, like any newcomer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

from bench import run as bench_run

ADMIN_URL = bench_run.POSTGRES_ADMIN_URL
FULL = {"users": 1_000_000, "licences": 5_000_000, "enterprises": 200_000, "payment_orders": 2_000_000}
SMALL_CITIZENS = 10_000
GOAL = 1.1  # issue 26: slowdown from 10,000 to 1,000,000 citizens, every scenario


def sizes(citizens: int) -> dict[str, int]:
    factor = citizens / FULL["users"]
    return {name: max(1, int(count * factor)) for name, count in FULL.items()}


def filler_id(series: str, prefix: str) -> str:
    # 26 characters of Crockford base32 digits, older than any real ULID ("00..." < "01..."),
    # so the benchmark citizen's own rows are the newest, as a newcomer's would be.
    return f"'0{prefix}' || lpad(({series})::text, 24, '0')"


def cipher_values(data_dir: Path, database_url: str) -> dict[str, str]:
    """One real ciphertext per encrypted column, made with the app's own keys."""
    from nanhaitong import create_app

    app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "SANDBOX_MOUNT": False,
                      "LOG_LEVEL": "WARNING"})
    cipher = app.extensions["nht.cipher"]
    plain = {"utility_accounts.number": "8800000000000000", "users.phone": "13000000000", "users.real_name": "张三", "users.id_number": "440622199001011232",
             "licences.number": "440622199001011232", "licences.holder_name": "张三",
             "licences.fields": json.dumps({"地址": "佛山市南海区"}, ensure_ascii=False)}
    return {context: cipher.encrypt(value, context=context) for context, value in plain.items()}


def fill(database_url: str, data_dir: Path, citizens: int) -> dict[str, int]:
    counts = sizes(citizens)
    c = cipher_values(data_dir, database_url)
    per_citizen = counts["licences"] // counts["users"]
    per_citizen_orders = max(1, counts["payment_orders"] // counts["users"])
    statements = [
        f"""INSERT INTO users (id, phone, phone_index, assurance_level, real_name, id_number, id_number_index,
                               real_name_verified_at, created_at)
            SELECT {filler_id('n', 'U')}, %(phone)s, md5('phone' || n) || md5('p' || n), 2, %(name)s, %(idn)s,
                   md5('idn' || n) || md5('i' || n), now(), now()
            FROM generate_series(1, {counts['users']}) AS n""",
        f"""INSERT INTO enterprises (id, uscc, name, industry_code, town, size, registered_on, verified_at, created_at)
            SELECT {filler_id('n', 'E')}, '9144' || lpad(n::text, 14, '0'), '南海测试企业' || n,
                   (ARRAY['C3311','I6513','C3857','F5274','G5439'])[1 + n %% 5],
                   (ARRAY['桂城街道','九江镇','西樵镇','丹灶镇','狮山镇','大沥镇','里水镇'])[1 + n %% 7],
                   (ARRAY['micro','small','medium','large'])[1 + n %% 4], '2015-06-01', now(), now()
            FROM generate_series(1, {counts['enterprises']}) AS n""",
        f"""INSERT INTO licences (id, holder_kind, holder_id, code, type_code, issuer_code, issuer_name, number,
                                  holder_name, fields, valid_from, valid_until, status, digest, fetched_at)
            SELECT {filler_id('n', 'L')}, 'citizen', {filler_id('1 + (n - 1) / ' + str(per_citizen), 'U')},
                   'FILLER-' || n, (ARRAY['resident_id_card','driver_licence','household_register',
                   'social_security_card','vehicle_licence'])[1 + n %% 5], '440605', '佛山市南海区', %(idn)s,
                   %(name)s, %(fields)s, '2020-01-01', '2030-01-01', 'valid', md5('d' || n) || md5('e' || n), now()
            FROM generate_series(1, {counts['licences']}) AS n""",
        f"""INSERT INTO utility_accounts (id, owner_kind, owner_id, kind, number, number_index, created_at)
            SELECT {filler_id('n', 'A')}, 'citizen', {filler_id('n', 'U')}, 'bus_card', %(card)s,
                   md5('card' || n) || md5('c' || n), now()
            FROM generate_series(1, {counts['users']}) AS n""",
        f"""INSERT INTO payment_orders (id, out_trade_no, owner_kind, owner_id, created_by, account_id, kind,
                                        amount_fen, channel, status, fulfilment_attempts, created_at, expires_at,
                                        paid_at, fulfilled_at)
            SELECT {filler_id('n', 'P')}, 'F' || lpad(n::text, 20, '0'), 'citizen',
                   {filler_id('1 + (n - 1) / ' + str(per_citizen_orders), 'U')},
                   'citizen:' || {filler_id('1 + (n - 1) / ' + str(per_citizen_orders), 'U')},
                   {filler_id('1 + (n - 1) / ' + str(per_citizen_orders), 'A')}, 'bus_card_topup', 1000 + n %% 5000,
                   (ARRAY['wechat','alipay'])[1 + n %% 2], 'fulfilled', 1, now(), now(), now(), now()
            FROM generate_series(1, {counts['payment_orders']}) AS n""",
    ]
    params = {"phone": c["users.phone"], "card": c["utility_accounts.number"], "name": c["users.real_name"], "idn": c["users.id_number"],
              "fields": c["licences.fields"]}
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in statements:
            table = statement.split("INTO", 1)[1].split("(", 1)[0].strip()
            bound = dict(params, name=c["licences.holder_name"] if table == "licences" else params["name"],
                         idn=c["licences.number"] if table == "licences" else params["idn"])
            conn.execute(statement, bound)
            print(f"  {table}: {conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,} rows", flush=True)
        conn.execute("VACUUM ANALYZE")
        # The fill left gigabytes of dirty pages; the checkpoint that writes them would
        # otherwise spread over the next minutes, during the measured runs (the full
        # run's floor cost 1.2-1.3x its 10k run's CPU per request while it went on).
        conn.execute("CHECKPOINT")
    return counts


def _cpu_per_request(row: dict) -> float:
    """The machine's cost of one request (API processes and database backends): unlike
    req/s it hardly depends on what else the machine was doing during the run."""
    cpu = row["peak"]["cpu_ms_per_request"]
    return cpu["server"] + cpu["database"]


def _floor_cpu(row: dict) -> str:
    floor = row.get("floor_before")
    if not floor:
        return "-"
    return f"{floor['cpu_ms_per_request']['server'] + floor['cpu_ms_per_request']['database']:.2f}"


def fresh_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def table(results: dict) -> tuple[str, float]:
    """The growth table, and the worst of slowdown and CPU growth over the endpoints.

    Slowdown compares each endpoint's ratio to the ceiling measured just before it, not
    its raw req/s: the machine's own speed drifts between the two runs, minutes apart.
    """
    small = {r["scenario"]: r for r in results["10k"]["rows"]}
    lines = ["| endpoint | req/s at 10k → full | ratio to ceiling 10k → full | slowdown | CPU ms/request 10k → full "
             "(server + database) | CPU growth (full / 10k) | the floor's CPU just before, 10k → full "
             "(the machine's drift) | p99 ms 10k → full |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    worst = 0.0
    for row in results["full"]["rows"]:
        base = small[row["scenario"]]
        slowdown = base["ratio"] / max(row["ratio"], 1e-9)
        cpu_small, cpu_full = _cpu_per_request(base), _cpu_per_request(row)
        growth = cpu_full / max(cpu_small, 1e-9)
        if not row["scenario"].startswith("ceiling"):
            worst = max(worst, slowdown, growth)
        lines.append(f"| {row['scenario']} | {base['peak']['rps']:.0f} → {row['peak']['rps']:.0f} | "
                     f"{base['ratio']:.3f} → {row['ratio']:.3f} | {slowdown:.2f}{' ✓' if slowdown <= GOAL else ' ✗'} | "
                     f"{cpu_small:.2f} → {cpu_full:.2f} | {growth:.2f}{' ✓' if growth <= GOAL else ' ✗'} | "
                     f"{_floor_cpu(base)} → {_floor_cpu(row)} | "
                     f"{base['peak']['p99_ms']:.1f} → {row['peak']['p99_ms']:.1f} |")
    filled = results["full"].get("rows_filled", {})
    sizes_line = ", ".join(f"{count:,} {name}" for name, count in filled.items())
    return ("\n".join(lines) + f"\n\nfull size: {sizes_line}\n"
            f"worst of slowdown and CPU growth: {worst:.2f} (goal: at most {GOAL})\n"), worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full-scale", type=float, default=1.0, help="fraction of the full district (1.0 = all)")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--report-only", action="store_true", help="only write growth.md again from growth.json")
    args = parser.parse_args(argv)
    if args.report_only:
        results = json.loads((bench_run.RESULTS / "growth.json").read_text())
    else:
        results = measure(args.full_scale, args.duration, args.connections)
    report, worst = table(results)
    bench_run.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench_run.RESULTS / "growth.md").write_text(report)
    (bench_run.RESULTS / "growth.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(report)
    return 0 if worst <= GOAL else 1


def measure(full_scale: float, duration: int, connections: int) -> dict:
    results = {}
    for label, citizens in (("10k", SMALL_CITIZENS), ("full", int(FULL["users"] * full_scale))):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            url = fresh_database(f"nht_bench_{label}")
            env = dict(os.environ, NHT_DATA_DIR=str(data_dir), NHT_DATABASE_URL=url)
            subprocess.run([bench_run.BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=bench_run.ROOT,
                           env=env, check=True, capture_output=True)
            print(f"filling {label} ({citizens:,} citizens)", flush=True)
            counts = fill(url, data_dir, citizens)
            results[label] = bench_run.run("postgresql", duration=duration, connections=connections,
                                           threads=2, only=None, database_url=url, label=f"postgresql-{label}",
                                           data_dir=data_dir)
            results[label]["rows_filled"] = counts
    return results


if __name__ == "__main__":
    sys.exit(main())
