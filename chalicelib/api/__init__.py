"""ERP admin API (/api/v1).  `schemas` is importable on its own (no app, no boto3)."""
