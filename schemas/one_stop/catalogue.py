"""Service centres, matters (事项) and departments."""

import marshmallow as ma
from marshmallow import validate

from ..common import JsonList, StrictSchema, UtcDateTime, one_of, page_of
from .fields import AUDIENCES, CENTRE_CODE, MATTER_CODE, limit_field, offset_cursor

MATTER_STATUSES = ("active", "retired")


class CentreSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "guicheng"})
    name = ma.fields.String(required=True, metadata={"example": "桂城街道行政服务中心"})
    town = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    morning = ma.fields.String(required=True, metadata={"description": "Opening hours, China time", "example": "09:00-12:00"})
    afternoon = ma.fields.String(required=True, metadata={"example": "14:00-17:30"})
    slot_minutes = ma.fields.Integer(required=True)


CentreListSchema = page_of(CentreSchema, "CentreListSchema", cursor=False)


class MatterMaterialSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"example": "居民身份证"})
    copies = ma.fields.Integer(load_default=1, validate=validate.Range(min=0, max=20),
                               metadata={"description": "0: shown, not kept"})
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class MatterWriteSchema(StrictSchema):
    """A matter's whole content (PUT sends it whole; the code never changes)."""

    code = ma.fields.String(required=True, validate=validate.Regexp(MATTER_CODE),
                            metadata={"description": "Matter code (事项编码)", "example": "NH-GA-0001"})
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=120))
    department = ma.fields.String(required=True, validate=validate.Length(min=2, max=60),
                                  metadata={"example": "佛山市南海区市场监督管理局"})
    audience = ma.fields.String(load_default="citizen", validate=validate.OneOf(AUDIENCES))
    centres = ma.fields.List(ma.fields.String(validate=validate.Regexp(CENTRE_CODE)), required=True,
                             validate=validate.Length(min=1, max=50),
                             metadata={"description": "Codes of the centres that handle it", "example": ["guicheng"]})
    materials = ma.fields.List(ma.fields.Nested(MatterMaterialSchema), load_default=list, validate=validate.Length(max=50))
    legal_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=365),
                                   metadata={"description": "Legal time limit (法定时限), working days"})
    promised_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=365),
                                      metadata={"description": "Promised time limit (承诺时限), working days"})
    fee_fen = ma.fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=10**10))
    fee_note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    online = ma.fields.Boolean(load_default=False, metadata={"description": "Can be applied for online"})
    by_post = ma.fields.Boolean(load_default=False, metadata={"description": "Results can be posted"})
    visits = ma.fields.Integer(strict=True, load_default=1, validate=validate.Range(min=0, max=5),
                               metadata={"description": "Visits needed in person (跑动次数)"})
    slot_capacity = ma.fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1, max=100),
                                      metadata={"description": "People per appointment slot"})


class MatterStatusSchema(StrictSchema):
    status = ma.fields.String(required=True, validate=one_of(MATTER_STATUSES))


class MatterMaterialOutSchema(ma.Schema):
    name = ma.fields.String(required=True)
    copies = ma.fields.Integer(required=True)
    note = ma.fields.String(allow_none=True, required=True)


class MatterSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department = ma.fields.String(required=True)
    audience = ma.fields.String(required=True, validate=one_of(AUDIENCES))
    centres = ma.fields.List(ma.fields.String(), required=True)
    materials = JsonList(ma.fields.Nested(MatterMaterialOutSchema), required=True)
    legal_days = ma.fields.Integer(required=True)
    promised_days = ma.fields.Integer(required=True)
    fee_fen = ma.fields.Integer(required=True)
    fee_note = ma.fields.String(allow_none=True, required=True)
    online = ma.fields.Boolean(required=True)
    by_post = ma.fields.Boolean(required=True)
    visits = ma.fields.Integer(required=True)
    slot_capacity = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(MATTER_STATUSES))
    updated_at = UtcDateTime(required=True)


class MatterListArgsSchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Chinese full-text search (by character pairs: 营业执照)"})
    department = ma.fields.String(validate=validate.Length(min=1, max=60))
    centre = ma.fields.String(validate=validate.Regexp(CENTRE_CODE))
    audience = ma.fields.String(validate=validate.OneOf(("citizen", "enterprise")))
    online = ma.fields.Boolean()
    limit = limit_field()
    cursor = offset_cursor()


class AdminMatterListArgsSchema(MatterListArgsSchema):
    status = ma.fields.String(validate=one_of(MATTER_STATUSES))


MatterListSchema = page_of(MatterSchema, "MatterListSchema", order="Most relevant first when searching, else by code")


class DepartmentSchema(ma.Schema):
    department = ma.fields.String(required=True)
    matters = ma.fields.Integer(required=True)


DepartmentListSchema = page_of(DepartmentSchema, "DepartmentListSchema", cursor=False)
