"""Utility payments: Lingnan Pass bus-card top-ups and gas bills over WeChat Pay and Alipay.

See docs/payments.md: the order state machine (states.py), the channel protocols
(integrations/wechatpay.py, integrations/alipay.py), fulfilment and refunds
(fulfilment.py), reconciliation (reconcile.py).
"""

from flask import Flask

# Its public face: the order book for staff (admin) and the citizens' operations (service).
__all__ = ['admin', 'service']


def init_app(app: Flask, api) -> None:
    from . import fulfilment  # noqa: F401  (registers the Celery tasks)
    from .admin_routes import admin_payments_blp
    from .routes import accounts_blp, callbacks_blp, orders_blp

    api.register_blueprint(accounts_blp)
    api.register_blueprint(orders_blp)
    api.register_blueprint(callbacks_blp)
    api.register_blueprint(admin_payments_blp)


# -- public face for privacy (issue 23) ---------------------------------------------------

def deletion_blockers(user_id: str) -> list[dict]:
    from .personal_data import blockers

    return blockers(user_id)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
