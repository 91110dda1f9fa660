"""What Lambda's SQS event source does in AWS, for the local stack and the tests:
receive messages from the mail queue, hand them to the consumer as an SQS event, delete
the ones it sent, and leave the failed ones on the queue (visible again after
`retry_after` seconds; after the queue's maxReceiveCount receives SQS moves them to the
dead-letter queue, as it does in AWS).

    handler(event, context) -> None | {"batchItemFailures": [{"itemIdentifier": id}]}

raises for the whole batch, or reports the records that failed (app.send_queued_mail).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib import aws, config


@dataclass
class Round:
    received: int = 0
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # message ids left on the queue


def _record(message: dict, queue_arn: str) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": config.region(),
    }


def queue_url(dead_letters: bool = False) -> str:
    name = config.mail_queue_name() + ("-dlq" if dead_letters else "")
    return aws.queue_url(name)


def run_once(
    handler: Callable, *, batch_size: int = 1, retry_after: int = 0, dead_letters: bool = False, wait_seconds: int = 0
) -> Round:
    """One poll (a long poll with `wait_seconds`): at most `batch_size` messages, one
    invocation of `handler`."""
    sqs = aws.client("sqs")
    url = queue_url(dead_letters)
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=batch_size, AttributeNames=["All"], WaitTimeSeconds=wait_seconds
    ).get("Messages", [])
    if not messages:
        return Round()
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    records = [_record(m, arn) for m in messages]
    try:
        answer = handler({"Records": records}, None) or {}
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
    except Exception:  # noqa: BLE001 (Lambda: the whole batch failed; the log has it)
        failed = {r["messageId"] for r in records}
    for message in messages:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=retry_after
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return Round(
        len(messages), len(messages) - len(failed), [m["MessageId"] for m in messages if m["MessageId"] in failed]
    )


def drain(handler: Callable, *, max_rounds: int = 1000, **options) -> Round:
    """Poll until the queue answers empty: every message is sent or, after its retries,
    in the dead-letter queue."""
    total = Round()
    for _ in range(max_rounds):
        done = run_once(handler, **options)
        if not done.received:
            break
        total.received += done.received
        total.sent += done.sent
        total.failed += done.failed
    return total


def dead_letters(limit: int = 10) -> list[dict]:
    """Messages waiting in the dead-letter queue (read without taking them)."""
    sqs = aws.client("sqs")
    answer = sqs.receive_message(
        QueueUrl=queue_url(dead_letters=True),
        MaxNumberOfMessages=min(limit, 10),
        VisibilityTimeout=0,
        AttributeNames=["All"],
    )
    return answer.get("Messages", [])


def start_consumer(handler: Callable, wait_seconds: int = 1, retry_after: int = 10):
    """The local stack's consumer: a daemon thread long-polling the mail queue, so an
    e-mail reaches the dev mailbox moments after the request that queued it."""
    import threading

    from chalicelib.logs import logger

    def loop():
        while True:
            try:
                run_once(handler, retry_after=retry_after, wait_seconds=wait_seconds)
            except Exception:  # keep polling; the error is in the log
                logger.exception("local mail consumer failed")
                time.sleep(1)

    thread = threading.Thread(target=loop, daemon=True, name="mail-consumer")
    thread.start()
    return thread
