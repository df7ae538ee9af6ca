"""Cases: opened online, from an appointment or at the counter; status history; legal
deadlines in working days across national holidays; warnings to staff."""

from __future__ import annotations

from datetime import date

import chinese_calendar

from nanhaitong.one_stop import cases as case_service
from nanhaitong.timeutil import china_today
from tests.support.audit import audit_rows
from tests.support.citizens import citizen_at
from tests.support.errors import assert_error
from tests.support.one_stop import shift_appointment

from .conftest import ADMIN, PUBLIC, add_matter, book, first_slot, run_in_app


def counter_case(operator, citizen, matter, **extra):
    answer = operator.post(f"{ADMIN}/cases", json={"matter_id": matter["id"], "centre": "guicheng",
                                                    "applicant_phone": citizen.phone, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_the_deadline_counts_working_days_across_national_day(operator, citizen):
    # Accepted on Wednesday 30 September 2026, five working days: 国庆 (1-7 October) does
    # not count, and Saturday 10 October, worked in its place (调休), does.
    matter = add_matter(operator, legal_days=5)
    case = counter_case(operator, citizen, matter, accepted_on="2026-09-30")
    assert chinese_calendar.is_holiday(date(2026, 10, 1)) and chinese_calendar.is_workday(date(2026, 10, 10))
    assert case["deadline"] == "2026-10-13"
    assert case["accepted_on"] == "2026-09-30" and case["legal_days"] == 5
    # Across 中秋 (25-27 September 2026): from Thursday 24 September, two working days.
    short = add_matter(operator, legal_days=2, promised_days=1)
    assert counter_case(operator, citizen, short, accepted_on="2026-09-24")["deadline"] == "2026-09-29"
    # Past its deadline: overdue, in the staff's warnings.
    assert case["overdue"] is True and case["working_days_left"] < 0


def test_an_online_application_is_accepted_completed_and_the_person_follows_it(app, operator, citizen):
    matter = add_matter(operator, name="居住证申领", legal_days=15, online=True)
    answer = citizen.post(f"{PUBLIC}/cases", json={"matter_id": matter["id"], "form": {"居住地址": "桂城街道南海大道1号"}})
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert (case["status"], case["deadline"], case["channel"]) == ("submitted", None, "online")
    accepted = operator.post(f"{ADMIN}/cases/{case['id']}/status", json={"status": "accepted"}).get_json()
    assert accepted["deadline"] == case_service.deadline_of(china_today(), 15).isoformat()
    assert_error(operator.post(f"{ADMIN}/cases/{case['id']}/status", json={"status": "accepted"}),
                 409, "invalid_transition")
    done = operator.post(f"{ADMIN}/cases/{case['id']}/status", json={"status": "completed", "note": "证件已制作"})
    assert done.status_code == 200, done.get_json()
    mine = citizen.get(f"{PUBLIC}/cases/{case['id']}").get_json()
    assert [e["status"] for e in mine["history"]] == ["submitted", "accepted", "completed"]
    assert mine["history"][-1]["note"] == "证件已制作" and mine["closed_at"].endswith("Z")
    assert mine["form"] == {"居住地址": "桂城街道南海大道1号"}
    titles = [m["title"] for m in citizen.get("/api/v1/messages").get_json()["items"]]
    assert "办件已受理" in titles and "办件已办结" in titles
    assert [c["id"] for c in citizen.get(f"{PUBLIC}/cases").get_json()["items"]] == [case["id"]]
    assert {e.action for e in audit_rows(app, prefix="one_stop.case")} == {"one_stop.case_opened",
                                                                          "one_stop.case_status"}


def test_a_matter_needing_a_visit_is_not_applied_for_online(operator, citizen):
    matter = add_matter(operator, online=False)
    assert_error(citizen.post(f"{PUBLIC}/cases", json={"matter_id": matter["id"]}), 409, "not_online")


def test_online_applications_need_a_real_name(operator, sign_in):
    matter = add_matter(operator)
    phone_only, _ = citizen_at(sign_in, level=1)
    assert_error(phone_only.post(f"{PUBLIC}/cases", json={"matter_id": matter["id"]}), 403,
                 "assurance_level_required")


def test_a_case_from_a_checked_in_appointment(app, client, operator, citizen):
    matter = add_matter(operator, legal_days=10)
    appointment = book(citizen, matter["id"], first_slot(client, "guicheng", matter["id"])).get_json()
    assert_error(operator.post(f"{ADMIN}/appointments/{appointment['id']}/case", json={}), 409,
                 "appointment_not_checked_in")
    shift_appointment(app, appointment["id"], china_today().isoformat())
    qr = citizen.get(f"{PUBLIC}/appointments/{appointment['id']}/checkin-qr").get_json()
    operator.post(f"{ADMIN}/centres/guicheng/check-ins", json={"payload": qr["payload"]})
    answer = operator.post(f"{ADMIN}/appointments/{appointment['id']}/case", json={"form": {"备注": "窗口受理"}})
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert (case["channel"], case["status"], case["centre"]) == ("appointment", "accepted", "guicheng")
    assert case["deadline"] == case_service.deadline_of(china_today(), 10).isoformat()
    assert_error(operator.post(f"{ADMIN}/appointments/{appointment['id']}/case", json={}), 409, "case_exists")
    assert citizen.get(f"{PUBLIC}/cases/{case['id']}").status_code == 200


def test_counter_cases_need_a_known_applicant_and_a_sane_date(operator, citizen):
    matter = add_matter(operator)
    base = {"matter_id": matter["id"], "centre": "guicheng"}
    assert_error(operator.post(f"{ADMIN}/cases", json={**base, "applicant_phone": "13799999999"}), 404,
                 "citizen_not_found")
    assert_error(operator.post(f"{ADMIN}/cases", json=base), 422)
    assert_error(operator.post(f"{ADMIN}/cases", json={**base, "applicant_phone": citizen.phone,
                                                       "accepted_on": "2099-01-01"}), 422)
    assert_error(operator.post(f"{ADMIN}/cases", json={**base, "centre": "lishui", "applicant_phone": citizen.phone}),
                 404, "matter_not_at_centre")


def test_staff_are_warned_before_the_deadline_once(app, operator, citizen, sign_in):
    near = add_matter(operator, legal_days=1, promised_days=1)
    far = add_matter(operator, legal_days=60)
    soon = counter_case(operator, citizen, near)
    counter_case(operator, citizen, far)
    late = counter_case(operator, citizen, add_matter(operator, legal_days=20), accepted_on="2026-09-30")
    assert run_in_app(app, case_service.warn_deadlines) == 2
    assert run_in_app(app, case_service.warn_deadlines) == 0
    warned = operator.get(f"{ADMIN}/case-warnings").get_json()["items"]
    assert [c["id"] for c in warned] == [late["id"], soon["id"]]  # earliest deadline first
    assert all(c["warned_at"] for c in warned) and warned[0]["overdue"] and not warned[1]["overdue"]
    assert len(audit_rows(app, action="one_stop.deadline_warning")) == 2
    stranger, _ = citizen_at(sign_in, level=2)
    assert_error(stranger.get(f"{PUBLIC}/cases/{soon['id']}"), 404, "case_not_found")
    assert_error(stranger.get(f"{ADMIN}/case-warnings"), 401)


def test_an_online_application_retried_with_its_idempotency_key_is_one_case(operator, citizen):
    matter = add_matter(operator)
    headers = {**citizen.headers, "Idempotency-Key": "apply-once-0001"}
    first = citizen.client.post(f"{PUBLIC}/cases", json={"matter_id": matter["id"]}, headers=headers)
    again = citizen.client.post(f"{PUBLIC}/cases", json={"matter_id": matter["id"]}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(citizen.get(f"{PUBLIC}/cases").get_json()["items"]) == 1
