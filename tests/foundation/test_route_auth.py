"""Every route declares how it is reached, so none is left open by accident."""

from nanhaitong.api import AUTH_ATTR

# Not API operations: flask-smorest's spec/docs pages, their assets, Flask's static files.
NOT_API_ENDPOINTS = {"static", "docs_assets.asset"}
NOT_API_PREFIXES = ("api-docs.",)


def _views(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_API_ENDPOINTS or rule.endpoint.startswith(NOT_API_PREFIXES):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            yield rule, rule.endpoint, view
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield rule, f"{rule.endpoint}:{method}", getattr(view_class, method.lower())


def test_every_route_declares_its_authentication(app):
    undeclared = [f"{name} {rule.rule}" for rule, name, view in _views(app) if not hasattr(view, AUTH_ATTR)]
    assert not undeclared, f"routes without @blp.public or @blp.login_required: {undeclared}"


def test_there_are_routes_to_check(app):
    assert len(list(_views(app))) >= 2


def test_login_required_refuses_without_an_authenticator_and_documents_it(make_app):
    # No domain registers a partner authenticator yet: the scheme must refuse everyone.
    from flask.views import MethodView

    from nanhaitong.api import Blueprint

    blp = Blueprint("guarded", __name__, url_prefix="/api/v1/guarded")

    @blp.route("")
    class Guarded(MethodView):
        @blp.login_required("partner", level=2)
        @blp.response(200)
        def get(self):
            from flask import g
            return {"who": g.principal}

    app = make_app()
    app.extensions["nht.api"].register_blueprint(blp)
    client = app.test_client()
    refused = client.get("/api/v1/guarded")
    assert refused.status_code == 401 and refused.get_json()["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    app.extensions["nht.authenticators"]["partner"] = lambda level: f"partner at level {level}"
    assert client.get("/api/v1/guarded").get_json() == {"who": "partner at level 2"}

    operation = app.extensions["nht.api"].spec.to_dict()["paths"]["/api/v1/guarded"]["get"]
    assert operation["security"] == [{"partner": []}]
    assert {"401", "403"} <= set(map(str, operation["responses"]))
