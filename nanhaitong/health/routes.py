"""Health probes: live says the process answers; ready says its dependencies do."""

from flask.views import MethodView

from schemas.common import HealthCheckSchema

from ..api import Blueprint
from ..ratelimit import exempt
from . import service

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness probes.")


@blp.route("/live")
@exempt
class Live(MethodView):
    @blp.public
    @blp.response(200, HealthCheckSchema)
    def get(self):
        """The process is up and serving requests."""
        return {"status": "ok", "checks": {}}


@blp.route("/ready")
@exempt
class Ready(MethodView):
    @blp.public
    @blp.response(200, HealthCheckSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="A dependency is down; `details.checks` says which.")
    def get(self):
        """The database and, when configured, Redis answer."""
        return {"status": "ok", "checks": service.check_dependencies()}
