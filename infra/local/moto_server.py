"""moto's server for the local stack, with `/moto-api/data.json` limited to what SES sent.

The dev mailbox (chalicelib/web/dev_routes.py) reads the sent e-mails from that document, which
moto builds by serialising every tracked object of every service: with the demo's thousands of
parts and their search tokens in DynamoDB it took over 10 s.  Only the mail is needed, so the
document lists SES's objects alone; everything else moto does is unchanged.
"""

import sys
from collections.abc import Mapping

from moto.core import model_instances
from moto.server import main

SHOWN = ("ses",)


class _SentMailOnly(Mapping):
    """A live view of moto's tracked objects, with only the services in SHOWN."""

    def __init__(self, everything):
        self.everything = everything

    def __getitem__(self, service):
        if service not in SHOWN:
            raise KeyError(service)
        return self.everything[service]

    def __iter__(self):
        return (service for service in list(self.everything) if service in SHOWN)

    def __len__(self):
        return sum(1 for _ in self)


if __name__ == "__main__":
    # moto_api's data.json handler reads this module attribute on every call; the classes
    # keep registering in the original dict (moto/core/base_backend.py).
    model_instances.model_data = _SentMailOnly(model_instances.model_data)  # type: ignore[assignment]
    main(sys.argv[1:])
