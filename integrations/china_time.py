"""China Standard Time, and "today" as people in Nanhai and the provincial systems count it.

One meaning of "today" for the code, the sandbox and the tests: China's date (UTC+8, no
daylight saving), never the machine's local or UTC date, which differ from 16:00 to 24:00
UTC. Flask-free, so the integrations and the sandbox use it as well as the app.
"""

from datetime import date, datetime, timedelta, timezone

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def china_now() -> datetime:
    return datetime.now(CHINA_STANDARD_TIME)


def china_today() -> date:
    return china_now().date()
