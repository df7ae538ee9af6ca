"""Bundled life events (一件事一次办): the bundle, its combined form and its application."""

import re

import marshmallow as ma
from marshmallow import validate

from ..common import JsonList, StrictSchema, one_of, page_of
from .fields import AUDIENCES, CENTRE_CODE, MATTER_CODE

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BundleFieldSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Regexp(FIELD_NAME), metadata={"example": "baby_name"})
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "新生儿姓名"})
    required = ma.fields.Boolean(load_default=True)
    matters = ma.fields.List(ma.fields.String(validate=validate.Regexp(MATTER_CODE)), required=True,
                             validate=validate.Length(min=1, max=20),
                             metadata={"description": "Codes of the matters whose application this answer feeds"})


class BundleWriteSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(MATTER_CODE), metadata={"example": "NH-YJS-001"})
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100),
                            metadata={"example": "新生儿出生一件事"})
    description = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))
    audience = ma.fields.String(load_default="citizen", validate=validate.OneOf(AUDIENCES))
    matter_codes = ma.fields.List(ma.fields.String(validate=validate.Regexp(MATTER_CODE)), required=True,
                                  validate=validate.Length(min=2, max=20))
    fields = ma.fields.List(ma.fields.Nested(BundleFieldSchema), required=True, validate=validate.Length(min=1, max=80))


class BundleFieldOutSchema(ma.Schema):
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    matters = ma.fields.List(ma.fields.String(), required=True)


class BundleMatterSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department = ma.fields.String(required=True)


class BundleSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    audience = ma.fields.String(required=True, validate=one_of(AUDIENCES))
    matters = ma.fields.List(ma.fields.Nested(BundleMatterSchema), required=True)
    fields = JsonList(ma.fields.Nested(BundleFieldOutSchema), required=True,
                      metadata={"description": "The one combined form"})


BundleListSchema = page_of(BundleSchema, "BundleListSchema", cursor=False)


class BundleApplicationSchema(StrictSchema):
    answers = ma.fields.Dict(keys=ma.fields.String(validate=validate.Regexp(FIELD_NAME)),
                             values=ma.fields.String(validate=validate.Length(max=500)), required=True,
                             validate=validate.Length(max=80))
    centre = ma.fields.String(validate=validate.Regexp(CENTRE_CODE))
