"""Trust primitives for citizens' personal data.

- :mod:`nanhaitong.security.fields` -- field encryption at rest (AES-256-GCM),
  keyed blind indexes for lookups, and the ``EncryptedText`` column type.
- :mod:`nanhaitong.security.masking` -- masking for responses and a logging
  filter that redacts phone and ID numbers as a last line of defence.

Both modules are pure: no Flask imports, configuration comes in as arguments.
"""
