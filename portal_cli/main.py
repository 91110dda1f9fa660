"""The `portal` command: a click group; each sub-command is one admin-API call or a
streamed import/export.

Exit codes: 0 done; 1 the API refused or could not be reached (message on stderr);
2 wrong usage; 3 the input file has bad rows (nothing sent); 4 records were rejected
(by the API, or skipped with `--skip-invalid`).
"""

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import click

from portal_cli import output
from portal_cli.config import ConfigError, resolve
from portal_cli.http import ApiClient, ApiError

API = "/api/v1"


@dataclass
class Injected:
    """What tests (and embedders) hand to `cli.main(obj=...)`: a requests-compatible
    session (e.g. one with a transport adapter to `chalice.test.Client`), the environment,
    and the retry pause."""

    session: Any = None  # a requests.Session or a stand-in with its `request`
    environ: dict | None = None
    backoff: float = 0.5
    sleep: Callable[[float], None] | None = None


@dataclass
class Runtime:
    options: dict
    injected: Injected
    as_json: bool = False
    _client: ApiClient | None = field(default=None, repr=False)

    @property
    def settings(self):
        try:
            return resolve(self.options, environ=self.injected.environ, config_path=self.options.get("config"))
        except ConfigError as error:
            raise click.ClickException(str(error)) from None

    def client(self) -> ApiClient:
        if self._client is None:
            settings = self.settings
            for warning in settings.warnings:
                output.stderr().print(f"[yellow]warning:[/] {warning}")
            if not settings.token:
                raise click.ClickException(
                    'no API token: pass --token, set PORTAL_TOKEN, or put token = "..." in '
                    f"{settings.config_path or '~/.config/portal/config.toml'}"
                )
            self._client = ApiClient(
                settings.url,
                settings.token,
                session=self.injected.session,
                backoff=self.injected.backoff,
                sleep=self.injected.sleep or time.sleep,
            )
        return self._client

    def company(self, given: str | None) -> str:
        company = given or self.settings.company
        if not company:
            raise click.UsageError(
                'which company? pass --company, set PORTAL_COMPANY, or put company = "..." in the config file'
            )
        return company

    def show(self, data, title: str = "", columns: list[str] | None = None) -> None:
        if self.as_json:
            output.print_json(data)
        elif columns is not None:
            output.stdout().print(output.rows(title, columns, data))
        elif isinstance(data, dict):
            output.stdout().print(output.key_values(title, data))
        else:
            output.print_json(data)


class PortalGroup(click.Group):
    """Turns API errors into one clear line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ApiError as error:
            output.stderr().print(f"[red]error:[/] {error}", highlight=False, markup=True)
            sys.exit(1)


def q(value: str) -> str:
    return quote(value, safe="")


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", help="Portal base URL (env PORTAL_URL; default http://localhost:8000).")
@click.option("--token", help="Admin-API bearer token (env PORTAL_TOKEN).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (env PORTAL_CONFIG; default ~/.config/portal/config.toml).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of tables.")
@click.version_option("1", prog_name="portal")
@click.pass_context
def cli(ctx, url, token, config_path, as_json):
    """Dealer Portal admin API from the command line: companies, domains, admins, tokens,
    gateway credentials, ERP imports and feed exports.

    Settings: option > environment (PORTAL_URL, PORTAL_TOKEN, PORTAL_COMPANY) > config file.
    """
    injected = ctx.obj if isinstance(ctx.obj, Injected) else Injected()
    ctx.obj = Runtime({"url": url, "token": token, "config": config_path}, injected, as_json=as_json)


pass_runtime = click.make_pass_decorator(Runtime)


# ------------------------------------------------------------------ companies
def parse_assignment(text: str) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r} is not KEY=VALUE")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def parse_page(text: str) -> tuple[str, bool]:
    key, sep, raw = text.partition("=")
    flag = {
        "on": True,
        "true": True,
        "yes": True,
        "1": True,
        "off": False,
        "false": False,
        "no": False,
        "0": False,
    }.get(raw.strip().lower())
    if not sep or flag is None or not key.strip():
        raise click.BadParameter(f"{text!r}: use PAGE=on or PAGE=off")
    return key.strip(), flag


def company_settings_options(func):
    """Options shared by `company create` and `company set` (only given ones are sent)."""
    options = [
        click.option("--name", help="Company name shown in pages and e-mails."),
        click.option("--domain", "primary_domain", help="Primary host; e-mailed links are built from it."),
        click.option("--time-zone", help="IANA zone, e.g. America/Chicago."),
        click.option("--currency", help="ISO currency code, e.g. USD."),
        click.option("--oem-label", help='Label of the dealer pages, e.g. "Dealer".'),
        click.option("--email-sender", help="Verified SES sender address."),
        click.option("--support-email"),
        click.option("--support-phone"),
        click.option(
            "--web-access-owner", type=click.Choice(["portal", "erp"]), help="Who owns portal-side customer settings."
        ),
        click.option(
            "--auto-credentials/--no-auto-credentials",
            default=None,
            help="Generate user name/first password when a new invoice arrives.",
        ),
        click.option(
            "--credentials-delivery",
            type=click.Choice(["password", "link"]),
            help="New logins get a generated first password, or a set-password link.",
        ),
        click.option("--generated-password-days", type=click.IntRange(1, 365)),
        click.option(
            "--credentials-email-format",
            "email_format_file",
            type=click.File("r", encoding="utf-8"),
            help="File (or -) with the credentials e-mail template.",
        ),
        click.option(
            "--page", "pages", multiple=True, metavar="PAGE=on|off", help="Menu page toggle; repeat for several."
        ),
        click.option(
            "--set",
            "extra",
            multiple=True,
            metavar="FIELD=VALUE",
            help="Any other company field; VALUE is JSON if it parses as JSON.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_body(values: dict) -> dict:
    body = {}
    email_format = values.pop("email_format_file", None)
    pages = values.pop("pages", ())
    extra = values.pop("extra", ())
    for key, value in values.items():
        if value is not None:
            body[key] = value
    if email_format is not None:
        body["credentials_email_format"] = email_format.read()
    if pages:
        body["pages"] = dict(parse_page(page) for page in pages)
    for assignment in extra:
        key, value = parse_assignment(assignment)
        body[key] = value
    return body


@cli.group()
def company():
    """Create, show and change companies (platform token)."""


@company.command("create")
@click.argument("company_id")
@company_settings_options
@pass_runtime
def company_create(runtime, company_id, **values):
    """Create company COMPANY_ID (needs --name and --domain)."""
    body = settings_body(values)
    missing = [flag for flag, key in (("--name", "name"), ("--domain", "primary_domain")) if key not in body]
    if missing:
        raise click.UsageError(f"company create needs {' and '.join(missing)}")
    answer = runtime.client().post(f"{API}/companies", dict(company_id=company_id, **body))
    runtime.show(answer, f"company {company_id} created")


@company.command("show")
@click.argument("company_id")
@pass_runtime
def company_show(runtime, company_id):
    """Show a company's settings."""
    runtime.show(runtime.client().get(f"{API}/companies/{q(company_id)}"), f"company {company_id}")


@company.command("set")
@click.argument("company_id")
@company_settings_options
@pass_runtime
def company_set(runtime, company_id, **values):
    """Change some settings of a company (only the options given)."""
    body = settings_body(values)
    if not body:
        raise click.UsageError("nothing to change: give at least one setting option")
    runtime.show(runtime.client().patch(f"{API}/companies/{q(company_id)}", body), f"company {company_id} updated")


# ------------------------------------------------------------------ domains
@cli.group()
def domain():
    """Host names a company answers on (platform token)."""


@domain.command("add")
@click.argument("company_id")
@click.argument("host")
@click.option("--primary", is_flag=True, help="Make it the primary domain (e-mailed links).")
@pass_runtime
def domain_add(runtime, company_id, host, primary):
    """Add HOST to COMPANY_ID, set it up in AWS (SES DKIM identity, ACM certificate, API
    Gateway custom domain) and print the DNS records to create.  Run it again for the
    same host after the certificate is issued: it finishes what is left."""
    answer = runtime.client().post(f"{API}/companies/{q(company_id)}/domains", {"host": host, "primary": primary})
    if runtime.as_json:
        output.print_json(answer)
        return
    print_dns_records(answer)


def print_dns_records(answer: dict) -> None:
    """Zone-file lines (fully qualified names), one per record, to copy into DNS."""
    echo = click.echo
    echo(f"domain {answer['host']} added to {answer['company_id']}" + (" (primary)" if answer.get("primary") else ""))
    if answer.get("certificate_arn"):
        echo(f"certificate {answer['certificate_arn']} ({answer.get('certificate_status')})")
    echo("\nCreate these DNS records:")
    for record in answer.get("dns_records", []):
        echo(f"; {record['purpose']}")
        echo(f"{record['name']}. {record['type']} {record['value']}.")
    for note in answer.get("notes", []):
        echo(f"\nnote: {note}")


@domain.command("remove")
@click.argument("company_id")
@click.argument("host")
@pass_runtime
def domain_remove(runtime, company_id, host):
    """Remove HOST from COMPANY_ID."""
    answer = runtime.client().delete(f"{API}/companies/{q(company_id)}/domains/{q(host)}")
    if runtime.as_json:
        output.print_json(answer)
    else:
        output.stdout().print(f"domain {host} removed from {company_id}")


# ------------------------------------------------------------------ admins
@cli.group()
def admin():
    """Dealer administrators (platform token)."""


@admin.command("create")
@click.argument("email")
@click.option("--name", help="The administrator's name.")
@click.option(
    "--company",
    "company_ids",
    multiple=True,
    required=True,
    help="Company the administrator manages; repeat for several.",
)
@pass_runtime
def admin_create(runtime, email, name, company_ids):
    """Create administrator EMAIL; the portal e-mails a set-password link."""
    body = {"email": email, "company_ids": list(company_ids)}
    if name:
        body["name"] = name
    runtime.show(runtime.client().post(f"{API}/admins", body), f"administrator {email}")


# ------------------------------------------------------------------ tokens
@cli.group()
def token():
    """Admin-API tokens (platform token)."""


@token.command("create")
@click.option("--scope", type=click.Choice(["platform", "company"]), required=True)
@click.option("--company", "company_id", help="The company of a company-scoped token.")
@click.option("--label", help="What the token is for, e.g. 'ERP nightly export'.")
@pass_runtime
def token_create(runtime, scope, company_id, label):
    """Create a token.  It is shown once: store it now."""
    if scope == "company" and not company_id:
        raise click.UsageError("--scope company needs --company")
    if scope == "platform" and company_id:
        raise click.UsageError("a platform token has no --company")
    body = {"scope": scope}
    if company_id:
        body["company_id"] = company_id
    if label:
        body["label"] = label
    answer = runtime.client().post(f"{API}/tokens", body)
    if runtime.as_json:
        output.print_json(answer)
        return
    console = output.stdout()
    console.print(output.key_values("token created", {k: v for k, v in answer.items() if k != "token"}))
    console.print("token (shown once, store it now):", style="bold")
    # Alone on its line so scripts can take it with `tail -1`.
    sys.stdout.write(answer["token"] + "\n")


TOKEN_COLUMNS = ["token_id", "scope", "company_id", "label", "created_at", "last_used_at", "revoked"]


@token.command("list")
@pass_runtime
def token_list(runtime):
    """List tokens (never their secret)."""
    answer = runtime.client().get(f"{API}/tokens")
    items = answer.get("tokens", answer.get("items", [])) if isinstance(answer, dict) else answer
    if runtime.as_json:
        output.print_json(answer)
    else:
        runtime.show(items, "tokens", columns=TOKEN_COLUMNS)


@token.command("revoke")
@click.argument("token_id")
@pass_runtime
def token_revoke(runtime, token_id):
    """Revoke a token: it stops working at once."""
    answer = runtime.client().delete(f"{API}/tokens/{q(token_id)}")
    if runtime.as_json:
        output.print_json(answer)
    else:
        output.stdout().print(f"token {token_id} revoked")


# ------------------------------------------------------------------ gateway
@cli.group()
def gateway():
    """emergepay credentials of a company (platform token; write-only)."""


@gateway.command("set")
@click.argument("method", type=click.Choice(["card", "ach"]))
@click.argument("company_id")
@click.option("--oid", required=True, help="emergepay merchant oid.")
@click.option("--environment", type=click.Choice(["sandbox", "production"]), required=True)
@click.option("--auth-token-stdin", is_flag=True, help="Read the auth token from the first line of standard input.")
@pass_runtime
def gateway_set(runtime, method, company_id, oid, environment, auth_token_stdin):
    """Store the emergepay credentials of COMPANY_ID for METHOD (card or ach).

    The auth token is asked for with a hidden prompt, or read from stdin with
    --auth-token-stdin: never from the command line, where it would end up in the shell
    history and the process list.
    """
    if auth_token_stdin:
        secret = sys.stdin.readline().strip()
    else:
        secret = click.prompt(f"emergepay auth token for {company_id} ({method})", hide_input=True, err=True).strip()
    if not secret:
        raise click.UsageError("the auth token is empty")
    answer = runtime.client().put(
        f"{API}/companies/{q(company_id)}/gateway/{method}",
        {"oid": oid, "auth_token": secret, "environment": environment},
    )
    if runtime.as_json:
        output.print_json(answer)
    else:
        output.stdout().print(f"{method} credentials stored for {company_id} ({environment})")


def main():  # console-script entry point
    cli(prog_name="portal")


# Import and export commands live in their own modules; registering them here keeps
# `portal --help` complete.
from portal_cli import exports, imports  # noqa: E402

cli.add_command(imports.import_group)
cli.add_command(exports.export)
