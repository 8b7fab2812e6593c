"""Config messages: every problem at once, each exactly once, strict types, secrets never shown, none in plain text.

- Every section is checked whatever is wrong in another; one line per root problem (key, value as given,
  what is allowed), and what follows from it (a typo's missing key, principals that cannot be judged
  while the mechanism is wrong) is not repeated.
- Strict types: `true` is not 1, 2.0 is not 2, "3" is not 3, "yes" is not true.
- A principal with a stray blank is named by its key (access.<role>.principals[<i>]), not reported as a
  password problem.
- Secrets are masked by value in every line, malformed JAAS strings included; a password the engine does
  not hold encrypted is refused with the command that encrypts it.
"""

from __future__ import annotations

import pytest

from components.config import load
from components.model.names import NAMESPACE
from configs import ADMIN_PASSWORD, DELETE, IAM, PLAINTEXT, SCRAM, merged, problems
from mocking import set_stack_config

NS = NAMESPACE
PASSWORDS = {"evidentsource": "pw-server-1", "streams-lambda": "pw-lambda-2", "consumer-a": "pw-consumer-3",
             "consumer-b": "pw-consumer-4", "producer-a": "pw-producer-5"}
SCRAM_USERS = merged(SCRAM, {"principalPasswords": PASSWORDS, "access": {"createScramUsers": True}})


def problems_of(raw: dict, secret_keys: frozenset[str] | None = None, stack: str | None = None) -> list[str]:
    try:
        load.parse(raw, secret_keys, stack)
    except load.ConfigError as exc:
        return str(exc).split("\n  - ")[1:]
    return []


def keys(lines: list[str]) -> list[str]:
    return [line.split(" ", 1)[0].split(":", 1)[1].removesuffix(":") for line in lines]


# --- every problem at once, each exactly once ------------------------------------------------------

def test_every_section_is_checked_whatever_is_wrong_in_another():
    raw = merged(SCRAM, {"cluster": {"securityProtocol": "SASL_TLS", "bootstrapServers": ["broker-1"]},
                         "topics": {"partitions": True, "replicationFactor": 2, "minInsyncReplicas": 3},
                         "access": {"server": {"principals": ["User:evidentsource "]},
                                    "externalConsumers": {"groupPrefix": "evidentsource-"}}})
    assert keys(problems(raw)) == [
        "cluster.bootstrapServers[0]", "cluster.securityProtocol", "topics.partitions", "topics.minInsyncReplicas",
        "access.server.principals[0]", "access.externalConsumers.groupPrefix"]


ONE_ROOT = [  # (id, config, the keys of the only lines: the root problems, none of their consequences)
    ("typo-of-a-required-key", merged(PLAINTEXT, {"cluster": {"bootstrapServers": DELETE, "bootstrapServer": ["a:1"]}}),
     ["cluster.bootstrapServer"]),
    ("typo-of-the-cluster-section", {"clsuter": PLAINTEXT["cluster"], "topics": PLAINTEXT["topics"]}, ["clsuter"]),
    ("typo-of-the-mechanism", merged(SCRAM, {"cluster": {"saslMechanism": DELETE, "saslMechansim": "SCRAM-SHA-512"}}),
     ["cluster.saslMechansim"]),
    ("typo-of-the-password-key", merged(SCRAM, {"saslJaasConfig": DELETE, "cluster": {"saslUsername": "admin"},
                                                "saslPasword": "pw-typed-under-a-typo"}), ["saslPasword"]),
    ("unknown-mechanism-with-users", merged(SCRAM_USERS, {"cluster": {"saslMechanism": "SCRAM-SHA-1"}}),
     ["cluster.saslMechanism"]),
    ("unknown-protocol-with-principals", merged(SCRAM, {"cluster": {"securityProtocol": "SASL_TLS"},
                                                        "access": {"server": {"principals": ["evidentsource"]}}}),
     ["cluster.securityProtocol"]),
    ("mechanism-without-sasl-with-principals", merged(PLAINTEXT, {"cluster": {"saslMechanism": "PLAIN"},
                                                                  "access": {"server": {"principals": ["User:x"]}},
                                                                  "adopt": {"acls": True}}),
     ["cluster.saslMechanism"]),
    ("principal-with-a-blank-and-its-password", merged(SCRAM_USERS, {"access": {"server": {
        "principals": ["User:evidentsource "]}}}), ["access.server.principals[0]"]),
    ("bad-partitions-do-not-hide-a-name-clash", merged(PLAINTEXT, {"topics": {"perTopic": {
        "databaseEvents": {"partitions": 0, "name": "evidentsource-async-commands"}}}}),
     ["topics.perTopic.databaseEvents.partitions", "topics.perTopic.asyncCommands.name"]),
    ("bad-server-is-not-judged-by-its-port", merged(IAM, {"cluster": {"bootstrapServers": ["b-1.internal:port"]}}),
     ["cluster.bootstrapServers[0]"]),
    ("bad-security-group-is-not-a-missing-source", merged(IAM, {"network": {"clusterSecurityGroupId": "sg-x",
                                                                            "lambdaSecurityGroupId": DELETE}}),
     ["network.clusterSecurityGroupId"]),
    ("placeholder-principal", merged(SCRAM, {"access": {"server": {"principals": ["User:REPLACE_ME"]}}}),
     ["access.server.principals[0]"]),
    ("jaas-wrong-two-ways", merged(SCRAM, {"saslJaasConfig": 'org.apache.kafka.common.security.plain.PlainLoginModule '
                                                             'required username="admin";'}), ["saslJaasConfig"]),
]


@pytest.mark.parametrize("raw, expected", [c[1:] for c in ONE_ROOT], ids=[c[0] for c in ONE_ROOT])
def test_one_line_per_root_problem_and_none_for_its_consequences(raw, expected):
    lines = problems(raw)
    assert keys(lines) == expected, lines


def test_a_mistyped_password_key_is_masked_even_in_plain_text():
    (line,) = problems(merged(PLAINTEXT, {"saslPasword": "pw-typed-under-a-typo"}))
    assert line.startswith(f"{NS}:saslPasword = '***': unknown key (a typo?); did you mean 'saslPassword'?")


# --- strict types ------------------------------------------------------------------------------------

WHOLE = "a whole number, at least 1"
STRICT = [  # (patch, key, value as shown, what is allowed)
    ({"topics": {"partitions": True}}, "topics.partitions", "True", f"{WHOLE}; true/false is not a number"),
    ({"topics": {"partitions": 1.5}}, "topics.partitions", "1.5", f"{WHOLE}; a decimal is not a whole number"),
    ({"topics": {"partitions": 2.0}}, "topics.partitions", "2.0", f"{WHOLE}; a decimal is not a whole number"),
    ({"topics": {"partitions": "3"}}, "topics.partitions", "'3'", f"{WHOLE}; a quoted value is text, not a number"),
    ({"topics": {"replicationFactor": False}}, "topics.replicationFactor", "False", f"{WHOLE}; true/false is not"),
    ({"topics": {"minInsyncReplicas": 1.0}}, "topics.minInsyncReplicas", "1.0", WHOLE),
    ({"topics": {"perTopic": {"databaseEvents": {"partitions": True}}}}, "topics.perTopic.databaseEvents.partitions",
     "True", WHOLE),
    ({"cluster": {"timeoutSeconds": True}}, "cluster.timeoutSeconds", "True", WHOLE),
    ({"cluster": {"liveCheckTimeoutSeconds": True}}, "cluster.liveCheckTimeoutSeconds", "True",
     "a number of seconds, more than 0 and at most 60; true/false is not a number"),
    ({"cluster": {"liveCheckTimeoutSeconds": 61}}, "cluster.liveCheckTimeoutSeconds", "61", "a number of seconds"),
    ({"topics": {"protect": "yes"}}, "topics.protect", "'yes'", "true or false (unquoted)"),
    ({"topics": {"protect": 1}}, "topics.protect", "1", "true or false (unquoted)"),
    ({"adopt": {"topics": "true"}}, "adopt.topics", "'true'", "true or false (unquoted)"),
    ({"topics": {"perTopic": {"databaseEvents": {"retention": True}}}}, "topics.perTopic.databaseEvents.retention",
     "True", "a duration is a positive number with a unit"),
    ({"topics": {"perTopic": {"databaseEvents": {"retention": 1.5}}}}, "topics.perTopic.databaseEvents.retention",
     "1.5", "a duration is a positive number with a unit"),
    ({"topics": {"perTopic": {"databaseEvents": {"retention": -1.0}}}}, "topics.perTopic.databaseEvents.retention",
     "-1.0", "a duration is a positive number with a unit"),
    ({"cluster": {"bootstrapServers": ["a:1", 9092]}}, "cluster.bootstrapServers[1]", "9092", "a string"),
]


@pytest.mark.parametrize("patch, key, shown, allowed", STRICT, ids=[c[1] + "=" + c[2] for c in STRICT])
def test_no_value_is_read_as_another_type(patch, key, shown, allowed):
    (line,) = problems(merged(PLAINTEXT, patch))
    assert line.startswith(f"{NS}:{key} = {shown}: {allowed}"), line


def test_numbers_that_are_numbers_still_pass():
    config = load.parse(merged(PLAINTEXT, {"cluster": {"liveCheckTimeoutSeconds": 2.5, "timeoutSeconds": 30},
                                           "topics": {"perTopic": {"databaseEvents": {"retention": -1}}}}))
    assert (config.cluster.live_check_timeout_seconds, config.cluster.timeout_seconds) == (2.5, 30)
    assert load.parse(merged(PLAINTEXT, {"cluster": {"liveCheckTimeoutSeconds": 3}})).cluster.live_check_timeout_seconds == 3


# --- principals written exactly ------------------------------------------------------------------------

@pytest.mark.parametrize("principal, blank", [("User:evidentsource ", "a trailing"), (" User:evidentsource", "a leading"),
                                              (" User:evidentsource\t", "a leading and a trailing")])
def test_a_principal_with_a_stray_blank_is_named_by_its_key_not_as_a_password_problem(principal, blank):
    raw = merged(SCRAM_USERS, {"access": {"dynamodbStreamsLambda": {"principals": ["User:streams-lambda", principal]}},
                               "principalPasswords": {"evidentsource": DELETE}})
    assert problems(raw) == [
        f"{NS}:access.dynamodbStreamsLambda.principals[1] = {principal!r}: has {blank} blank: brokers compare "
        "principals exactly, so it would never match 'User:evidentsource'; remove the blank"]


def test_an_empty_principal_is_named():
    (line,) = problems(merged(SCRAM, {"access": {"externalProducers": {"principals": [""]}}}))
    assert line.startswith(f"{NS}:access.externalProducers.principals[0] = '': empty")


# --- secrets masked by value, in every line ------------------------------------------------------------

SECRET = "correct horse battery staple"  # each word longer than 3 characters: no fragment may show
MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
MALFORMED = {
    "unterminated-quote": f'{MODULE} required username="admin" password="{SECRET};',
    "unquoted-with-blanks": f'{MODULE} required username="admin" password={SECRET};',
    "no-semicolon": f'{MODULE} required username="admin" password="{SECRET}"',
    "quote-mid-value": f'{MODULE} required username="admin" password=correct"horse battery" staple;',
    "escaped-quote-unterminated": f'{MODULE} required username="admin" password="correct \\"horse\\" battery staple;',
    "single-quote-unterminated": f"{MODULE} required username=\"admin\" password='{SECRET};",
    "mistyped-option": f'{MODULE} required username="admin" passwd="{SECRET}";',
    "no-flag": f'{MODULE} username="admin" password="{SECRET}";',
    "two-modules": f'{MODULE} required username="admin" password="{SECRET}"; {MODULE} required username="b" password="x";',
    "password-alone": SECRET,
    "username-quote-unterminated": f'{MODULE} required username="admin password={SECRET};',
}


@pytest.mark.parametrize("secret_keys", [None, frozenset({"saslJaasConfig"}), frozenset()], ids=["unknown", "secret", "plain"])
@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_jaas_string_shows_no_fragment_of_its_password(text, secret_keys):
    lines = problems_of(merged(SCRAM, {"saslJaasConfig": text}), secret_keys)
    assert keys(lines) == ["saslJaasConfig"], lines
    for word in SECRET.split():
        assert word not in lines[0], lines[0]


def test_a_password_given_where_a_plain_setting_belongs_is_masked_by_value():
    raw = merged(SCRAM_USERS, {"cluster": {"clientCert": "pw-consumer-3"},
                               "topics": {"perTopic": {"asyncCommands": {"name": f"{ADMIN_PASSWORD}!"}}}})
    lines = problems(raw)
    assert keys(lines) == ["topics.perTopic.asyncCommands.name", "cluster.clientCert"], lines
    text = "\n".join(lines)
    assert "pw-consumer-3" not in text and ADMIN_PASSWORD not in text and text.count("***") == 2


# --- no password in plain text -----------------------------------------------------------------------

def command(key: str, stack: str = "staging") -> str:
    path = f"--path '{NS}:{key}'" if "." in key else f"{NS}:{key}"
    return f"pulumi config get --stack {stack} {path} | pulumi config set --stack {stack} --secret {path}"


def test_a_jaas_string_in_plain_text_is_refused_with_the_command_that_encrypts_it():
    assert problems_of(SCRAM, frozenset(), "staging") == [
        f"{NS}:saslJaasConfig = '{MODULE} required username=\"admin\" password=\"***\";': a password in plain text in "
        "the stack file (anyone who can read the file or its repository has it): only an encrypted one is allowed; "
        f"encrypt it without typing it again: {command('saslJaasConfig')}"]


def test_each_principal_password_in_plain_text_is_refused_by_its_path():
    raw = merged(SCRAM_USERS, {"saslJaasConfig": DELETE, "saslPassword": ADMIN_PASSWORD,
                               "cluster": {"saslUsername": "admin"}})
    secret = frozenset({"principalPasswords.consumer-a", "principalPasswords.consumer-b", "principalPasswords.evidentsource"})
    lines = problems_of(raw, secret, "staging")
    assert keys(lines) == ["saslPassword", "principalPasswords.streams-lambda", "principalPasswords.producer-a"], lines
    assert lines[1].startswith(f"{NS}:principalPasswords.streams-lambda = '***': a password in plain text")
    assert lines[1].endswith(command("principalPasswords.streams-lambda"))
    assert lines[0].endswith(command("saslPassword"))
    assert not any(password in "\n".join(lines) for password in [ADMIN_PASSWORD, *PASSWORDS.values()])


@pytest.mark.parametrize("secret_keys", [frozenset({"saslJaasConfig", "principalPasswords"}), None],
                         ids=["all-encrypted", "not-known"])
def test_encrypted_secrets_or_secrecy_not_known_pass(secret_keys):
    assert problems_of(SCRAM_USERS, secret_keys) == []


def test_the_engines_secret_keys_decide(monitor):
    set_stack_config(SCRAM, secret=())  # as the engine runs a stack file with the JAAS string in plain text
    with pytest.raises(load.ConfigError) as caught:
        load.load()
    assert command("saslJaasConfig", "unit") in str(caught.value) and ADMIN_PASSWORD not in str(caught.value)
    set_stack_config(SCRAM)
    assert load.load().login.password.reveal() == ADMIN_PASSWORD


def test_a_plain_password_beside_encrypted_ones_is_found_in_the_stack_file(monitor, monkeypatch):
    # The engine marks principalPasswords secret as a whole when any one of them is; the stack file tells them apart.
    in_file = {f"{NS}:principalPasswords": {user: {"secure": "v1:x"} for user in PASSWORDS} | {"consumer-b": "pw-consumer-4"}}
    monkeypatch.setattr(load, "_stack_file", lambda stack: in_file)
    set_stack_config(SCRAM_USERS)
    with pytest.raises(load.ConfigError) as caught:
        load.load()
    (line,) = str(caught.value).split("\n  - ")[1:]
    assert line.startswith(f"{NS}:principalPasswords.consumer-b = '***': a password in plain text")
    assert line.endswith(command("principalPasswords.consumer-b", "unit"))
    in_file[f"{NS}:principalPasswords"]["consumer-b"] = "another value: not the file the engine read"
    assert load.load().principal_passwords["consumer-b"].reveal() == "pw-consumer-4"



def test_two_settings_for_one_kafka_config_are_refused_naming_both():
    raw = merged(PLAINTEXT, {"topics": {"minInsyncReplicas": 1, "perTopic": {"databaseEvents": {
        "retention": "1d", "configs": {"retention.ms": "5", "min.insync.replicas": "1"}}}}})
    assert problems(raw) == [
        f"{NAMESPACE}:topics.perTopic.databaseEvents.configs.retention.ms = '5': sets the same Kafka config as "
        "topics.perTopic.databaseEvents.retention ('1d'), and one would silently win: keep one of the two",
        f"{NAMESPACE}:topics.perTopic.databaseEvents.configs.min.insync.replicas = '1': sets the same Kafka config as "
        "topics.minInsyncReplicas (1), and one would silently win: keep one of the two"]


def test_preview_offline_is_a_strict_boolean_of_the_cluster_section():
    assert problems(merged(PLAINTEXT, {"cluster": {"previewOffline": True}})) == []
    (line,) = problems(merged(PLAINTEXT, {"cluster": {"previewOffline": "yes"}}))
    assert line.startswith(f"{NAMESPACE}:cluster.previewOffline = 'yes': ")


def test_a_partition_count_above_the_bound_is_refused_before_kafka_adds_any():
    assert problems(merged(PLAINTEXT, {"topics": {"partitions": 300, "perTopic": {"databaseEvents": {"partitions": 120}}}})) == [
        f"{NAMESPACE}:topics.partitions = 300: at most topics.maxPartitions (100): partitions can never be removed, "
        "so a mistyped count would stay for good; raise topics.maxPartitions if this many is meant",
        f"{NAMESPACE}:topics.perTopic.databaseEvents.partitions = 120: at most topics.maxPartitions (100): partitions "
        "can never be removed, so a mistyped count would stay for good; raise topics.maxPartitions if this many is meant"]
    assert problems(merged(PLAINTEXT, {"topics": {"partitions": 300, "maxPartitions": 300}})) == []


def test_principal_names_the_access_layer_cannot_carry_are_refused_naming_the_rule():
    from configs import SCRAM, merged
    from components.config import load
    for name, rule in (("User:a|b", "contains '|'"), ("User:é", "outside printable ASCII"),
                       ("User:tab\there", "outside printable ASCII")):
        raw = merged(SCRAM, {"access": {"externalProducers": {"principals": [name]}}})
        with pytest.raises(load.ConfigError) as caught:
            load.parse(raw)
        said = str(caught.value)
        assert "access.externalProducers.principals[0]" in said and rule in said, said
    for fine in ("User:app one", "User:a,b=c@d.e", "User:~x"):
        load.parse(merged(SCRAM, {"access": {"externalProducers": {"principals": [fine]}}}))


def test_accept_access_loss_names_only_listed_principals():
    from configs import SCRAM, merged
    from components.config import load
    with pytest.raises(load.ConfigError, match=r"access.acceptAccessLoss\[0\] = 'User:typo': neither a principal"):
        load.parse(merged(SCRAM, {"access": {"acceptAccessLoss": ["User:typo"]}}))
    load.parse(merged(SCRAM, {"access": {"acceptAccessLoss": ["User:consumer-a"]}}))


def test_the_msk_brokers_and_the_cluster_arn_must_name_one_cluster():
    from configs import IAM, merged
    from components.config import load
    other_region = merged(IAM, {"cluster": {"bootstrapServers": ["b-1.prod.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"]}})
    with pytest.raises(load.ConfigError) as caught:
        load.parse(other_region)
    assert ("cluster.bootstrapServers[0] = 'b-1.prod.abc123.c2.kafka.eu-west-1.amazonaws.com:9098': an MSK broker in "
            "eu-west-1, but msk.clusterArn is a cluster in us-east-1") in str(caught.value)
    other_account = merged(IAM, {"cluster": {"awsRoleArn": "arn:aws:iam::999999999999:role/deployer"}})
    with pytest.raises(load.ConfigError, match=r"cluster.awsRoleArn = .*a role of account 999999999999, but the "
                                               r"cluster \(msk.clusterArn\) is in account 123456789012"):
        load.parse(other_account)
    load.parse(IAM)  # the brokers and the ARN agree


def test_a_password_left_by_emptying_the_servers_principals_names_the_real_cause():
    from configs import SCRAM, merged
    from components.config import load
    raw = merged(SCRAM, {"access": {"createScramUsers": True, "server": {"principals": []}},
                         "principalPasswords": {u: "pw" for u in ("evidentsource", "streams-lambda", "consumer-a",
                                                                  "consumer-b", "producer-a")}})
    with pytest.raises(load.ConfigError) as caught:
        load.parse(raw)
    assert ("If User:evidentsource was the server's principal, access.server.principals is now empty: EvidentSource's "
            "own server would have no access at all") in str(caught.value)
