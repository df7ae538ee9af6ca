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
- staff: staff accounts from the CLI and staff sign-in, the console's phones per role;
- verification: face-liveness tokens from the sandbox;
- signing: validating signed PDFs with pyHanko and pyhanko-cli, the ``openssl`` command line;
- esign: the esign path and step-up code, envelopes signed by each party and their notices;
- ses: GB/T 38540 signatures (national suite) read from a PDF's raw bytes and checked with
  ``openssl`` (asn1parse, the SM3 document hash, the SM2 signatures);
- gov_services: settings, the catalogue, applications, sample forms, the sandbox advancing one,
  status callbacks as the provincial platform sends them;
- licences: the e-licence wallet (sync, reading it);
- messages: messages as other domains send them, the sandbox push provider, a citizen's inbox;
- payments: the demo bus card and gas account, orders made and paid, sandbox faults, ``wait_for``;
- policies: policy bodies, policies created and published, enterprises with chosen attributes;
- documents: real PDFs to sign;
- partners: registering partners, client-credentials tokens, requests signed as a partner
  would sign them, a webhook receiver checking signatures;
- one_stop: matters as an operator writes them, moving an appointment to another day;
- browser: headless Chromium (flags, binary, a refusing proxy, running it, the DOM and the
  screenshot it produced, Chinese locale, kept screenshots);
- service: the service-level layer, a rule tested without a server (``service_context``).
"""
