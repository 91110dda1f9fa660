"""Two-factor time steps and recovery codes (chalicelib/services/two_factor.py), without AWS."""
import time

import pyotp

from chalicelib.services import two_factor

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret=SECRET, at=None):
    return pyotp.TOTP(secret).at(time.time() if at is None else at)


def test_a_code_is_accepted_for_its_step_and_one_step_either_side_only():
    now = 1_790_000_015.0  # inside step 59_666_667
    step = two_factor.step_at(now)
    assert step == int(now // 30)
    for offset in (-1, 0, 1):
        assert two_factor.matching_step(SECRET, code(at=(step + offset) * 30), now) == step + offset
    for offset in (-3, -2, 2):  # expired, or not yet valid
        assert two_factor.matching_step(SECRET, code(at=(step + offset) * 30), now) is None
    assert two_factor.matching_step(SECRET, "12345", now) is None  # not 6 digits
    assert two_factor.matching_step(SECRET, "abcdef", now) is None


def test_codes_are_those_of_the_rfc_6238_test_vectors():
    """RFC 6238 Appendix B (SHA-1, secret "12345678901234567890"): our 6 digits are the last
    6 of its 8, at the 30-second step of each time; checked against the RFC, not pyotp."""
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the ASCII secret
    vectors = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
               1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130"}
    for at, eight_digits in vectors.items():
        assert two_factor.code_for_step(rfc_secret, two_factor.step_at(at)) == eight_digits[-6:]
        assert two_factor.matching_step(rfc_secret, eight_digits[-6:], at) == at // 30


def test_a_used_step_and_every_earlier_one_are_refused():
    assert two_factor.fresh_step(100, None)
    assert two_factor.fresh_step(101, 100)
    assert not two_factor.fresh_step(100, 100)  # the same step again: replay
    assert not two_factor.fresh_step(99, 100)  # an older code after a newer one
    assert not two_factor.fresh_step(None, 1)


def test_recovery_codes_are_matched_whatever_their_dashes_and_case():
    assert two_factor.recovery_hash("u1", "ABCD-efgh-2345") == two_factor.recovery_hash(
        "u1", "abcdefgh2345")
    assert two_factor.recovery_hash("u1", "abcdefgh2345") != two_factor.recovery_hash(
        "u2", "abcdefgh2345")  # salted by the login
    codes = two_factor.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes)) and all(len(c) == 12 for c in codes)
