"""Marshmallow schemas, one module per domain. They import marshmallow only."""
