"""What a platform operator does outside the admin API, done against the local stack's moto:

    .venv/bin/python -m infra.local.bootstrap [--verify acme.localhost ...]

prints a new platform-scope admin-API token (the first token cannot come from the API itself),
and with --verify marks each host as a verified SES sender domain, so the company's mail goes
from its own domain instead of the platform's sender (chalicelib/email.py `sender`; in AWS
`portal domain add` starts the domain's verification instead).
Talks to moto on 127.0.0.1:$MOTO_PORT (default 5055): `make run` must be running.
"""

import argparse
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def use_local_moto(moto_port: int) -> None:
    """Point boto3 and PynamoDB of this process at the local stack's moto server."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "PORTAL_STAGE": "local",
        }
    )
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))


def platform_token(label: str) -> str:
    from chalicelib.services import api_tokens

    return api_tokens.create("platform", None, label)[1]


def verify_sender_domain(host: str) -> None:
    from chalicelib import aws

    aws.client("ses").verify_domain_identity(Domain=host)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--verify", action="append", default=[], metavar="HOST", help="verify HOST as an SES sender domain (repeatable)"
    )
    parser.add_argument("--label", default="local bootstrap", help="label of the token")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", 5055)))
    args = parser.parse_args()
    use_local_moto(args.moto_port)
    for host in args.verify:
        verify_sender_domain(host)
        print(f"verified SES sender domain {host}", file=sys.stderr)
    print(platform_token(args.label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
