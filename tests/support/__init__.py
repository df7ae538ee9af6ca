"""The tests' own kit: every helper more than one test module uses lives here, in a module
named by what it helps with. Test modules import from here (``from tests.support.errors
import assert_error``), never from another ``test_*.py`` module nor another folder's
conftest; tests/architecture/test_test_kit.py holds them to it.

- errors: the one error shape (``assert_error``, ``assert_error_http``);
- settings: app settings many tests share, ids nothing has;
- citizens: signing citizens in (``Citizen``, ``sign_in_with``, ``read_code``), the demo
  people (``CHEN`` ...), levels, accounts and sessions made straight in the database;
- enterprises: the demo enterprises (``GUICHENG`` ...), registering, members, acting for one;
- grants: authorizations (grants) and acting under them, asking ``authorize`` directly;
- audit: reading the audit trail;
- staff: staff accounts from the CLI and staff sign-in;
- verification: face-liveness tokens from the sandbox;
- signing: validating signed PDFs with pyHanko;
- gov_services: loading the catalogue, status callbacks as the provincial platform sends them;
- licences: the e-licence wallet (sync, reading it);
- messages: messages as other domains send them, the sandbox push provider;
- payments: the demo bus card and gas account;
- policies: policy bodies, a policy made through the service;
- documents: real PDFs to sign;
- partners: requests signed as a partner would sign them;
- browser: the headless Chromium flags and where the binary is;
- service: the service-level layer, a rule tested without a server (``service_context``).
"""
