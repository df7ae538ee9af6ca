"""The one error shape, for every way a request can go wrong."""

import marshmallow as ma
import pytest
from flask.views import MethodView

from nanhaitong.api import Blueprint
from nanhaitong.errors import Conflict
from schemas.common import StrictSchema
from tests.support.errors import ERROR_KEYS, assert_error


class EchoSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20))
    amount_fen = ma.fields.Integer(strict=True, load_default=0, validate=ma.validate.Range(min=0))


def _probe_blueprint():
    blp = Blueprint("probe", __name__, url_prefix="/api/v1/probe")

    @blp.route("/echo")
    class Echo(MethodView):
        @blp.public
        @blp.arguments(EchoSchema)
        @blp.response(200, EchoSchema)
        def post(self, body):
            return body

    @blp.route("/conflict")
    class Clash(MethodView):
        @blp.public
        @blp.response(200)
        def get(self):
            raise Conflict("That name is taken.", code="name_taken", details={"field": "name"})

    @blp.route("/boom")
    class Boom(MethodView):
        @blp.public
        @blp.response(200)
        def get(self):
            raise RuntimeError("secret internals 13812345678")

    return blp


@pytest.fixture
def probe(make_app):
    app = make_app(MAX_BODY_BYTES=2048)
    app.extensions["nht.api"].register_blueprint(_probe_blueprint())
    return app.test_client()


def test_valid_body_passes(probe):
    response = probe.post("/api/v1/probe/echo", json={"name": "张三", "amount_fen": 100})
    assert response.status_code == 200
    assert response.get_json() == {"name": "张三", "amount_fen": 100}


def test_unknown_field_is_422_naming_it(probe):
    body = assert_error(probe.post("/api/v1/probe/echo", json={"name": "a", "is_admin": True}),
                        422, "validation_failed")
    assert "is_admin" in body["details"]["fields"]


def test_field_validation_is_422_with_fields(probe):
    body = assert_error(probe.post("/api/v1/probe/echo", json={"amount_fen": -1}), 422, "validation_failed")
    assert set(body["details"]["fields"]) == {"name", "amount_fen"}


def test_wrong_type_is_422(probe):
    body = assert_error(probe.post("/api/v1/probe/echo", json={"name": "a", "amount_fen": 1.5}),
                        422, "validation_failed")
    assert "amount_fen" in body["details"]["fields"]


def test_json_array_instead_of_object_is_422(probe):
    assert_error(probe.post("/api/v1/probe/echo", json=[1, 2]), 422, "validation_failed")


def test_malformed_json_is_400(probe):
    assert_error(probe.post("/api/v1/probe/echo", data="{not json", content_type="application/json"),
                 400, "malformed_json")


def test_wrong_content_type_is_415(probe):
    assert_error(probe.post("/api/v1/probe/echo", data="name=a", content_type="application/x-www-form-urlencoded"),
                 415, "unsupported_media_type")


def test_missing_content_type_is_415(probe):
    assert_error(probe.post("/api/v1/probe/echo", data='{"name": "a"}'), 415, "unsupported_media_type")


def test_oversized_body_is_413(probe):
    assert_error(probe.post("/api/v1/probe/echo", json={"name": "a" * 5000}), 413, "payload_too_large")


def test_unknown_route_is_404(probe):
    assert_error(probe.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_with_allow(probe):
    response = probe.delete("/api/v1/probe/echo")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_domain_error_keeps_code_and_details(probe):
    body = assert_error(probe.get("/api/v1/probe/conflict"), 409, "name_taken")
    assert body["details"] == {"field": "name"}


def test_unexpected_error_is_500_without_internals(probe, caplog):
    response = probe.get("/api/v1/probe/boom")
    body = assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert "request id" in body["message"]


def test_error_shape_is_documented_for_every_operation(app):
    spec = app.extensions["nht.api"].spec.to_dict()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == ERROR_KEYS
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], f"{method.upper()} {path} has no error response"


def test_nul_bytes_are_refused_wherever_they_come(probe):
    # PostgreSQL cannot store them: refused up front, the same on every backend.
    body = assert_error(probe.post("/api/v1/probe/echo", json={"name": "a\x00b"}), 422, "validation_failed")
    assert body["details"]["fields"] == {"body.name": ["不能包含NUL字节。"]}  # Chinese unless asked otherwise
    body = assert_error(probe.get("/api/v1/probe/conflict?q=x%00y"), 422, "validation_failed")
    assert "q" in body["details"]["fields"]
    assert_error(probe.get("/api/v1/probe/%00"), 404, "not_found")


def test_an_unknown_query_parameter_is_named_in_a_422(client, sign_in):
    citizen = sign_in("13800138077")
    answer = citizen.get("/api/v1/messages?stauts=unread&limit=5")
    body = answer.get_json()
    assert answer.status_code == 422 and body["code"] == "validation_failed", body
    assert list(body["details"]["fields"]) == ["stauts"], body
