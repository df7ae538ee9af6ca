"""One-stop services for the public and signed-in people: the matters catalogue and the
centres (/api/v1/one-stop), appointments, cases, evaluations, bundles and benefit offers."""

from flask.views import MethodView

from schemas.one_stop import (
    CentreListSchema,
    DepartmentListSchema,
    MatterListArgsSchema,
    MatterListSchema,
    MatterSchema,
)

from ..api import Blueprint
from . import catalogue
from .views import centre_view, matter_view, matter_views

blp = Blueprint("one_stop", __name__, url_prefix="/api/v1/one-stop",
                description="The district's matters (事项) and service centres, searchable in Chinese.")


@blp.route("/centres")
class Centres(MethodView):
    @blp.public
    @blp.response(200, CentreListSchema)
    def get(self):
        """The service centres of Nanhai's seven towns and streets, with their opening hours."""
        return {"items": [centre_view(c) for c in catalogue.list_centres()]}


@blp.route("/matters")
class Matters(MethodView):
    @blp.public
    @blp.arguments(MatterListArgsSchema, location="query")
    @blp.response(200, MatterListSchema)
    def get(self, args):
        """Active matters by code; `q` searches name, department and materials in Chinese (营业执照)."""
        items, next_cursor = catalogue.search_matters(
            q=args.get("q"), department=args.get("department"), centre=args.get("centre"),
            audience=args.get("audience"), online=args.get("online"), limit=args["limit"], cursor=args.get("cursor"))
        return {"items": matter_views(items), "next_cursor": next_cursor}


@blp.route("/matters/<ulid:matter_id>")
class MatterItem(MethodView):
    @blp.public
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, matter_id):
        """One active matter: materials, time limits, fees, channels and centres."""
        matter = catalogue.get_matter(matter_id, active_only=True)
        return matter_view(matter, catalogue.centre_codes_of(matter.id))


@blp.route("/departments")
class Departments(MethodView):
    @blp.public
    @blp.response(200, DepartmentListSchema)
    def get(self):
        """The departments with active matters, and how many each has."""
        return {"items": catalogue.departments()}
