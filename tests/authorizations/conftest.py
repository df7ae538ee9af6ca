from tests.identity.conftest import sign_in  # noqa: F401  (fixture shared with identity tests)
