"""Branded e-mail through SES.  Every link is built from the company's own
configured domain, never from the request's Host header (DESIGN §5)."""
from botocore.exceptions import BotoCoreError, ClientError

from . import aws, config
from .models import Company
from .services import theme
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


def context_for(company: Company, **context) -> dict:
    """What every e-mail template gets: the company, its portal URL and its brand
    (logo from the theme bucket / CloudFront URL and colours, as in the portal)."""
    brand = theme.brand(company)
    return dict(context, company=company, portal_url=company_url(company, "/"),
                brand=brand, logo_url=brand["logo_url"])


def send(company: Company, to: str, template: str, *, ses=None, **context) -> str:
    """Render `emails/<template>.txt` and `.html` and send them; returns the message id."""
    context = context_for(company, **context)
    subject = render(f"emails/{template}.subject.txt", **context).strip()
    text = render(f"emails/{template}.txt", **context)
    html = render(f"emails/{template}.html", **context)
    return deliver(company, to, subject, text, html, ses=ses)


def deliver(company: Company, to: str, subject: str, text: str, html: str, *, ses=None) -> str:
    """Send one rendered e-mail through SES from the company's sender; the message id."""
    ses = ses or aws.client("ses")
    # The stage's configuration set sends bounces and complaints to its SNS topic.
    configuration_set = config.ses_configuration_set()
    try:
        answer = ses.send_email(
            Source=sender(company),
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"},
                         "Html": {"Data": html, "Charset": "UTF-8"}},
            },
            **({"ConfigurationSetName": configuration_set} if configuration_set else {}),
        )
    except (BotoCoreError, ClientError) as error:
        raise EmailError(str(error)) from error
    return answer["MessageId"]

