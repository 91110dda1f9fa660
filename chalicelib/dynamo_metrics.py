"""Counts DynamoDB calls (and time spent in them) per request.

PynamoDB sends blinker signals around every call; the request log line and the
benchmarks read these figures, and the test suite uses them to refuse Scans.
"""

import threading
import time

from pynamodb.signals import post_dynamodb_send, pre_dynamodb_send

_state = threading.local()


class CallLog:
    def __init__(self):
        self.operations = []  # (operation, table)
        self.seconds = 0.0
        self._started = {}

    @property
    def count(self):
        return len(self.operations)


def start() -> CallLog:
    _state.log = CallLog()
    return _state.log


def current() -> CallLog:
    log = getattr(_state, "log", None)
    return log if log is not None else start()


def _before(_sender, operation_name=None, table_name=None, req_uuid=None, **_):
    log = current()
    log.operations.append((operation_name, table_name))
    log._started[req_uuid] = time.perf_counter()


def _after(_sender, operation_name=None, table_name=None, req_uuid=None, **_):
    log = current()
    started = log._started.pop(req_uuid, None)
    if started is not None:
        log.seconds += time.perf_counter() - started


# Global observers for the whole process (connected once; weak=False keeps them).
pre_dynamodb_send.connect(_before, weak=False)
post_dynamodb_send.connect(_after, weak=False)
