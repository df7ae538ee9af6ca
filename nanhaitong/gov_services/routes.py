"""Provincial services: the catalogue (/api/v1/gov-services), queries and applications,
the upstream status callbacks, the applications list (/api/v1/applications) and the
operators' catalogue administration (/api/v1/admin/gov-services)."""

from flask import g, request
from flask.views import MethodView

from schemas.common import Page
from schemas.gov_services import (
    AdminCatalogueArgsSchema,
    ApplicationListArgsSchema,
    ApplicationListSchema,
    ApplicationRequestSchema,
    ApplicationSchema,
    CallbackAnswerSchema,
    CatalogueArgsSchema,
    QueryRequestSchema,
    QueryResultSchema,
    ServiceItemCreateSchema,
    ServiceItemListSchema,
    ServiceItemSchema,
    ServiceItemUpdateSchema,
)

from ..api import Blueprint
from ..ratelimit import exempt
from . import service

blp = Blueprint("gov_services", __name__, url_prefix="/api/v1/gov-services",
                description="Provincial high-frequency services (粤省事, 粤商通): the catalogue, queries, applications.")
applications_blp = Blueprint("applications", __name__, url_prefix="/api/v1/applications",
                             description="Your applications to provincial services and their status history.")
admin_blp = Blueprint("admin_gov_services", __name__, url_prefix="/api/v1/admin/gov-services",
                      description="The provincial services catalogue, for operators.")

OPERATOR = ("operator",)


@blp.route("")
class Catalogue(MethodView):
    @blp.public
    @blp.arguments(CatalogueArgsSchema, location="query")
    @blp.response(200, ServiceItemListSchema)
    def get(self, args):
        """The catalogue: filter by audience, provider, category, kind; `q` searches name and description."""
        items, next_cursor = service.list_items(
            audience=args.get("audience"), provider=args.get("provider"), category=args.get("category"),
            kind=args.get("kind"), q=args.get("q"), limit=args["limit"], cursor=args.get("cursor"))
        return Page(items, next_cursor)


@blp.route("/callbacks/status")
@exempt  # the provincial gateways call from a few addresses; authenticated by signature
class Callbacks(MethodView):
    @blp.public
    @blp.response(200, CallbackAnswerSchema)
    @blp.alt_response(401, response="UNAUTHORIZED",
                      description="`invalid_callback_signature`: bad or missing signature, stale timestamp, "
                                  "replayed nonce. Nothing changes.")
    def post(self):
        """Status callback from a provincial gateway, signed (X-Gov-App-Key, -Timestamp, -Nonce, -Signature)."""
        return service.receive_callback(request.method, request.path, request.query_string.decode("latin-1"),
                                        dict(request.headers), request.get_data(cache=True))


@blp.route("/<code>")
class CatalogueItem(MethodView):
    @blp.public
    @blp.response(200, ServiceItemSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, code):
        """The service's guide: who may apply, materials, fees, time limits, and its form as a schema."""
        return service.get_item(code)


@blp.route("/<code>/queries")
class Queries(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(QueryRequestSchema)
    @blp.response(200, QueryResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`not_a_query_service`: the service is applied for.")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="The upstream is down (or its breaker open).")
    @blp.alt_response(504, response="GATEWAY_TIMEOUT", description="The upstream did not answer in time.")
    def post(self, body, code):
        """Query the service for yourself, for whom you act under a grant, or for your enterprise (act-as)."""
        return service.query(g.principal, code, body["params"])


@blp.route("/<code>/applications")
class Applications(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(ApplicationRequestSchema)
    @blp.response(201, ApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`not_an_application_service`: the service is queried.")
    def post(self, body, code):
        """Apply. The answer's status is `submitted` with the upstream's reference, or `queued` when the
        upstream could not be reached: it is then delivered later, exactly once."""
        return service.with_history([service.apply(g.principal, code, body["form"], body["licence_ids"])])[0]


@applications_blp.route("")
class ApplicationList(MethodView):
    @applications_blp.login_required("citizen")
    @applications_blp.arguments(ApplicationListArgsSchema, location="query")
    @applications_blp.response(200, ApplicationListSchema)
    def get(self, args):
        """Your applications (or your enterprise's, acting for it), newest first."""
        items, next_cursor = service.list_applications(
            g.principal, status=args.get("status"), service_code=args.get("service_code"), limit=args["limit"],
            cursor=args.get("cursor"))
        return Page(service.with_history(items), next_cursor)


@applications_blp.route("/<ulid:application_id>")
class ApplicationItem(MethodView):
    @applications_blp.login_required("citizen")
    @applications_blp.response(200, ApplicationSchema)
    @applications_blp.alt_response(404, response="NOT_FOUND")
    def get(self, application_id):
        """One application with its status history."""
        return service.with_history([service.get_application(g.principal, application_id)])[0]


@admin_blp.route("")
class AdminCatalogue(MethodView):
    @admin_blp.login_required("staff", roles=OPERATOR)
    @admin_blp.arguments(AdminCatalogueArgsSchema, location="query")
    @admin_blp.response(200, ServiceItemListSchema)
    def get(self, args):
        """Every item, retired ones included."""
        items, next_cursor = service.list_items(
            audience=args.get("audience"), provider=args.get("provider"), category=args.get("category"),
            kind=args.get("kind"), q=args.get("q"), include_retired=args["include_retired"], limit=args["limit"],
            cursor=args.get("cursor"))
        return Page(items, next_cursor)

    @admin_blp.login_required("staff", roles=OPERATOR)
    @admin_blp.arguments(ServiceItemCreateSchema)
    @admin_blp.response(201, ServiceItemSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Add a service to the catalogue."""
        return service.create_item(body)


@admin_blp.route("/<code>")
class AdminCatalogueItem(MethodView):
    @admin_blp.login_required("staff", roles=OPERATOR)
    @admin_blp.arguments(ServiceItemUpdateSchema)
    @admin_blp.response(200, ServiceItemSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, body, code):
        """Change a service's guide or form; `status: retired` takes it out of the catalogue."""
        return service.update_item(code, body)
