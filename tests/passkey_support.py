"""A software passkey authenticator for functional tests: a real P-256 key (cryptography),
real CBOR (cbor2), and the JSON a browser posts after navigator.credentials.create()/get().

It signs what it is told to, so tests can also make what a browser never would: an assertion
for another host, a stale challenge, a replay."""
import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, origin="http://localhost", user_verified=True):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle = None
        self.user_verified = user_verified

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _flags(self, extra=0) -> bytes:
        return bytes([UP | (UV if self.user_verified else 0) | extra])

    def _client_data(self, kind, challenge, origin) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options_json, rp_id=None, origin=None) -> str:
        """The browser's JSON for navigator.credentials.create(options)."""
        options = json.loads(options_json)
        self.user_handle = options["user"]["id"]
        rp_id = rp_id or options["rp"]["id"]
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + self._flags(AT)
                     + struct.pack(">I", self.sign_count) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id
                     + self._cose_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key",
                           "response": {"clientDataJSON": b64(client_data),
                                        "attestationObject": b64(attestation),
                                        "transports": ["internal"]},
                           "clientExtensionResults": {}})

    def get(self, options_json, rp_id=None, origin=None, challenge=None) -> str:
        """The browser's JSON for navigator.credentials.get(options), signed by this key."""
        options = json.loads(options_json)
        self.sign_count += 1
        rp_id = rp_id or options["rpId"]
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + self._flags()
                     + struct.pack(">I", self.sign_count))
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                    "signature": b64(signature)}
        if self.user_handle:
            response["userHandle"] = self.user_handle
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key",
                           "response": response, "clientExtensionResults": {}})
