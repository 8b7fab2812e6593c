"""The seed's KafkaSaslJaasConfig strings: read, redacted, rendered."""

from __future__ import annotations

import pytest

from components.model import jaas

SEED_SCRAM = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
              'username="evidentsource" password="your-secret-password";')
SEED_PLAIN = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
              'username="evidentsource" password="your-secret-password";')


@pytest.mark.parametrize("text, module", [(SEED_SCRAM, jaas.SCRAM_MODULE), (SEED_PLAIN, jaas.PLAIN_MODULE)])
def test_the_seeds_strings_parse(text, module):
    parsed = jaas.parse(text)
    assert (parsed.module, parsed.flag) == (module, "required")
    assert parsed.options == {"username": "evidentsource", "password": "your-secret-password"}


def test_quotes_and_backslashes_round_trip():
    password = 'p"a\\ss w;rd'
    parsed = jaas.parse(jaas.render("SCRAM-SHA-256", "u", password))
    assert parsed.options == {"username": "u", "password": password}


def test_unquoted_values_and_extra_options_are_kept():
    parsed = jaas.parse(f"{jaas.SCRAM_MODULE} required username=admin password=pw tokenauth=true;")
    assert parsed.options == {"username": "admin", "password": "pw", "tokenauth": "true"}


def test_redact_hides_quoted_and_bare_passwords():
    assert jaas.redact(SEED_SCRAM).endswith('username="evidentsource" password="***";')
    assert "pw" not in jaas.redact(f"{jaas.SCRAM_MODULE} required username=a password=pw;").split("username")[1]


def test_repr_never_shows_the_password():
    assert "your-secret-password" not in repr(jaas.parse(SEED_SCRAM))


@pytest.mark.parametrize("text, message", [
    (SEED_SCRAM[:-1], "ends with ';'"),
    (f"{jaas.SCRAM_MODULE} maybe username=a;", "expected '<LoginModule class>"),
    (f"{jaas.SCRAM_MODULE} required username;", "option 'username' is not key"),
    (f'{jaas.SCRAM_MODULE} required username="a;', "unbalanced quotes"),
])
def test_malformed_strings_are_refused_without_echoing_them(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        jaas.parse(text)
    assert "your-secret-password" not in str(caught.value)
