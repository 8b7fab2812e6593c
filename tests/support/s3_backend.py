"""An S3-compatible state backend on loopback for the engine: moto's server, a bucket, the env that logs in to it.

`S3Backend.env` is what a team sets to keep its state in a bucket (pulumi 3.259's diy backend
over gocloud.dev's s3blob): the backend URL, and credentials from the environment with no
`~/.aws` config in the way. The server can hold one PUT of a stack's checkpoint (`hold`): the
engine is then stopped mid-run with the stack's lock taken, until the test lets the write through
or drops it. Not for production: moto keeps the bucket in this process's memory.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from typing import Callable

import boto3
from moto.server import ThreadedMotoServer

PROJECT_NAME = "evidentsource-kafka"  # Pulumi.yaml's name: the state's folder in the bucket
DUMMY_KEY, DUMMY_SECRET, REGION = "test-only-access-key", "test-only-secret-key", "us-east-1"
# Blanked for the engine, so a developer's or CI's AWS settings cannot pick another account or endpoint.
AWS_OVERRIDES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


class _Gate:
    """WSGI middleware: holds the first PUT to `key` whose body passes `when`, until released."""

    def __init__(self, app):
        self.app, self.key, self.when = app, None, None
        self.held, self._released, self._forward = threading.Event(), threading.Event(), True
        self._mutex = threading.Lock()

    def arm(self, key: str, when: Callable[[dict], bool]) -> None:
        self.held.clear()
        self._released.clear()
        self.key, self.when = key, when

    def release(self, forward: bool) -> None:
        self._forward = forward
        self._released.set()

    def __call__(self, environ, start_response):
        if (self.key and environ["REQUEST_METHOD"] == "PUT" and environ.get("PATH_INFO") == self.key
                and "HTTP_X_AMZ_COPY_SOURCE" not in environ):  # a copy is the engine's .bak, not a save
            length = environ.get("CONTENT_LENGTH")
            body = environ["wsgi.input"].read(int(length)) if length else environ["wsgi.input"].read()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            with self._mutex:
                hold = self.key is not None and self.when(json.loads(body))
                if hold:
                    self.key = None  # one request only
            if hold:
                self.held.set()
                self._released.wait(300)
                if not self._forward:  # the writer was killed meanwhile: its write never lands
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
        return self.app(environ, start_response)


class S3Backend:
    """moto's S3 on 127.0.0.1 (a free port) with one bucket; `env` points the engine at it."""

    def __init__(self):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        # Every request goes through the gate (werkzeug's handler calls server.app per request).
        self.gate = _Gate(self.server._server.app)
        self.server._server.app = self.gate
        host, port = self.server.get_host_and_port()
        self.endpoint = f"{host}:{port}"
        self.bucket = f"state-{uuid.uuid4().hex[:8]}"
        self.s3 = boto3.client("s3", endpoint_url=f"http://{self.endpoint}", region_name=REGION,
                               aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET)
        self.s3.create_bucket(Bucket=self.bucket)
        # pulumi 3.259 turns disableSSL into gocloud's disable_https and gives the bare endpoint its http://;
        # response_checksum_validation=when_required quiets the AWS SDK's warning on every response of a
        # server that sends no checksums (moto, some MinIO versions).
        self.url = (f"s3://{self.bucket}?endpoint={self.endpoint}&disableSSL=true&s3ForcePathStyle=true"
                    f"&region={REGION}&response_checksum_validation=when_required")

    @property
    def env(self) -> dict[str, str]:
        return {"PULUMI_BACKEND_URL": self.url, "AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true", **{name: "" for name in AWS_OVERRIDES}}

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", ()))

    @staticmethod
    def checkpoint_key(stack: str) -> str:
        return f".pulumi/stacks/{PROJECT_NAME}/{stack}.json"

    @staticmethod
    def lock_dir(stack: str) -> str:
        return f".pulumi/locks/organization/{PROJECT_NAME}/{stack}/"

    def checkpoint(self, stack: str) -> dict:
        """The stack's saved deployment (`checkpoint.latest`) as the bucket has it."""
        body = self.s3.get_object(Bucket=self.bucket, Key=self.checkpoint_key(stack))["Body"].read()
        return json.loads(body)["checkpoint"].get("latest") or {}

    def hold_checkpoint(self, stack: str, when: Callable[[dict], bool] = lambda _: True) -> threading.Event:
        """Hold the next save of the stack's checkpoint whose content passes `when`; returns the 'held' event."""
        self.gate.arm(f"/{self.bucket}/{self.checkpoint_key(stack)}", when)
        return self.gate.held

    def release(self, forward: bool = True) -> None:
        self.gate.release(forward)

    def stop(self) -> None:
        self.release(forward=False)
        self.server.stop()
