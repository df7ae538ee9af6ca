"""Schemas shared by every domain: the error shape and the strict base schema."""

import marshmallow as ma


class StrictSchema(ma.Schema):
    """Base for request bodies: an unknown field is a 422 that names it."""

    class Meta:
        unknown = ma.RAISE


class ErrorSchema(ma.Schema):
    """The one error shape every endpoint answers with."""

    code = ma.fields.String(
        required=True,
        metadata={"description": "Stable snake_case code to branch on", "example": "validation_failed"},
    )
    message = ma.fields.String(
        required=True, metadata={"description": "Human-readable explanation"}
    )
    details = ma.fields.Dict(
        required=True,
        metadata={
            "description": "Structured context; for 422, `fields` maps each invalid "
            "field to its messages; for 429, `retry_after` in seconds"
        },
    )
    request_id = ma.fields.String(
        required=True,
        metadata={"description": "Echo of X-Request-ID; quote it when reporting a problem"},
    )


class HealthCheckSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})
    checks = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), required=True,
        metadata={"description": "Each dependency checked and its state: ok, down or disabled"},
    )
