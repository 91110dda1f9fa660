"""Structured JSON logs (Powertools) with a correlation id per request."""
from aws_lambda_powertools import Logger

logger = Logger(service="dealer-portal")
