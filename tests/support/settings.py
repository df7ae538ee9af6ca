"""Settings and values many tests share."""

from __future__ import annotations

# Settings for apps in these tests: many sign-ins of the same phones, many requests.
APP_SETTINGS = {"SMS_RESEND_SECONDS": 0, "SMS_DAILY_PER_PHONE": 1000, "SMS_DAILY_PER_IP": 100_000,
                "RATELIMIT_DEFAULT": "100000 per minute"}

NO_SUCH_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # a well-formed ULID nothing has
