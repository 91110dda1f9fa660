"""Every outgoing e-mail goes through the mail queue: requests queue it, the consumer
(app.send_queued_mail) sends it through SES, retries it, and parks it in the
dead-letter queue when SES keeps refusing (chalicelib/email.py,
chalicelib/services/mail_delivery.py, infra/local/mail_queue.py)."""
import json
import time
from email import message_from_string, policy
from email.utils import parseaddr

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws, config
from chalicelib import email as mail
from chalicelib.models import User
from chalicelib.services import mail_delivery
from infra.local import mail_queue
from infra.resources import MAIL_QUEUE_MAX_RECEIVES
from tests.support import sent_mail


class FlakySes:
    """moto's SES, except that `send_email` fails (as SES does when throttled or down)
    for the first `failures` calls to each address in `failing`, or for every address
    when `failing` is None."""

    def __init__(self, failures=1, failing=None):
        self.real = aws.client("ses")
        self.failures = failures
        self.failing = failing
        self.calls = []

    def get_identity_verification_attributes(self, **kwargs):
        return self.real.get_identity_verification_attributes(**kwargs)

    def send_email(self, **kwargs):
        to = kwargs["Destination"]["ToAddresses"][0]
        self.calls.append(to)
        failed_before = self.calls.count(to) - 1
        if (self.failing is None or to in self.failing) and failed_before < self.failures:
            raise ClientError({"Error": {"Code": "Throttling",
                                         "Message": "Maximum sending rate exceeded."}},
                              "SendEmail")
        return self.real.send_email(**kwargs)


def consumer(ses):
    """The consumer as app.send_queued_mail runs it, with this SES client."""
    return lambda event, _context: mail_delivery.deliver_batch(event["Records"], ses=ses,
                                                              now=time.time())


def moto_sent():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses import ses_backends
    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def waiting(dead_letters=False) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=mail_queue.queue_url(dead_letters),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def queue_welcome(company, to="rita@example.com"):
    return mail.send(company, to, "password_changed", user=User("u1", email=to, name="Rita"))


def test_a_request_only_queues_the_email(abc):
    queue_welcome(abc)
    assert moto_sent() == [] and waiting() == 1  # SES is not called in the request
    [message] = sent_mail()  # the consumer sends it
    assert message.destinations["ToAddresses"] == ["rita@example.com"]
    assert "password was changed" in message.subject
    assert waiting() == 0


def test_an_ses_fault_loses_nothing_and_the_retry_sends_once(abc):
    queue_welcome(abc)
    ses = FlakySes(failures=1)
    first = mail_queue.run_once(consumer(ses))
    assert first.received == 1 and first.sent == 0
    assert moto_sent() == [] and waiting() == 1  # still on the queue
    second = mail_queue.drain(consumer(ses))
    assert second.sent == 1 and ses.calls == ["rita@example.com"] * 2
    assert len(moto_sent()) == 1 and waiting() == 0
    assert mail_queue.drain(consumer(ses)).received == 0  # nothing sent twice


def test_the_lambda_handler_fails_the_invocation_so_sqs_delivers_again(abc):
    from app import send_queued_mail
    queue_welcome(abc)
    sqs = aws.client("sqs")
    [message] = sqs.receive_message(QueueUrl=mail_queue.queue_url(), AttributeNames=["All"],
                                    VisibilityTimeout=0)["Messages"]
    event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"],
                          "receiptHandle": message["ReceiptHandle"], "attributes": {}}]}
    broken = json.loads(message["Body"])
    broken["kind"] = "carrier-pigeon"  # a message the consumer cannot read
    with pytest.raises(Exception, match="not sent"):
        send_queued_mail({"Records": [dict(event["Records"][0], body=json.dumps(broken))]},
                         None)
    assert send_queued_mail(event, None) == {"batchItemFailures": []}
    assert len(moto_sent()) == 1


def test_an_email_ses_keeps_refusing_ends_in_the_dead_letter_queue(abc):
    queue_welcome(abc, "kept@example.com")
    ses = FlakySes(failures=10 ** 6)
    result = mail_queue.drain(consumer(ses))
    assert result.sent == 0 and len(ses.calls) == MAIL_QUEUE_MAX_RECEIVES
    assert waiting() == 0 and moto_sent() == []
    [parked] = mail_queue.dead_letters()
    body = json.loads(parked["Body"])
    assert body["to"] == "kept@example.com" and "password was changed" in body["subject"]
    assert waiting(dead_letters=True) == 1  # kept for an operator to redrive


def test_in_a_batch_only_the_failed_message_is_retried_and_each_is_sent_once(abc):
    for to in ("a@example.com", "b@example.com", "c@example.com"):
        queue_welcome(abc, to)
    ses = FlakySes(failures=1, failing={"b@example.com"})
    first = mail_queue.run_once(consumer(ses), batch_size=10)
    assert first.received == 3 and first.sent == 2 and len(first.failed) == 1
    mail_queue.drain(consumer(ses), batch_size=10)
    sent_to = sorted(m.destinations["ToAddresses"][0] for m in moto_sent())
    assert sent_to == ["a@example.com", "b@example.com", "c@example.com"]


def test_a_mail_queue_outage_is_an_email_error(abc):
    sqs = aws.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=config.mail_queue_name())["QueueUrl"])
    with pytest.raises(mail.EmailError, match="mail queue is unavailable"):
        queue_welcome(abc)


# ----------------------------------------------------------------- sender
def from_header(message):
    """The From header as a mail client reads it: (display name, address)."""
    parsed = message_from_string(f"From: {message.source}\n\n", policy=policy.default)
    [address] = parsed["From"].addresses
    return address.display_name, address.addr_spec


def test_mail_goes_from_the_company_domain_once_verified_with_the_company_name(abc):
    queue_welcome(abc)  # create_all verified "localhost" (abc's primary domain)
    source = sent_mail()[-1].source
    assert source == "ABC Appliance Service <no-reply@localhost>"  # no specials: no quotes
    assert parseaddr(source) == ("ABC Appliance Service", "no-reply@localhost")


def test_until_the_company_domain_is_verified_mail_goes_from_the_platform_sender(abc):
    abc.email_sender = "billing@abc-appliance.example"  # not verified in SES
    abc.name = "Ünal's Appliances, Inc."
    queue_welcome(abc)
    message = sent_mail()[-1]
    assert "=?utf-8?" in message.source  # RFC 2047: the name is encoded, not raw
    assert from_header(message) == ("Ünal's Appliances, Inc.", "no-reply@portal.localhost")
    aws.client("ses").verify_domain_identity(Domain="abc-appliance.example")
    queue_welcome(abc)
    assert from_header(sent_mail()[-1]) == ("Ünal's Appliances, Inc.",
                                            "billing@abc-appliance.example")


def test_the_dev_mailbox_shows_what_waits_in_the_dead_letter_queue(abc):
    from chalicelib.web import dev_routes
    queue_welcome(abc, "kept@example.com")
    mail_queue.drain(consumer(FlakySes(failures=10 ** 6)))
    [parked] = dev_routes.dead_letters()
    assert parked["to"] == "kept@example.com" and "password was changed" in parked["subject"]
    assert len(mail_queue.dead_letters()) == 1  # reading it took nothing away


# ------------------------------------------------------------------ template
def test_the_template_has_the_stages_mail_queues_and_feeds_the_consumer_from_them():
    from chalice.app import SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    from app import app
    from infra import functions
    from infra.resources import cloudformation
    resources = cloudformation("portal-prod-")["Resources"]
    queue = resources["MailQueue"]["Properties"]
    assert queue["QueueName"] == "portal-prod-mail"
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]},
        "maxReceiveCount": MAIL_QUEUE_MAX_RECEIVES}
    assert resources["MailDeadLetterQueue"]["Properties"]["QueueName"] == "portal-prod-mail-dlq"
    assert resources["MailDeadLettersAlarm"]["Properties"]["Dimensions"][0]["Value"] == \
        {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}
    # Chalice names the function and its event source after the handler (chalice/package.py)
    # and points it at the queue name of app.py; infra/functions.py swaps in the stage's queue.
    [source] = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    function = to_cfn_resource_name(source.name)
    event = to_cfn_resource_name(f"{source.name}-sqs-event-source")
    packaged = {"Resources": {function: {"Type": "AWS::Serverless::Function", "Properties": {
        "Events": {event: {"Type": "SQS", "Properties": {"Queue": {
            "Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{source.queue}"},
            "BatchSize": 1}}}}}}}
    functions.complete(packaged, "prod", {"PORTAL_TABLE_PREFIX": "portal-prod-",
                                          "PORTAL_SECRET_PREFIX": "portal-prod/"})
    assert packaged["Resources"][function]["Properties"]["Events"][event]["Properties"]["Queue"] \
        == {"Fn::GetAtt": ["MailQueue", "Arn"]}


def test_the_queue_name_follows_the_stage_table_prefix(monkeypatch):
    monkeypatch.setenv("PORTAL_TABLE_PREFIX", "portal-dev-")
    assert config.mail_queue_name() == "portal-dev-mail"
    monkeypatch.setenv("PORTAL_MAIL_QUEUE", "custom-mail")
    assert config.mail_queue_name() == "custom-mail"
