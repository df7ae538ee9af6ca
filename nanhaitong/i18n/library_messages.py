"""The texts our libraries put in front of people, read from the libraries themselves.

marshmallow's field and schema error messages and its validators' templates reach
``details.fields`` already filled (``"Length must be between 1 and 20."``); they are
extracted here, as templates, so the catalogue translates them (``nanhaitong.i18n``
matches a filled text back to its template). Extraction calls ``library_messages()``.
"""

from __future__ import annotations

import inspect


def _marshmallow() -> set[str]:
    import marshmallow
    from marshmallow import fields, validate

    texts: set[str] = set()
    for module in (fields, validate):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for klass in cls.__mro__:
                messages = vars(klass).get("default_error_messages")
                if isinstance(messages, dict):
                    texts.update(text for text in messages.values() if isinstance(text, str))
                for name, value in vars(klass).items():
                    if (name.startswith("message") or name in ("default_message", "error")) and isinstance(value, str):
                        texts.add(value)
    texts.update(text for text in marshmallow.Schema._default_error_messages.values() if isinstance(text, str))
    # Range fills its comparison words first ("Must be {min_op} {{min}}." becomes
    # "Must be greater than or equal to {min}."): the templates people see are those.
    for template in (validate.Range.message_min, validate.Range.message_max, validate.Range.message_all):
        texts.discard(template)
        for inclusive in (True, False):
            for max_inclusive in (True, False):
                ops = {"min_op": validate.Range.message_gte if inclusive else validate.Range.message_gt,
                       "max_op": validate.Range.message_lte if max_inclusive else validate.Range.message_lt}
                texts.add(template.format(**ops))
    for op in ("message_gte", "message_gt", "message_lte", "message_lt"):
        texts.discard(getattr(validate.Range, op))
    # Words filled into "Not a valid {obj_type}." and the like.
    texts.update(cls.OBJ_TYPE for cls in (fields.DateTime, fields.Date, fields.Time, fields.NaiveDateTime,
                                                       fields.AwareDateTime) if getattr(cls, "OBJ_TYPE", None))
    texts.update(("naive", "aware"))
    return texts


def library_messages() -> list[str]:
    return sorted(text for text in _marshmallow() if text.strip())
