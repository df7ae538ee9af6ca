"""Imports every domain's models so Base.metadata is complete (Alembic autogenerate)."""

from .audit.models import AuditChainHead, AuditEvent  # noqa: F401
from .authorizations.models import AccessLogEntry, Grant, GrantEvent  # noqa: F401
from .esign.models import EsignAuthority, EsignCrl, Seal, SigningCertificate, SigningRequest  # noqa: F401
from .esign.national import EsignSm2Authority  # noqa: F401
from .gov_services.models import GovApplication, GovApplicationEvent, GovServiceItem  # noqa: F401
from .idempotency import IdempotencyRecord  # noqa: F401
from .identity.models import (  # noqa: F401
    AuthSession,
    Enterprise,
    EnterpriseMember,
    OneTimeCode,
    RefreshToken,
    SigningKey,
    StaffAccount,
    User,
)
from .licences.models import Licence, Presentation  # noqa: F401
from .messages.models import Device, Message, MessagePreference, PushDelivery  # noqa: F401
from .one_stop.models import (  # noqa: F401
    Appointment,
    Benefit,
    BenefitOffer,
    BookingBlock,
    Bundle,
    Case,
    CaseEvent,
    Disbursement,
    Evaluation,
    EvaluationTally,
    FollowUp,
    Matter,
    MatterCentre,
    QueueCounter,
    Slot,
)
from .partners.models import (  # noqa: F401
    OAuthCode,
    OAuthToken,
    Partner,
    ReplayGuard,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from .payments.models import (  # noqa: F401
    GasBillClaim,
    PaymentEvent,
    PaymentOrder,
    PaymentStatusChange,
    UtilityAccount,
)
from .policy_push.models import Policy, PolicyFanOut, PolicyVersion  # noqa: F401
from .privacy.models import Agreement, DataExport, DeletionRequest, LegalDocument, OptionalConsent  # noqa: F401
