"""Benchmark: match a published policy against 100,000 enterprises and fan it out to their
inboxes, on PostgreSQL (issue 10). Not part of `make test`; run `make bench-policies`.

    NHT_BENCH_DATABASE_URL  the database to fill (default postgresql://postgres@127.0.0.1:5432/nht_policies).
                            Its public schema is DROPPED and migrated afresh.
    NHT_BENCH_ENTERPRISES   how many enterprises (default 100000)
    NHT_BENCH_FOLLOWERS     members who follow their enterprise's policy messages, one phone each (default 2000)

It fills the database with enterprises distributed like Nanhai's (manufacturing-heavy,
mostly micro firms, 7 towns, registered over 35 years; some holding food permits), then,
through the same service functions the API calls: publishes a targeted policy and a
policy for everyone, and times the fan-out job (one count query, then keyset pages of
5,000 ids, each sent to the inbox in bulk and committed with the progress record), then
times publishing the same version again (dedupe: nothing new). Pushes to the followers'
phones are queued (PushDelivery rows), not sent: sending is the push worker's job.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from nanhaitong.timeutil import china_today

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/nht_policies"
TOWNS = {"狮山镇": 26, "桂城街道": 20, "大沥镇": 18, "里水镇": 13, "西樵镇": 9, "丹灶镇": 8, "九江镇": 6}
SIZES = {"micro": 72, "small": 19, "medium": 7, "large": 2}
# GB/T 4754-2017 classes, weighted roughly like Nanhai's register: metal, aluminium,
# appliances, textiles, furniture, ceramics, plastics; trade; services.
INDUSTRIES = {
    "C3311": 5, "C3360": 4, "C3252": 4, "C3854": 3, "C3851": 2, "C1713": 3, "C1830": 3, "C2110": 3,
    "C3071": 2, "C2927": 3, "C3484": 2, "C3990": 2, "F5123": 8, "F5137": 6, "F5261": 7, "F5191": 4,
    "H6210": 5, "H6110": 2, "I6513": 3, "I6520": 2, "L7212": 5, "L7251": 3, "E4813": 3, "E4990": 2,
    "A0412": 2, "K7010": 3, "M7320": 2, "O8010": 3,
}


def weighted(rng: random.Random, table: dict) -> list:
    return rng.choices(list(table), weights=list(table.values()), k=1)[0]


def main() -> None:
    url = os.environ.get("NHT_BENCH_DATABASE_URL", DEFAULT_URL)
    count = int(os.environ.get("NHT_BENCH_ENTERPRISES", "100000"))
    followers = int(os.environ.get("NHT_BENCH_FOLLOWERS", "2000"))

    from nanhaitong import create_app, db
    from nanhaitong.config import normalize_database_url
    from nanhaitong.identity import codes
    from nanhaitong.identity.models import Enterprise, EnterpriseMember, User
    from nanhaitong.ids import new_id
    from nanhaitong.kernel import Principal
    from nanhaitong.licences.models import Licence
    from nanhaitong.messages.models import Device, Message, MessagePreference, PushDelivery
    from nanhaitong.migrations.runner import upgrade
    from nanhaitong.policy_push import fanout, service
    from nanhaitong.rehearsal import create_database
    from schemas.policy_push import PolicyWriteSchema

    url = normalize_database_url(url)
    if not url.startswith("postgresql"):
        sys.exit("the benchmark runs on PostgreSQL")
    create_database(url)  # a fresh machine has none
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        server = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    upgrade(url)
    database = url.rsplit("/", 1)[1].split("?")[0]

    data_dir = Path(os.environ.get("NHT_BENCH_DATA_DIR", "/tmp/nht-bench-policies"))
    data_dir.mkdir(parents=True, exist_ok=True)
    # No Redis: jobs queue to an in-memory broker and are not run by themselves; the
    # benchmark runs the fan-out job's body itself, timed.
    app = create_app({"ENV": "development", "DATA_DIR": str(data_dir), "DATABASE_URL": url, "REDIS_URL": None,
                      "JOBS_EAGER": False, "SANDBOX": True, "LOG_LEVEL": "WARNING"})
    rng = random.Random(20261122)
    today = china_today()
    editor = Principal(kind="staff", account_id="bench-editor", session_id="-", audience="staff",
                       assurance_level=1, role="policy_editor")

    with app.test_request_context():
        session = db.session()
        started = time.perf_counter()
        rows = []
        for i in range(count):
            age_days = int(rng.expovariate(1 / 2900)) % (35 * 365)
            rows.append({"id": new_id(), "uscc": f"91440605{i:010d}", "name": f"佛山市南海区基准企业{i}有限公司",
                         "industry_code": weighted(rng, INDUSTRIES), "size": weighted(rng, SIZES),
                         "town": weighted(rng, TOWNS),
                         "registered_on": (today - timedelta(days=age_days)).isoformat()})
        for start in range(0, count, 10_000):
            session.execute(Enterprise.__table__.insert(), rows[start:start + 10_000])
        ids = [r["id"] for r in rows]
        permits = [r for r in rows if r["industry_code"].startswith("H") or rng.random() < 0.02]
        session.execute(Licence.__table__.insert(), [
            {"id": new_id(), "holder_kind": "enterprise", "holder_id": r["id"], "code": f"JY-{r['uscc']}",
             "type_code": "food_business_permit", "issuer_code": "NHSJ", "issuer_name": "佛山市南海区市场监督管理局",
             "number": f"JY3440605{r['uscc'][-8:]}", "holder_name": r["name"], "fields": "{}",
             "valid_from": "2022-01-01", "valid_until": "2099-12-31", "status": "valid", "digest": "0" * 64,
             "fetched_at": time_now()} for r in permits])
        users = []
        for i in range(followers):
            phone = f"136{i:08d}"
            users.append({"id": new_id(), "phone": phone, "phone_index": codes.phone_index(phone),
                          "assurance_level": 2, "created_at": time_now()})
        if users:
            session.execute(User.__table__.insert(), users)
            session.execute(EnterpriseMember.__table__.insert(), [
                {"id": new_id(), "enterprise_id": rng.choice(ids), "user_id": u["id"], "role": "admin",
                 "created_at": time_now()} for u in users])
            session.execute(MessagePreference.__table__.insert(), [
                {"id": new_id(), "owner_kind": "citizen", "owner_id": u["id"], "updated_at": time_now(),
                 "topics": '{"topics": ["application_status", "payment", "esign", "licence_expiry", "policy", '
                           '"security"], "enterprise_topics": ["policy"]}'} for u in users])
            session.execute(Device.__table__.insert(), [
                {"id": new_id(), "user_id": u["id"], "platform": "android", "token": f"bench-token-{u['id']}",
                 "token_index": f"{i:064d}", "created_at": time_now(), "last_seen_at": time_now()}
                for i, u in enumerate(users)])
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        fill_seconds = time.perf_counter() - started

        def run(title, rules):
            fields = PolicyWriteSchema().load({
                "title": title, "category": "subsidy", "issuer": "佛山市南海区经济促进局",
                "summary": "符合条件的企业可申请补贴。", "eligibility": "见正文。", "how_to_apply": "南海通在线申报。",
                "body": "为支持企业发展，制定本政策。", "rules": rules})
            policy = service.create_policy(editor, fields)
            _, record = service.publish(editor, policy.id)  # the job is queued, not run
            t0 = time.perf_counter()
            matched = session.execute(select(func.count()).select_from(
                service.matching_enterprise_ids(rules).subquery())).scalar_one()
            match_seconds = time.perf_counter() - t0
            t0, cpu0 = time.perf_counter(), cpu_now(database)
            status = fanout.run(record.id)
            fan_seconds, fan_cpu = time.perf_counter() - t0, cpu_spent(cpu0, cpu_now(database))
            session.refresh(record)
            assert status == "done" and record.delivered == matched, (status, record.delivered, matched)
            _, again = service.publish(editor, policy.id)
            t0, cpu0 = time.perf_counter(), cpu_now(database)
            fanout.run(again.id)
            again_seconds, again_cpu = time.perf_counter() - t0, cpu_spent(cpu0, cpu_now(database))
            session.refresh(again)
            assert again.delivered == 0 and again.member_copies == 0
            return {"title": title, "matched": matched, "match_seconds": match_seconds, "fan_seconds": fan_seconds,
                    "delivered": record.delivered, "copies": record.member_copies,
                    "again_seconds": again_seconds, "fan_cpu": fan_cpu, "again_cpu": again_cpu}

        results = [
            run("制造业中小微企业技改补贴", {"industry_codes": ["C33", "C38", "C17", "C21"],
                                     "sizes": ["micro", "small", "medium"],
                                     "towns": ["狮山镇", "大沥镇", "里水镇", "丹灶镇"], "min_registration_years": 2}),
            run("餐饮企业食品安全提升补贴", {"licence_types": ["food_business_permit"], "max_registration_years": 10}),
            run("南海区惠企政策汇编", {}),
        ]
        messages = session.execute(select(func.count()).select_from(Message)).scalar_one()
        pushes = session.execute(select(func.count()).select_from(PushDelivery)).scalar_one()

    print(f"PostgreSQL {server}; {count:,} enterprises, {len(permits):,} food permits, {followers:,} following members "
          f"with a phone each; filled in {fill_seconds:.1f} s")
    for r in results:
        rate = r["matched"] / r["fan_seconds"] if r["fan_seconds"] else 0
        print(f"- {r['title']}: matched {r['matched']:,} (count query {r['match_seconds'] * 1000:.0f} ms); "
              f"fan-out {r['fan_seconds']:.2f} s ({rate:,.0f} enterprises/s), {r['delivered']:,} inbox messages + "
              f"{r['copies']:,} member copies, CPU {cpu_text(r['fan_cpu'])}; "
              f"republish {r['again_seconds']:.2f} s, 0 new, CPU {cpu_text(r['again_cpu'])}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"total: {messages:,} inbox messages, {pushes:,} pushes queued")


def cpu_now(database: str) -> dict:
    """CPU seconds so far of this process and of each PostgreSQL backend serving ``database``:
    what the fan-out costs, which its wall time on a shared machine only hints at."""
    from bench.run import cpu_seconds

    used = cpu_seconds({"benchmark": os.getpid()}, database)
    used["benchmark"] = time.process_time()  # this process alone (not the bench's children)
    return used


def cpu_spent(before: dict, after: dict) -> dict:
    from bench.run import cpu_spent as spent

    return spent(before, after)


def cpu_text(cpu: dict) -> str:
    return f"{cpu['benchmark']:.1f} s Python + {cpu['database']:.1f} s PostgreSQL"


def time_now():
    from nanhaitong.timeutil import utcnow

    return utcnow()


if __name__ == "__main__":
    main()
