"""A test client that delivers requests as API Gateway does (REST API, Lambda proxy).

`chalice.test.Client` sends the routed path only.  Deployed, the event also has the
public path (`requestContext.path`) and the stage: on the execute-api URL
(`https://<id>.execute-api.<region>.amazonaws.com/<stage>/...`) the public path starts
with the stage and API Gateway routes what follows it; on a custom domain (base path
mapping "(none)") the public path is the routed path.  A path outside the stage never
reaches Lambda: API Gateway answers 403 itself, as here.
"""
import uuid

from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher
from chalice.test import HTTPResponse

EXECUTE_API_HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


class ApiGatewayClient:
    """`client.http.get/post/request(method, public_path, headers, body)`, like
    chalice.test.Client's, for `tests.support.Browser` and direct calls."""

    def __init__(self, app, host=EXECUTE_API_HOST, stage="api", execute_api=True):
        self.app = app
        self.host = host
        self.stage = stage
        self.execute_api = execute_api
        self.http = self
        self._events = LambdaEventConverter(RouteMatcher(list(app.routes)),
                                            app.api.binary_types)

    def request(self, method, path, headers=None, body=b""):
        public, _, query = path.partition("?")
        routed = public
        if self.execute_api:
            stage_root = f"/{self.stage}"
            if public != stage_root and not public.startswith(stage_root + "/"):
                return HTTPResponse(body=MISSING_TOKEN, headers={}, status_code=403)
            routed = public[len(stage_root):] or "/"
        headers = dict(headers or {})
        headers.setdefault("Host", self.host)
        try:
            event = self._events.create_lambda_event(
                method.upper(), routed + (f"?{query}" if query else ""), headers, body or None)
        except ValueError:  # no such route: API Gateway answers, Lambda never runs
            return HTTPResponse(body=MISSING_TOKEN, headers={}, status_code=403)
        event["path"] = routed
        event["resource"] = event["requestContext"]["resourcePath"]
        event["requestContext"].update(path=public, stage=self.stage, domainName=self.host,
                                       requestId=str(uuid.uuid4()))
        context = LambdaContext("api_handler", 1024)
        return HTTPResponse.create_from_dict(self.app(event, context))

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)
