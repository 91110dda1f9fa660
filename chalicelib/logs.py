"""Structured JSON logs (Powertools) with a correlation id per request.

Secret tokens travel in some paths (/reset-password/<t>, /invite/<t>, /confirm-email/<t>,
/handoff/<code>); every line is redacted as a whole once formatted, so no field (path,
message, exception text) can carry one to the logs (docs/security.md, "Logs").
"""

import re

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

TOKEN_PATH = re.compile(r"(/(?:reset-password|invite|confirm-email|handoff)/)[^/?#\s\"'\\]+")
# The hand-off's state hash and code also travel as query parameters between hosts.
TOKEN_QUERY = re.compile(r"([?&](?:state|code)=)[^&#\s\"'\\]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return TOKEN_QUERY.sub(rf"\1{REDACTED}", TOKEN_PATH.sub(rf"\1{REDACTED}", text))


class RedactingFormatter(LambdaPowertoolsFormatter):
    def format(self, record) -> str:
        return redact(super().format(record))


logger = Logger(service="dealer-portal", logger_formatter=RedactingFormatter())
