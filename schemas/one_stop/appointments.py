"""Appointments (预约): slots, bookings, changes and check-in at the centre."""

import marshmallow as ma
from marshmallow import validate

from ..common import StrictSchema, UtcDateTime, one_of, page_of
from .fields import CENTRE_CODE, CLOCK_TIME, id_cursor, iso_day, limit_field

APPOINTMENT_STATUSES = ("booked", "cancelled", "checked_in", "no_show")


class SlotArgsSchema(ma.Schema):
    centre = ma.fields.String(required=True, validate=validate.Regexp(CENTRE_CODE))
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    from_day = ma.fields.String(data_key="from", validate=iso_day,
                                metadata={"description": "First day to show, ISO date (China)"})
    days = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=30),
                             metadata={"description": "How many working days to show"})


class SlotSchema(ma.Schema):
    day = ma.fields.String(required=True, metadata={"example": "2026-12-07"})
    start = ma.fields.String(required=True, metadata={"description": "China time", "example": "09:30"})
    end = ma.fields.String(required=True)
    capacity = ma.fields.Integer(required=True)
    available = ma.fields.Integer(required=True)


SlotListSchema = page_of(SlotSchema, "SlotListSchema", cursor=False,
                         order="Working days only; the lunch break has no slots")


class BookingSchema(StrictSchema):
    centre = ma.fields.String(required=True, validate=validate.Regexp(CENTRE_CODE))
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    day = ma.fields.String(required=True, validate=iso_day)
    start = ma.fields.String(required=True, validate=validate.Regexp(CLOCK_TIME, error="Use HH:MM, China time."))


class ChangeSchema(StrictSchema):
    day = ma.fields.String(required=True, validate=iso_day)
    start = ma.fields.String(required=True, validate=validate.Regexp(CLOCK_TIME, error="Use HH:MM, China time."))


class AppointmentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    centre = ma.fields.String(required=True, attribute="centre_code")
    matter_id = ma.fields.String(required=True)
    day = ma.fields.String(required=True)
    start = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(APPOINTMENT_STATUSES),
                              metadata={"description": "booked, cancelled, checked_in or no_show"})
    queue_number = ma.fields.String(allow_none=True, required=True, metadata={"description": "取号, after check-in"})
    changes = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    checked_in_at = UtcDateTime(allow_none=True, required=True)
    cancelled_at = UtcDateTime(allow_none=True, required=True)


class AppointmentListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=one_of(APPOINTMENT_STATUSES))
    limit = limit_field()
    cursor = id_cursor()


AppointmentListSchema = page_of(AppointmentSchema, "AppointmentListSchema", order="Newest first")


class CheckinQrSchema(ma.Schema):
    payload = ma.fields.String(required=True, metadata={"description": "What the QR code holds"})
    png_base64 = ma.fields.String(required=True, metadata={"description": "The QR code as a PNG, base64"})


class StandingSchema(ma.Schema):
    no_shows_in_window = ma.fields.Integer(required=True)
    limit = ma.fields.Integer(required=True)
    blocked_until = ma.fields.String(allow_none=True, required=True,
                                     metadata={"description": "Booking opens again on this day (China)"})


class CheckInSchema(StrictSchema):
    payload = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                               metadata={"description": "What the scanned QR code holds"})


class CheckInResultSchema(ma.Schema):
    appointment = ma.fields.Nested(AppointmentSchema, required=True)
    queue_number = ma.fields.String(required=True, metadata={"example": "Y007"})
