"""The admin API's contract, free of HTTP: record kinds and limits (`kinds`), the request and
response shapes (`schemas`, pydantic only: the `portal` CLI imports it without the app) and the
error a service raises for an answer other than success (`errors`). Routes (chalicelib.api,
chalicelib.web), services and the CLI share it; it imports nothing else of chalicelib."""
