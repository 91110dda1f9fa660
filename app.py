"""Dealer Portal: wires blueprints, middleware and scheduled handlers only."""

from chalice import Chalice, Rate

from chalicelib import dynamo_metrics  # noqa: F401  (counts DynamoDB calls per request)
from chalicelib.faults import guard_routes
from chalicelib.web import (  # one blueprint per line: easy to add and to merge
    admin_parts_routes,
    admin_payment_routes,
    admin_routes,
    admin_theme_routes,
    api_routes,
    auth_routes,
    customer_routes,
    dealer_routes,
    dev_routes,
    fallback_routes,
    handoff_routes,
    home_routes,
    invite_routes,
    parts_routes,
    payment_routes,
    security_routes,
    service_request_routes,
    statement_routes,
    static_routes,
    two_factor_routes,
)
from chalicelib.web.middleware import portal_pipeline

app = Chalice(app_name="dealer-portal")
app.register_middleware(portal_pipeline, "http")
app.api.binary_types.append("application/pdf")  # admin API: raw invoice PDF uploads

app.register_blueprint(static_routes.bp)
app.register_blueprint(auth_routes.bp)
app.register_blueprint(security_routes.bp)
app.register_blueprint(home_routes.bp)
app.register_blueprint(customer_routes.bp)
app.register_blueprint(dealer_routes.bp)
app.register_blueprint(statement_routes.bp)
app.register_blueprint(handoff_routes.bp)
app.register_blueprint(admin_routes.bp)
app.register_blueprint(admin_theme_routes.bp)
app.register_blueprint(invite_routes.bp)
app.register_blueprint(payment_routes.bp)
app.register_blueprint(parts_routes.bp)
app.register_blueprint(admin_payment_routes.bp)
app.register_blueprint(service_request_routes.bp)
app.register_blueprint(admin_parts_routes.bp)
app.register_blueprint(dev_routes.bp)
app.register_blueprint(two_factor_routes.bp)
app.register_blueprint(api_routes.bp)
app.register_blueprint(fallback_routes.bp)  # last: only paths nothing else answers
guard_routes(app)  # throttling and S3 faults answer 503 "try again" (chalicelib/faults.py)


@app.on_sns_message(topic="portal-ses-notifications")
def ses_notifications(event):
    """SES bounces and complaints mark contact e-mails (chalicelib/services/bounces.py)."""
    from chalicelib import clock
    from chalicelib.services import bounces

    bounces.handle(event.message, clock.now())


class MailNotSent(Exception):
    """Raised so that Lambda leaves the message on the queue for another try."""


# The deployed template points this at the stage's queue (infra/resources.py,
# mail_queue_resources); one message per invocation, so a failure retries only it.
@app.on_sqs_message(queue="portal-mail", batch_size=1)
def send_queued_mail(event):
    """Every outgoing e-mail (chalicelib/email.py) is sent here through SES; a failed one
    stays on the queue, is tried again, and after 5 receives lands in the dead-letter queue."""
    from chalicelib import aws, clock
    from chalicelib.services import mail_delivery

    result = mail_delivery.deliver_batch([record.to_dict() for record in event], ses=aws.client("ses"), now=clock.now())
    if result["batchItemFailures"]:
        raise MailNotSent(f"{len(result['batchItemFailures'])} e-mail(s) not sent; see the log")
    return result


@app.schedule(Rate(5, unit=Rate.MINUTES))
def reconcile_payments(event):
    """Resolve payments left pending with the gateway; retry receipt e-mails (docs/payments.md)."""
    from chalicelib.services.payments import default_service

    return default_service().reconcile_all()


@app.schedule(Rate(15, unit=Rate.MINUTES))
def repair_ar_totals(event):
    """Recount the open-AR totals of the accounts of ERP batches cut off midway."""
    from chalicelib.repositories import ar_totals

    return {"accounts": ar_totals.repair()}
