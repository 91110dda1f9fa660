"""Form bodies (application/x-www-form-urlencoded), parsed from raw_body."""

from urllib.parse import parse_qs

from chalice import BadRequestError

FORM = ["application/x-www-form-urlencoded"]
MAX_FORM_BYTES = 64 * 1024


def parse(request) -> dict:
    return {key: values[0] for key, values in parse_lists(request).items()}


def parse_lists(request) -> dict:
    """Every value of every field (check boxes that share a name)."""
    body = request.raw_body or b""
    if len(body) > MAX_FORM_BYTES:
        raise BadRequestError("The form is too large.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequestError("The form could not be read.") from error
    return fields
