"""Deploy a packaged stage with the AWS CLI: `make deploy STAGE=dev OPERATOR_EMAIL=ops@example.com`.

    python -m infra.deploy --stage dev --package build/dev --operator-email ops@example.com

1. checks the parameters against the template's own (a missing operator e-mail, a
   malformed one, or a stage other than the one packaged stop here, before AWS);
2. `aws cloudformation package`: uploads deployment.zip to the artifacts bucket
   (created once per account and region) and points CodeUri at it;
3. `aws cloudformation deploy` of stack `dealer-portal-<stage>` (the template is
   over CloudFormation's 51,200-byte inline limit, so it goes through the bucket too);
4. prints the stack's outputs (API URL, CloudFront URL, topics).

`--dry-run` prints the commands instead of running them.
"""

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from infra.resources import APP

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployError(ValueError):
    pass


def stack_name(stage: str) -> str:
    return f"{APP}-{stage}"


def check_parameters(template: dict, values: dict) -> dict:
    """The values CloudFormation will get, or DeployError naming what is wrong."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise DeployError(f"the template has no parameter {', '.join(unknown)}")
    checked = {}
    for name, spec in declared.items():
        value = values.get(name)
        if value in (None, ""):
            if "Default" in spec:
                continue
            raise DeployError(f"parameter {name} is required: {spec.get('Description', '')}".strip())
        value = str(value)
        allowed = [str(v) for v in spec.get("AllowedValues", [])]
        if allowed and value not in allowed:
            raise DeployError(f"{name}={value!r}: {spec.get('ConstraintDescription') or allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, value):
            raise DeployError(f"{name}={value!r}: {spec.get('ConstraintDescription') or pattern}")
        if spec.get("Type") == "Number" and (
            not re.fullmatch(r"-?\d+", value) or int(value) < spec.get("MinValue", -(2**63))
        ):
            raise DeployError(
                f"{name}={value!r}: a whole number" + (f" of at least {spec['MinValue']}" if "MinValue" in spec else "")
            )
        checked[name] = value
    return checked


def commands(stage: str, package_dir: Path, parameters: dict, bucket: str, region: str | None = None) -> list:
    template = package_dir / "sam.json"
    packaged = package_dir / "packaged.json"
    region_args = ["--region", region] if region else []
    return [
        [
            "aws",
            "cloudformation",
            "package",
            "--template-file",
            str(template),
            "--s3-bucket",
            bucket,
            "--s3-prefix",
            stack_name(stage),
            "--output-template-file",
            str(packaged),
            "--use-json",
            *region_args,
        ],
        [
            "aws",
            "cloudformation",
            "deploy",
            "--template-file",
            str(packaged),
            "--stack-name",
            stack_name(stage),
            "--s3-bucket",
            bucket,
            "--s3-prefix",
            stack_name(stage),
            "--capabilities",
            *CAPABILITIES,
            "--no-fail-on-empty-changeset",
            "--parameter-overrides",
            *[f"{k}={v}" for k, v in sorted(parameters.items())],
            *region_args,
        ],
        [
            "aws",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            stack_name(stage),
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "table",
            *region_args,
        ],
    ]


def _aws_json(args: list) -> dict:
    return json.loads(
        subprocess.run(["aws", *args, "--output", "json"], check=True, capture_output=True, text=True).stdout
    )


def artifacts_bucket(region: str | None = None) -> str:
    """dealer-portal-artifacts-<account>-<region>, created when missing (private, encrypted)."""
    region_args = ["--region", region] if region else []
    account = _aws_json(["sts", "get-caller-identity", *region_args])["Account"]
    region = (
        region
        or subprocess.run(["aws", "configure", "get", "region"], capture_output=True, text=True).stdout.strip()
        or "us-east-1"
    )
    bucket = f"{APP}-artifacts-{account}-{region}"
    exists = (
        subprocess.run(
            ["aws", "s3api", "head-bucket", "--bucket", bucket, "--region", region], capture_output=True
        ).returncode
        == 0
    )
    if not exists:
        subprocess.run(["aws", "s3", "mb", f"s3://{bucket}", "--region", region], check=True)
        subprocess.run(
            [
                "aws",
                "s3api",
                "put-public-access-block",
                "--bucket",
                bucket,
                "--region",
                region,
                "--public-access-block-configuration",
                "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            ],
            check=True,
        )
    return bucket


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--package", required=True, help="output of `make package`, e.g. build/dev")
    parser.add_argument("--operator-email", default="", help="receives the alarms")
    parser.add_argument("--mail-sender", default="", help="the platform's verified SES sender")
    parser.add_argument("--log-retention-days", default="")
    parser.add_argument("--web-reserved-concurrency", default="")
    parser.add_argument("--artifacts-bucket", default="", help="default: created per account/region")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    package_dir = Path(args.package)
    try:
        template_path = package_dir / "sam.json"
        if not template_path.is_file() or not (package_dir / "deployment.zip").is_file():
            raise DeployError(f"{package_dir} has no sam.json and deployment.zip: make package STAGE={args.stage}")
        template = json.loads(template_path.read_text(encoding="utf-8"))
        parameters = check_parameters(
            template,
            {
                "Stage": args.stage,
                "OperatorEmail": args.operator_email,
                "MailSender": args.mail_sender,
                "LogRetentionDays": args.log_retention_days,
                "WebReservedConcurrency": args.web_reserved_concurrency,
            },
        )
    except DeployError as error:
        print(f"deploy refused: {error}", file=sys.stderr)
        return 2
    bucket = args.artifacts_bucket or ("<artifacts bucket>" if args.dry_run else artifacts_bucket(args.region))
    for command in commands(args.stage, package_dir, parameters, bucket, args.region):
        print("+ " + shlex.join(command), flush=True)
        if not args.dry_run:
            subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
