"""Appointments: slots from the centre's calendar, booking, changing, cancelling, the race
for the last place, no-shows and the block, check-in with a queue number, reminders."""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import chinese_calendar
import pytest
import requests

from nanhaitong.one_stop import appointments as appointment_service
from nanhaitong.one_stop import jobs
from nanhaitong.timeutil import china_today
from tests.support.citizens import citizen_at
from tests.support.errors import assert_error
from tests.support.one_stop import shift_appointment

from .conftest import ADMIN, PUBLIC, add_matter, book, first_slot, run_in_app


def test_slots_are_on_working_days_without_the_lunch_break(client, operator):
    matter = add_matter(operator, slot_capacity=3)
    answer = client.get(f"{PUBLIC}/slots", query_string={"centre": "guicheng", "matter_id": matter["id"], "days": 10})
    slots = answer.get_json()["items"]
    assert slots, answer.get_json()
    days = sorted({date.fromisoformat(s["day"]) for s in slots})
    assert all(chinese_calendar.is_workday(d) for d in days if d.year <= 2026)
    assert all(d.weekday() < 5 for d in days if d.year > 2026)  # no holiday data yet: Monday to Friday
    starts = {s["start"] for s in slots}
    assert {"12:00", "12:30", "13:00", "13:30"}.isdisjoint(starts) and "14:00" in starts
    assert all(s["capacity"] == 3 and s["available"] == 3 for s in slots)
    # Not at a centre that does not handle the matter.
    assert_error(client.get(f"{PUBLIC}/slots", query_string={"centre": "lishui", "matter_id": matter["id"]}),
                 404, "matter_not_at_centre")


def test_book_change_and_cancel_free_the_places(client, operator, citizen):
    matter = add_matter(operator, slot_capacity=2)
    slot = first_slot(client, "guicheng", matter["id"])
    answer = book(citizen, matter["id"], slot)
    assert answer.status_code == 201, answer.get_json()
    appointment = answer.get_json()
    assert appointment["status"] == "booked" and appointment["queue_number"] is None

    def available(day, start):
        items = client.get(f"{PUBLIC}/slots", query_string={"centre": "guicheng", "matter_id": matter["id"],
                                                            "days": 3}).get_json()["items"]
        return next(s["available"] for s in items if (s["day"], s["start"]) == (day, start))

    assert available(slot["day"], slot["start"]) == 1
    assert_error(book(citizen, matter["id"], slot), 409, "already_booked")
    other = first_slot(client, "guicheng", matter["id"], skip=1)
    moved = citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/change",
                         json={"day": other["day"], "start": other["start"]})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["start"], moved.get_json()["changes"]) == (other["start"], 1)
    assert available(slot["day"], slot["start"]) == 2 and available(other["day"], other["start"]) == 1
    citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/change", json={"day": slot["day"], "start": slot["start"]})
    assert_error(citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/change",
                              json={"day": other["day"], "start": other["start"]}), 409, "too_many_changes")
    assert_error(citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/change",
                              json={"day": "2026-13-01", "start": "09:00"}), 422)
    cancelled = citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert available(slot["day"], slot["start"]) == 2
    assert_error(citizen.post(f"{PUBLIC}/appointments/{appointment['id']}/cancel"), 409, "appointment_closed")
    listed = citizen.get(f"{PUBLIC}/appointments").get_json()
    assert [a["id"] for a in listed["items"]] == [appointment["id"]] and listed["next_cursor"] is None


def test_slots_not_offered_are_refused(client, operator, citizen):
    matter = add_matter(operator)
    slot = first_slot(client, "guicheng", matter["id"])
    assert_error(book(citizen, matter["id"], {**slot, "start": "12:30"}), 409, "slot_not_offered")  # lunch
    assert_error(book(citizen, matter["id"], {**slot, "day": "2026-10-01"}), 409, "slot_not_offered")  # 国庆, past
    assert_error(book(citizen, matter["id"], slot, centre="lishui"), 404, "matter_not_at_centre")


def test_nobody_sees_anothers_appointment(client, operator, citizen, sign_in):
    matter = add_matter(operator)
    appointment = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
    stranger, _ = citizen_at(sign_in)
    assert_error(stranger.get(f"{PUBLIC}/appointments/{appointment['id']}"), 404, "appointment_not_found")
    assert_error(stranger.post(f"{PUBLIC}/appointments/{appointment['id']}/cancel"), 404, "appointment_not_found")
    assert_error(client.get(f"{PUBLIC}/appointments"), 401)


def test_fifty_people_racing_for_the_last_place_one_gets_it(app, client, operator, sign_in, live_server):
    matter = add_matter(operator, slot_capacity=2)
    slot = first_slot(client, "guicheng", matter["id"])
    first, _ = citizen_at(sign_in)
    assert book(first, matter["id"], slot).status_code == 201
    racers = [citizen_at(sign_in)[0] for _ in range(50)]
    start = threading.Barrier(50)
    body = {"centre": "guicheng", "matter_id": matter["id"], "day": slot["day"], "start": slot["start"]}

    def race(person):
        start.wait()
        answer = requests.post(f"{live_server.url}{PUBLIC}/appointments", timeout=120, json=body,
                               headers=person.headers)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(race, racers))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 49, statuses
    assert {body["code"] for status, body in results if status == 409} == {"slot_full"}
    assert all(body["message"] for status, body in results if status == 409)
    items = client.get(f"{PUBLIC}/slots", query_string={"centre": "guicheng", "matter_id": matter["id"],
                                                        "days": 3}).get_json()["items"]
    assert next(s for s in items if (s["day"], s["start"]) == (slot["day"], slot["start"]))["available"] == 0


def test_three_no_shows_in_30_days_block_booking_for_30_days(app, client, operator, citizen):
    matters = [add_matter(operator, name=f"事项{i}") for i in range(4)]
    yesterday = (china_today() - timedelta(days=1)).isoformat()
    for matter in matters[:3]:
        appointment = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
        shift_appointment(app, appointment["id"], yesterday)
        assert citizen.get(f"{PUBLIC}/booking-standing").get_json()["blocked_until"] is None
    swept = run_in_app(app, appointment_service.sweep_no_shows)
    assert swept == {"no_shows": 3, "blocked": 1}
    assert run_in_app(app, appointment_service.sweep_no_shows) == {"no_shows": 0, "blocked": 0}
    assert {a["status"] for a in citizen.get(f"{PUBLIC}/appointments").get_json()["items"]} == {"no_show"}
    standing = citizen.get(f"{PUBLIC}/booking-standing").get_json()
    until = (china_today() + timedelta(days=30)).isoformat()
    assert standing == {"no_shows_in_window": 3, "limit": 3, "blocked_until": until}
    refused = assert_error(book(citizen, matters[3]["id"], first_slot(client, "guicheng", matters[3]["id"])),
                           403, "booking_blocked")
    assert refused["details"]["blocked_until"] == until


def test_two_no_shows_do_not_block(app, client, operator, citizen):
    matters = [add_matter(operator, name=f"事项{i}") for i in range(3)]
    for matter in matters[:2]:
        appointment = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
        shift_appointment(app, appointment["id"], (china_today() - timedelta(days=2)).isoformat())
    assert run_in_app(app, appointment_service.sweep_no_shows) == {"no_shows": 2, "blocked": 0}
    assert book(citizen, matters[2]["id"], first_slot(client, "guicheng", matters[2]["id"])).status_code == 201


def _decode_qr(png: bytes, tmp_path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


def test_check_in_by_qr_gives_a_queue_number(app, client, operator, citizen, sign_in, tmp_path):
    matter = add_matter(operator)
    mine = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
    other_person, _ = citizen_at(sign_in)
    theirs = book(other_person, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
    qr = citizen.get(f"{PUBLIC}/appointments/{mine['id']}/checkin-qr").get_json()
    png = base64.b64decode(qr["png_base64"])
    assert png.startswith(b"\x89PNG")
    if shutil.which("zbarimg"):
        assert _decode_qr(png, tmp_path) == qr["payload"]
    else:  # pragma: no cover - the CI machine has zbar-tools
        pytest.skip("zbarimg (zbar-tools) is not installed")
    scan = f"{ADMIN}/centres/guicheng/check-ins"
    assert_error(operator.post(scan, json={"payload": qr["payload"]}), 409, "wrong_day")
    today = china_today().isoformat()
    shift_appointment(app, mine["id"], today)
    shift_appointment(app, theirs["id"], today)
    assert_error(operator.post(f"{ADMIN}/centres/shishan/check-ins", json={"payload": qr["payload"]}),
                 404, "appointment_not_found")
    first = operator.post(scan, json={"payload": qr["payload"]})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["queue_number"] == "Y001"
    assert operator.post(scan, json={"payload": qr["payload"]}).get_json()["queue_number"] == "Y001"
    their_qr = other_person.get(f"{PUBLIC}/appointments/{theirs['id']}/checkin-qr").get_json()
    assert operator.post(scan, json={"payload": their_qr["payload"]}).get_json()["queue_number"] == "Y002"
    assert citizen.get(f"{PUBLIC}/appointments/{mine['id']}").get_json()["status"] == "checked_in"
    assert_error(operator.post(scan, json={"payload": "hello"}), 422)
    assert_error(citizen.post(scan, json={"payload": qr["payload"]}), 401)


def test_reminders_the_day_before_by_inbox_and_sms(app, client, operator, citizen):
    matter = add_matter(operator, name="出生登记")
    appointment = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
    shift_appointment(app, appointment["id"], (china_today() + timedelta(days=1)).isoformat())
    assert run_in_app(app, jobs.send_reminders) == 1
    assert run_in_app(app, jobs.send_reminders) == 0  # once
    inbox = citizen.get("/api/v1/messages").get_json()["items"]
    reminder = next(m for m in inbox if m["title"] == "预约办事提醒")
    assert "出生登记" in reminder["body"] and "桂城街道行政服务中心" in reminder["body"]
    sms = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": citizen.phone}, timeout=5)
    [texted] = [m for m in sms.json()["messages"] if "出生登记" in m["text"]]
    # The registered reminder template, saying what the inbox says; the day as people read it.
    assert texted["template"] == "appointment_reminder" and texted["text"] == "【南海通】" + reminder["body"]
    day = china_today() + timedelta(days=1)
    assert f"您已预约{day.year}年{day.month}月{day.day}日 " in reminder["body"]
