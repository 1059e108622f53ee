"""Real AWS peers for integration tests.

MotoServer runs `python3 -m moto.server` on 127.0.0.1 with signature and IAM
checking on (INITIAL_NO_AUTH_ACTION_COUNT=3: the first three calls create an
IAM user allowed everything and its access key, unauthenticated; every call
after that must be signed with that key).

    with MotoServer() as moto:
        env = moto.env(base_env)          # AWS_ENDPOINT_URL + keys + Region
        kms = moto.client("kms")          # boto3 client with the same key
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    REGION = "us-east-1"

    def __init__(self, extra_env=None):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait()
            self._make_user()
        except BaseException:
            self.stop()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)

    def _wait(self):
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=2).read()
                return
            except Exception:  # not up yet
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto server did not start on %s" % self.endpoint)
                time.sleep(0.2)

    def _make_user(self):
        iam = self.client("iam", "AKIAFREEFREEFREE0000", "free")
        iam.create_user(UserName="recoup")
        iam.put_user_policy(UserName="recoup", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="recoup")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service, key_id=None, secret=None, region=None):
        import boto3
        return boto3.client(service, endpoint_url=self.endpoint,
                            region_name=region or self.REGION,
                            aws_access_key_id=key_id or self.key_id,
                            aws_secret_access_key=secret or self.secret)

    def env(self, base=None, secret=None):
        """Environment for the recoup binary: every service on this server."""
        env = dict(base if base is not None else os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=self.key_id,
                   AWS_SECRET_ACCESS_KEY=secret or self.secret, AWS_REGION=self.REGION,
                   AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE="/nonexistent/config",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials")
        return env
