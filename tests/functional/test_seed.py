"""The demo data: enough for every page, and idempotent."""
from chalicelib import aws as aws_clients
from chalicelib.models import ALL_MODELS
from infra.local import seed
from tests.support import Browser


def _item_counts():
    dynamodb = aws_clients.client("dynamodb")
    return {m.__name__: dynamodb.describe_table(TableName=m.Meta.table_name)["Table"]["ItemCount"]
            for m in ALL_MODELS}


def test_seeding_twice_duplicates_nothing(aws):
    seed.seed()
    first = _item_counts()
    seed.seed()
    assert _item_counts() == first
    assert first["Part"] >= 300 and first["Invoice"] >= 15 and first["Equipment"] >= 3


def test_every_demo_login_signs_in_on_its_companies(app):
    """On ABC with the password alone; on Pacific (two-factor required of administrators)
    Pat with a code from the printed key, Ada is taken to the set-up."""
    import pyotp
    from chalice.test import Client

    seed.seed()
    with Client(app, stage_name="local") as client:
        for address, _, accounts, admin_of in seed.DEMO_USERS:
            companies = {c for c, _, _ in accounts} | set(admin_of)
            for company in companies:
                host = "localhost" if company == "abc" else "pacific.localhost"
                browser = Browser(client, host=host)
                response = browser.sign_in(address, seed.DEMO_PASSWORD)
                assert response.status_code == 303, (address, company)
                if address in seed.DEMO_TOTP_KEYS:
                    assert response.headers["Location"] == "/sign-in/two-factor"
                    code = pyotp.TOTP(seed.DEMO_TOTP_KEYS[address]).now()
                    browser.get("/sign-in/two-factor")
                    assert browser.post("/sign-in/two-factor", {"code": code}).status_code == 303
                elif company == "pacific" and admin_of:
                    assert browser.get("/").headers["Location"] == "/preferences/two-factor"
                    continue
                assert browser.get("/").status_code == 200, (address, company)
        dealer = Browser(client)
        dealer.sign_in("dealer@example.com", seed.DEMO_PASSWORD)
        assert "Dealer Open Orders" in dealer.get("/").body.decode()  # ABC's OEM label


def test_the_local_platform_token_opens_the_admin_api(app):
    from chalice.test import Client

    from tests.api_support import Api

    seed.seed()
    seed.seed()  # idempotent: still one token
    with Client(app, stage_name="local") as client:
        api = Api(client, seed.LOCAL_PLATFORM_TOKEN)
        tokens = api.get("/tokens").json["tokens"]
        assert [t["token_id"] for t in tokens] == ["local-platform"]
        assert api.get("/companies/pacific").json["name"] == "Pacific Distribution"
