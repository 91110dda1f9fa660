"""Branded e-mail through SES.  Every link is built from the company's own
configured domain, never from the request's Host header (DESIGN §5)."""
from botocore.exceptions import BotoCoreError, ClientError

from . import aws, config
from .models import Company
from .templating import render


class EmailError(Exception):
    """SES refused or could not be reached; the caller tells the user."""


def company_url(company: Company, path: str) -> str:
    port = config.public_port()
    host = company.primary_domain + (f":{port}" if port else "")
    return f"{config.url_scheme()}://{host}{path}"


def sender(company: Company) -> str:
    address = company.email_sender or f"no-reply@{company.primary_domain}"
    return f"{company.name} <{address}>"


def send(company: Company, to: str, template: str, *, ses=None, **context) -> str:
    """Render `emails/<template>.txt` and `.html` and send them; returns the message id."""
    logo_key = company.theme.logo_key if company.theme else None
    context = dict(context, company=company, portal_url=company_url(company, "/"),
                   logo_url=f"{config.theme_assets_url()}/{logo_key}" if logo_key else None)
    subject = render(f"emails/{template}.subject.txt", **context).strip()
    text = render(f"emails/{template}.txt", **context)
    html = render(f"emails/{template}.html", **context)
    ses = ses or aws.client("ses")
    try:
        answer = ses.send_email(
            Source=sender(company),
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"},
                         "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        )
    except (BotoCoreError, ClientError) as error:
        raise EmailError(str(error)) from error
    return answer["MessageId"]

