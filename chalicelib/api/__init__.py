"""ERP admin API (/api/v1): its route table and OpenAPI document (the records and errors it
speaks are chalicelib/contract)."""
