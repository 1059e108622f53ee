#!/usr/bin/env python3
"""Deterministic generator of a realistic CloudTrail corpus for the ingest benchmark.

Layout (organization trail, S3 delivery):
  <out>/AWSLogs/<o-id>/<acct>/CloudTrail/<region>/YYYY/MM/DD/
      <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
Each object is gzip (level 6, mtime 0) of compact JSON {"Records":[...]}, 1-8 MB
uncompressed, as CloudTrail writes it (no whitespace, AWS field order).

Mix: ~97% KMS calls (crypto calls dominate), ~2% other services (sts, s3, ec2,
secretsmanager, logs), ~1% errors of every class, ~0.5% custom-key-store records
(additionalEventData.customKeyStoreId), one short KMS incident in us-east-1.

Every record falls in exactly one class, the same rule every peer applies:
  cks      additionalEventData.customKeyStoreId present (whatever errorCode says)
  ok       no errorCode
  server   errorCode in KMSInternalException, DependencyTimeoutException,
           KeyUnavailableException, InternalFailure, ServiceUnavailable
  throttle errorCode == ThrottlingException
  client   any other errorCode
Group key used by the peers: recipientAccountId, awsRegion, eventSource,
5-minute bucket of eventTime ("YYYY-MM-DDTHH:M0" floor), class.

With --mix services, half of the records are data events of other services
instead (DynamoDB GetItem/PutItem/Query, S3 GetObject/PutObject, Lambda
Invoke, as CloudTrail data-event trails deliver them), for the benchmark of
multi-service ingest (docs/PERFORMANCE.md).

Usage: gen_corpus.py [--mb 1024] [--out DIR] [--seed 20250301] [--procs 2] [--mix kms|services]
Writes DIR/corpus.json with files, records, uncompressed/compressed bytes and
per-class / per-errorCode / per-eventSource counts, plus the number of groups.
"""
import argparse
import calendar
import gzip
import hashlib
import json
import multiprocessing as mp
import os
import random
import sys
import time

ORG_ID = "o-7k2mq9xv4d"
ACCOUNTS = ["111122223333", "444455556666", "210987654321", "503819267455", "862417930581"]
ACCOUNT_WEIGHTS = [35, 25, 20, 12, 8]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
REGION_WEIGHTS = [40, 20, 20, 12, 8]
YEAR, MONTH = 2025, 3
MONTH_START = calendar.timegm((YEAR, MONTH, 1, 0, 0, 0))
MONTH_END = calendar.timegm((YEAR, MONTH + 1, 1, 0, 0, 0))
# One KMS incident: elevated 5xx in us-east-1 (applies to whatever records fall in it).
INCIDENT = ("us-east-1", calendar.timegm((YEAR, MONTH, 14, 14, 5, 0)),
            calendar.timegm((YEAR, MONTH, 14, 14, 50, 0)), 0.12)

SERVER = ("KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException",
          "InternalFailure", "ServiceUnavailable")
CLASSES = ("ok", "server", "throttle", "client", "cks")

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_NUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

USER_AGENTS = [
    "aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/kms#1.29.2",
    "aws-sdk-nodejs/2.1583.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x callback",
    "aws-encryption-sdk-java/2.4.1 aws-sdk-java/2.25.16 Linux/5.15.0-1057-aws OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2 vendor/Eclipse_Adoptium io/sync http/Apache cfg/retry-mode/standard",
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/kms.decrypt",
]
CIPHERS = [("TLSv1.3", "TLS_AES_128_GCM_SHA256"), ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
           ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")]
SERVICES_INVOKING = ["s3.amazonaws.com", "dynamodb.amazonaws.com", "secretsmanager.amazonaws.com",
                     "rds.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com"]

# KMS operations: (eventName, weight, readOnly, kind)
KMS_OPS = [
    ("Decrypt", 440, True, "decrypt"),
    ("GenerateDataKey", 260, True, "gdk"),
    ("Encrypt", 100, True, "encrypt"),
    ("DescribeKey", 60, True, "describe"),
    ("GenerateDataKeyWithoutPlaintext", 35, True, "gdk"),
    ("ReEncrypt", 20, True, "reencrypt"),
    ("Sign", 10, True, "sign"),
    ("Verify", 8, True, "sign"),
    ("GenerateMac", 5, True, "mac"),
    ("ListAliases", 12, True, "list"),
    ("GetKeyPolicy", 6, True, "policy"),
    ("ListGrants", 6, True, "grants"),
    ("CreateGrant", 8, False, "creategrant"),
    ("RetireGrant", 4, False, "retiregrant"),
    ("GetKeyRotationStatus", 4, True, "keyonly"),
    ("GenerateRandom", 2, True, "random"),
    ("RotateKey", 1, False, "rotate"),  # AwsServiceEvent, no requestID
]
KMS_OP_CUM = []
_acc = 0
for _op in KMS_OPS:
    _acc += _op[1]
    KMS_OP_CUM.append(_acc)
KMS_OP_TOTAL = _acc
CRYPTO_KINDS = {"decrypt", "gdk", "encrypt", "reencrypt"}

# Per-record error probabilities (outside incidents) for KMS AwsApiCall records.
P_SERVER = 0.0015       # split KMSInternal / DependencyTimeout / KeyUnavailable
P_THROTTLE = 0.003
P_CLIENT = 0.0045       # AccessDenied, NotFound, Disabled, KMSInvalidState, InvalidCiphertext, IncorrectKey
P_CKS = 0.005           # crypto calls on keys in custom key stores
P_OTHER_SERVICE = 0.02
P_DATA_EVENT = 0.0      # --mix services: 0.5

ERR_MSG = {
    "KMSInternalException": None,
    "DependencyTimeoutException": "Service is temporarily unavailable. Please retry.",
    "KeyUnavailableException": "arn:aws:kms:{region}:{acct}:key/{key} is unavailable.",
    "ThrottlingException": "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    "AccessDeniedException": "User: {arn} is not authorized to perform: kms:{op} on resource: arn:aws:kms:{region}:{acct}:key/{key} because no resource-based policy allows the kms:{op} action",
    "NotFoundException": "Key 'arn:aws:kms:{region}:{acct}:key/{key}' does not exist",
    "DisabledException": "arn:aws:kms:{region}:{acct}:key/{key} is disabled.",
    "KMSInvalidStateException": "arn:aws:kms:{region}:{acct}:key/{key} is pending deletion.",
    "InvalidCiphertextException": None,
    "IncorrectKeyException": "The key ID in the request does not identify a CMK that can perform this operation.",
}
CLIENT_ERRORS = [("AccessDeniedException", 40), ("NotFoundException", 15), ("DisabledException", 10),
                 ("KMSInvalidStateException", 10), ("InvalidCiphertextException", 20),
                 ("IncorrectKeyException", 5)]
CKS_ERRORS = [("KMSInvalidStateException",
               "The external key store proxy rejected the request because the specified ciphertext or additional authenticated data is corrupted, missing, or otherwise invalid."),
              ("KMSInvalidStateException",
               "The external key store proxy did not respond to the request within the timeout allowed by AWS KMS."),
              ("CustomKeyStoreInvalidStateException",
               "The custom key store cks-{cks} is not connected."),
              ("KMSInternalException", None)]


def uuid4(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3], h[17:20], h[20:32])


def token(rng, n, alphabet=ALNUM):
    return "".join(rng.choices(alphabet, k=n))


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def bucket_of(event_time):
    # "2025-03-14T14:07:31Z" -> "2025-03-14T14:05"
    m = int(event_time[14:16])
    return "%s%02d" % (event_time[:14], m - m % 5)


class World:
    """Deterministic static world: accounts, roles, keys, custom key stores."""

    def __init__(self, seed):
        rng = random.Random(seed ^ 0x5EED)
        self.roles = {}
        self.keys = {}
        self.cks_keys = {}
        self.buckets = {}
        for acct in ACCOUNTS:
            roles = []
            for name in ["OrdersService", "PaymentsLambdaRole", "DataPipelineRole", "eks-node-group-ng1",
                         "AWSReservedSSO_PowerUser_7f3c2a19d0b4e6a8", "BackupOperator", "ecsTaskExecutionRole"]:
                rid = "AROA" + token(rng, 17, UPPER_NUM)
                roles.append((name, rid))
            self.roles[acct] = roles
            self.buckets[acct] = ["%s-%s" % (b, acct) for b in ("app-data", "ml-artifacts", "audit-exports")]
            for region in REGIONS:
                self.keys[(acct, region)] = [uuid4(rng) for _ in range(24)]
                self.cks_keys[(acct, region)] = ("cks-" + "%017x" % rng.getrandbits(68),
                                                [uuid4(rng) for _ in range(3)])


def pick_op(rng):
    x = rng.random() * KMS_OP_TOTAL
    for i, c in enumerate(KMS_OP_CUM):
        if x < c:
            return KMS_OPS[i]
    return KMS_OPS[-1]


def identity(rng, world, acct, ts, invoked_by=None):
    name, rid = rng.choice(world.roles[acct])
    session = ("i-%017x" % rng.getrandbits(68)) if name.startswith("eks") else (
        "%d" % (1700000000000 + rng.getrandbits(30)) if "Lambda" in name or "Service" in name
        else "user%02d@example.com" % rng.randrange(40))
    ui = {
        "type": "AssumedRole",
        "principalId": "%s:%s" % (rid, session),
        "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, name, session),
        "accountId": acct,
        "accessKeyId": "ASIA" + token(rng, 16, UPPER_NUM),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": rid,
                "arn": "arn:aws:iam::%s:role/%s" % (acct, name),
                "accountId": acct,
                "userName": name,
            },
            "attributes": {
                "creationDate": iso(ts - rng.randrange(60, 3600 * 6)),
                "mfaAuthenticated": "false",
            },
        },
    }
    if invoked_by:
        ui["invokedBy"] = invoked_by
    return ui


def encryption_context(rng, world, acct, region, invoked_by):
    if invoked_by == "s3.amazonaws.com":
        return {"aws:s3:arn": "arn:aws:s3:::%s/year=2025/month=03/part-%05d-%s.snappy.parquet" % (
            rng.choice(world.buckets[acct]), rng.randrange(100000), uuid4(rng))}
    if invoked_by == "dynamodb.amazonaws.com":
        return {"aws:dynamodb:tableName": rng.choice(["Orders", "Sessions", "Ledger"]),
                "aws:dynamodb:subscriberId": acct}
    if invoked_by == "secretsmanager.amazonaws.com":
        return {"SecretARN": "arn:aws:secretsmanager:%s:%s:secret:prod/db/%s-%s" % (
            region, acct, rng.choice(["orders", "payments", "reporting"]), token(rng, 6)),
            "SecretVersionId": uuid4(rng)}
    if invoked_by == "rds.amazonaws.com":
        return {"aws:rds:db-id": "db-" + token(rng, 26, UPPER_NUM)}
    if invoked_by == "lambda.amazonaws.com":
        return {"aws:lambda:FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (
            region, acct, rng.choice(["orders-api", "payments-worker", "thumbnailer"]))}
    if invoked_by == "ec2.amazonaws.com":
        return {"aws:ebs:id": "vol-%017x" % rng.getrandbits(68)}
    return {"Department": rng.choice(["Engineering", "Finance", "Data"]),
            "Project": rng.choice(["Alpha", "Orders", "Ledger", "Telemetry"]),
            "Tenant": "t-%06d" % rng.randrange(1000000)}


def kms_record(rng, world, acct, region, ts, counts):
    op_name, _, read_only, kind = pick_op(rng)
    t = iso(ts)
    keys = world.keys[(acct, region)]
    key = rng.choice(keys)
    key_arn = "arn:aws:kms:%s:%s:key/%s" % (region, acct, key)
    cks = None
    if kind in CRYPTO_KINDS and rng.random() < P_CKS / 0.82:  # ~0.5% of all records
        cks_id, cks_keys = world.cks_keys[(acct, region)]
        key = rng.choice(cks_keys)
        key_arn = "arn:aws:kms:%s:%s:key/%s" % (region, acct, key)
        cks = cks_id

    if kind == "rotate":
        rec = {
            "eventVersion": "1.10",
            "userIdentity": {"accountId": acct, "invokedBy": "AWS Internal"},
            "eventTime": t, "eventSource": "kms.amazonaws.com", "eventName": "RotateKey",
            "awsRegion": region, "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
            "requestParameters": None, "responseElements": None,
            "eventID": uuid4(rng), "readOnly": False,
            "resources": [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": key_arn}],
            "eventType": "AwsServiceEvent", "recipientAccountId": acct,
            "serviceEventDetails": {"keyId": key}, "eventCategory": "Management",
        }
        return rec, "ok", None

    invoked_by = None
    if kind in CRYPTO_KINDS and rng.random() < 0.45:
        invoked_by = rng.choice(SERVICES_INVOKING)
    ui = identity(rng, world, acct, ts, invoked_by)

    # Error selection.
    err = None
    msg = None
    r = rng.random()
    inc_region, inc_start, inc_end, inc_p = INCIDENT
    p_server = inc_p if (region == inc_region and inc_start <= ts < inc_end) else P_SERVER
    if cks is not None:
        if r < 0.08:
            err, msg = rng.choice(CKS_ERRORS)
            if msg:
                msg = msg.replace("{cks}", cks[4:])
    elif r < p_server:
        err = rng.choices(SERVER[:3], weights=(50, 35, 15))[0]
    elif r < p_server + P_THROTTLE:
        err = "ThrottlingException"
    elif r < p_server + P_THROTTLE + P_CLIENT:
        err = rng.choices([e for e, _ in CLIENT_ERRORS], weights=[w for _, w in CLIENT_ERRORS])[0]
    if err and msg is None:
        tmpl = ERR_MSG.get(err)
        if tmpl:
            msg = tmpl.format(region=region, acct=acct, key=key, arn=ui["arn"], op=op_name)

    rp = None
    if kind == "decrypt":
        rp = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": key_arn if invoked_by or rng.random() < 0.5 else key,
              "encryptionContext": encryption_context(rng, world, acct, region, invoked_by)}
    elif kind == "gdk":
        rp = {"keyId": key_arn if invoked_by else rng.choice([key_arn, "alias/app-data", key]),
              "encryptionContext": encryption_context(rng, world, acct, region, invoked_by),
              "keySpec": "AES_256"}
    elif kind == "encrypt":
        rp = {"keyId": rng.choice([key_arn, "alias/app-data", "alias/aws/s3"]),
              "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
              "encryptionContext": encryption_context(rng, world, acct, region, invoked_by)}
    elif kind == "reencrypt":
        rp = {"sourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "destinationKeyId": key_arn,
              "destinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
              "sourceEncryptionContext": encryption_context(rng, world, acct, region, None),
              "destinationEncryptionContext": encryption_context(rng, world, acct, region, None)}
    elif kind == "sign":
        rp = {"keyId": key_arn, "messageType": "DIGEST", "signingAlgorithm": "RSASSA_PSS_SHA_256"}
    elif kind == "mac":
        rp = {"keyId": key_arn, "macAlgorithm": "HMAC_SHA_256"}
    elif kind in ("describe", "policy", "keyonly"):
        rp = {"keyId": rng.choice([key_arn, key, "alias/app-data"])}
        if kind == "policy":
            rp["policyName"] = "default"
    elif kind == "list":
        rp = {"limit": 100} if rng.random() < 0.5 else None
    elif kind == "grants":
        rp = {"keyId": key_arn}
    elif kind == "creategrant":
        rp = {"keyId": key_arn,
              "granteePrincipal": "arn:aws:iam::%s:role/%s" % (acct, rng.choice(world.roles[acct])[0]),
              "operations": ["Decrypt", "GenerateDataKey", "DescribeKey"],
              "constraints": {"encryptionContextSubset": {"aws:ebs:id": "vol-%017x" % rng.getrandbits(68)}},
              "retiringPrincipal": "ec2.%s.amazonaws.com" % region}
    elif kind == "retiregrant":
        rp = {"keyId": key_arn, "grantId": "%064x" % rng.getrandbits(256)}
    elif kind == "random":
        rp = {"numberOfBytes": 32}

    if invoked_by:
        src_ip = ua = invoked_by
    else:
        src_ip = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)) \
            if rng.random() < 0.6 else "%d.%d.%d.%d" % (rng.choice((3, 18, 34, 52, 54)), rng.randrange(256),
                                                         rng.randrange(256), rng.randrange(1, 255))
        ua = rng.choice(USER_AGENTS)

    rec = {"eventVersion": "1.11" if rng.random() < 0.7 else "1.10", "userIdentity": ui,
           "eventTime": t, "eventSource": "kms.amazonaws.com", "eventName": op_name,
           "awsRegion": region, "sourceIPAddress": src_ip, "userAgent": ua}
    if err:
        rec["errorCode"] = err
        if msg:
            rec["errorMessage"] = msg
    rec["requestParameters"] = rp
    resp = None
    if kind == "creategrant" and not err:
        resp = {"grantId": "%064x" % rng.getrandbits(256), "keyId": key_arn}
    rec["responseElements"] = resp
    if cks is not None:
        aed = {"customKeyStoreId": cks}
        if cks_keys_is_xks(cks):
            aed["xksKeyId"] = "xks-" + token(rng, 12).lower()
        rec["additionalEventData"] = aed
    elif kind in CRYPTO_KINDS and not err and rec["eventVersion"] == "1.11":
        rec["additionalEventData"] = {"keyMaterialId": "%064x" % rng.getrandbits(256)}
    rec["requestID"] = uuid4(rng)
    rec["eventID"] = uuid4(rng)
    rec["readOnly"] = read_only
    if kind not in ("list", "random"):
        rec["resources"] = [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": key_arn}]
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = acct
    if not invoked_by and src_ip.startswith("10."):
        rec["vpcEndpointId"] = "vpce-%017x" % (int(acct) * 7919 % (1 << 68))
        rec["vpcEndpointAccountId"] = acct
    rec["eventCategory"] = "Management"
    if not invoked_by:
        tv, cs = CIPHERS[0] if rng.random() < 0.8 else rng.choice(CIPHERS)
        rec["tlsDetails"] = {"tlsVersion": tv, "cipherSuite": cs,
                             "clientProvidedHostHeader": "kms.%s.amazonaws.com" % region}

    if cks is not None:
        cls = "cks"
    elif err is None:
        cls = "ok"
    elif err in SERVER:
        cls = "server"
    elif err == "ThrottlingException":
        cls = "throttle"
    else:
        cls = "client"
    return rec, cls, err


def cks_keys_is_xks(cks_id):
    return int(cks_id[-1], 16) % 2 == 0


def other_record(rng, world, acct, region, ts):
    t = iso(ts)
    ui = identity(rng, world, acct, ts)
    ua = rng.choice(USER_AGENTS)
    src_ip = "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
    svc = rng.choices(["sts", "s3", "ec2", "secretsmanager", "logs"], weights=(35, 20, 20, 15, 10))[0]
    err = None
    msg = None
    rp = None
    resp = None
    resources = None
    extra = {}
    if svc == "sts":
        src, name = "sts.amazonaws.com", "AssumeRole"
        role = rng.choice(world.roles[acct])[0]
        rp = {"roleArn": "arn:aws:iam::%s:role/%s" % (acct, role), "roleSessionName": token(rng, 12),
              "durationSeconds": 3600}
        resp = {"credentials": {"accessKeyId": "ASIA" + token(rng, 16, UPPER_NUM),
                                "sessionToken": token(rng, 356), "expiration": "Mar %d, 2025, %d:%02d:%02d PM" % (
                                    time.gmtime(ts).tm_mday, rng.randrange(1, 12), rng.randrange(60), rng.randrange(60))},
                "assumedRoleUser": {"assumedRoleId": "AROA%s:%s" % (token(rng, 17, UPPER_NUM), rp["roleSessionName"]),
                                    "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, rp["roleSessionName"])}}
        resources = [{"accountId": acct, "type": "AWS::IAM::Role", "ARN": rp["roleArn"]}]
        extra["sharedEventID"] = uuid4(rng)
    elif svc == "s3":
        src, name = "s3.amazonaws.com", rng.choice(["GetBucketEncryption", "GetBucketLocation", "ListBuckets"])
        b = rng.choice(world.buckets[acct])
        rp = {"bucketName": b, "Host": "%s.s3.%s.amazonaws.com" % (b, region), "encryption": ""} \
            if name != "ListBuckets" else {"Host": "s3.%s.amazonaws.com" % region}
        extra["additionalEventData"] = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                        "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                        "x-amz-id-2": token(rng, 76), "bytesTransferredOut": rng.randrange(100, 4000)}
        if name != "ListBuckets":
            resources = [{"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + b}]
    elif svc == "ec2":
        src, name = "ec2.amazonaws.com", rng.choice(["DescribeInstances", "DescribeVolumes"])
        rp = {"maxResults": 1000, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "orders"}]}}]}}
        if rng.random() < 0.1:
            err, msg = "Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: %s is not authorized to perform: ec2:%s because no identity-based policy allows the ec2:%s action" % (ui["arn"], name, name)
    elif svc == "secretsmanager":
        src, name = "secretsmanager.amazonaws.com", "GetSecretValue"
        rp = {"secretId": "arn:aws:secretsmanager:%s:%s:secret:prod/db/orders-%s" % (region, acct, token(rng, 6))}
        if rng.random() < 0.05:
            err, msg = "AccessDenied", "User: %s is not authorized to perform: secretsmanager:GetSecretValue" % ui["arn"]
    else:
        src, name = "logs.amazonaws.com", "CreateLogStream"
        rp = {"logGroupName": "/aws/lambda/orders-api", "logStreamName": "2025/03/%02d/[$LATEST]%032x" % (
            time.gmtime(ts).tm_mday, rng.getrandbits(128))}
    rec = {"eventVersion": "1.09" if svc == "s3" else "1.08", "userIdentity": ui, "eventTime": t,
           "eventSource": src, "eventName": name, "awsRegion": region,
           "sourceIPAddress": src_ip, "userAgent": ua}
    if err:
        rec["errorCode"] = err
        rec["errorMessage"] = msg
    rec["requestParameters"] = rp
    rec["responseElements"] = None if err else resp
    if "additionalEventData" in extra:
        rec["additionalEventData"] = extra.pop("additionalEventData")
    rec["requestID"] = uuid4(rng) if svc != "s3" else token(rng, 16, UPPER_NUM)
    rec["eventID"] = uuid4(rng)
    rec["readOnly"] = svc not in ("sts", "logs")
    if resources:
        rec["resources"] = resources
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = acct
    if "sharedEventID" in extra:
        rec["sharedEventID"] = extra["sharedEventID"]
    rec["eventCategory"] = "Management"
    rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                         "clientProvidedHostHeader": "%s.%s.amazonaws.com" % (src.split(".")[0], region)}
    return rec, ("ok" if err is None else "client"), err


def data_record(rng, world, acct, region, ts):
    """A data event of DynamoDB, S3 or Lambda; ~0.3% server errors, ~0.5% throttled."""
    ui = identity(rng, world, acct, ts)
    svc = rng.choices(["dynamodb", "s3", "lambda"], weights=(50, 35, 15))[0]
    if svc == "dynamodb":
        table = rng.choice(["orders", "carts", "sessions", "ledger"])
        name = rng.choice(["GetItem", "GetItem", "PutItem", "Query", "UpdateItem"])
        arn = "arn:aws:dynamodb:%s:%s:table/%s" % (region, acct, table)
        rp = {"tableName": table, "key": {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS"}}
        resources = [{"accountId": acct, "type": "AWS::DynamoDB::Table", "ARN": arn}]
        errs = (("InternalServerError", "Internal server error"),
                ("ProvisionedThroughputExceededException", "The level of configured provisioned "
                 "throughput for the table was exceeded."))
    elif svc == "s3":
        b = rng.choice(world.buckets[acct])
        name = rng.choice(["GetObject", "GetObject", "PutObject", "HeadObject"])
        key = "data/%04d/%s.parquet" % (rng.randrange(10000), token(rng, 12))
        rp = {"bucketName": b, "Host": "%s.s3.%s.amazonaws.com" % (b, region), "key": key}
        resources = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (b, key)},
                     {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + b}]
        errs = (("InternalError", "We encountered an internal error. Please try again."),
                ("SlowDown", "Please reduce your request rate."))
    else:
        fn = "arn:aws:lambda:%s:%s:function:%s" % (region, acct, rng.choice(["resize", "checkout"]))
        name = "Invoke"
        rp = {"functionName": fn, "invocationType": "RequestResponse"}
        resources = [{"accountId": acct, "type": "AWS::Lambda::Function", "ARN": fn}]
        errs = (("ServiceException", "Lambda encountered an internal error."),
                ("TooManyRequestsException", "Rate Exceeded."))
    err = msg = None
    r = rng.random()
    if r < 0.003:
        err, msg = errs[0]
    elif r < 0.008:
        err, msg = errs[1]
    rec = {"eventVersion": "1.10", "userIdentity": ui, "eventTime": iso(ts),
           "eventSource": svc + ".amazonaws.com", "eventName": name, "awsRegion": region,
           "sourceIPAddress": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                                                rng.randrange(1, 255)),
           "userAgent": rng.choice(USER_AGENTS)}
    if err:
        rec["errorCode"] = err
        rec["errorMessage"] = msg
    rec["requestParameters"] = rp
    rec["responseElements"] = None
    rec["requestID"] = token(rng, 52, UPPER_NUM) if svc == "dynamodb" else uuid4(rng)
    rec["eventID"] = uuid4(rng)
    rec["readOnly"] = name in ("GetItem", "Query", "GetObject", "HeadObject")
    rec["resources"] = resources
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = False
    rec["recipientAccountId"] = acct
    rec["eventCategory"] = "Data"
    rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                         "clientProvidedHostHeader": "%s.%s.amazonaws.com" % (svc, region)}
    cls = "ok" if err is None else ("server" if err in SERVER else
                                    "throttle" if err == "ThrottlingException" else "client")
    return rec, cls, err


_WORLD = None


def _init(seed, p_data=0.0):
    global _WORLD, P_DATA_EVENT
    _WORLD = World(seed)
    P_DATA_EVENT = p_data


def gen_file(task):
    """task = (index, seed, out_dir, acct, region, win_start, win_end, deliver_ts, target_bytes)"""
    idx, seed, out, acct, region, w0, w1, deliver, target = task
    rng = random.Random(hashlib.sha256(b"%d:%d" % (seed, idx)).digest())
    world = _WORLD
    recs = []
    size = 14  # {"Records":[]}
    counts = {c: 0 for c in CLASSES}
    err_counts = {}
    src_counts = {}
    groups = set()
    span = w1 - w0
    # Approximate record size to pre-draw sorted event times.
    est_n = max(1, target // 1450)
    times = sorted(w0 + int(rng.random() * span) for _ in range(est_n))
    i = 0
    enc = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    while size < target:
        ts = times[i] if i < len(times) else w0 + int(rng.random() * span)
        i += 1
        if P_DATA_EVENT > 0 and rng.random() < P_DATA_EVENT:
            rec, cls, err = data_record(rng, world, acct, region, ts)
        elif rng.random() < P_OTHER_SERVICE:
            rec, cls, err = other_record(rng, world, acct, region, ts)
        else:
            rec, cls, err = kms_record(rng, world, acct, region, ts, counts)
        s = enc.encode(rec)
        recs.append(s)
        size += len(s) + 1
        counts[cls] += 1
        if err:
            err_counts[err] = err_counts.get(err, 0) + 1
        src = rec["eventSource"]
        src_counts[src] = src_counts.get(src, 0) + 1
        groups.add("%s|%s|%s|%s|%s" % (acct, region, src, bucket_of(rec["eventTime"]), cls))
    # CloudTrail does not sort strictly: swap a few neighbours.
    for _ in range(len(recs) // 50):
        j = rng.randrange(len(recs) - 1)
        recs[j], recs[j + 1] = recs[j + 1], recs[j]
    body = ('{"Records":[' + ",".join(recs) + "]}").encode("utf-8")
    tm = time.gmtime(deliver)
    d = os.path.join(out, "AWSLogs", ORG_ID, acct, "CloudTrail", region,
                     "%04d" % tm.tm_year, "%02d" % tm.tm_mon, "%02d" % tm.tm_mday)
    os.makedirs(d, exist_ok=True)
    fname = "%s_CloudTrail_%s_%s_%s.json.gz" % (acct, region, time.strftime("%Y%m%dT%H%MZ", tm), token(rng, 16))
    gz = gzip.compress(body, compresslevel=6, mtime=0)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(gz)
    return {"index": idx, "path": os.path.relpath(os.path.join(d, fname), out), "records": len(recs),
            "bytes": len(body), "gz_bytes": len(gz), "classes": counts, "errors": err_counts,
            "sources": src_counts, "groups": groups}


def plan(total_bytes, seed):
    rng = random.Random(seed)
    streams = [(a, r) for a in ACCOUNTS for r in REGIONS]
    weights = [aw * rw for aw in ACCOUNT_WEIGHTS for rw in REGION_WEIGHTS]
    files = []
    acc = 0
    while acc < total_bytes:
        # Realistic object sizes: log-normal, clamped to 1..8 MB.
        sz = int(min(8.0, max(1.0, rng.lognormvariate(1.2, 0.5))) * 1024 * 1024)
        sz = min(sz, max(1024 * 1024, total_bytes - acc)) if total_bytes - acc < 1024 * 1024 else sz
        stream = rng.choices(streams, weights=weights)[0]
        files.append([stream, sz])
        acc += sz
    # Partition the month per stream: file k of n covers [k/n, (k+1)/n) of the month and is
    # delivered 2-12 minutes after its window ends (records never postdate delivery).
    per = {}
    for f in files:
        per.setdefault(f[0], []).append(f)
    tasks = []
    span = MONTH_END - MONTH_START
    for stream, fl in per.items():
        n = len(fl)
        for k, f in enumerate(fl):
            w0 = MONTH_START + span * k // n
            w1 = MONTH_START + span * (k + 1) // n
            f.extend([w0, w1, w1 + rng.randrange(120, 720)])
    for idx, f in enumerate(files):
        (acct, region), sz, w0, w1, dl = f
        tasks.append((idx, seed, None, acct, region, w0, w1, dl, sz))
    return tasks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=1024, help="target uncompressed size in MiB (default 1024)")
    ap.add_argument("--out", default="/tmp/recoup-bench/corpus")
    ap.add_argument("--seed", type=int, default=20250301)
    ap.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--mix", choices=("kms", "services"), default="kms",
                    help="services: half of the records are DynamoDB, S3 and Lambda data events")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    if os.path.exists(os.path.join(out, "AWSLogs")):
        sys.exit("refusing to write into non-empty %s (delete it first)" % out)
    os.makedirs(out, exist_ok=True)
    tasks = [t[:2] + (out,) + t[3:] for t in plan(int(args.mb * 1024 * 1024), args.seed)]
    t0 = time.time()
    results = []
    p_data = 0.5 if args.mix == "services" else 0.0
    with mp.Pool(args.procs, initializer=_init, initargs=(args.seed, p_data)) as pool:
        for n, r in enumerate(pool.imap_unordered(gen_file, tasks, chunksize=1), 1):
            results.append(r)
            if n % 20 == 0 or n == len(tasks):
                print("  %d/%d files, %.0f s" % (n, len(tasks), time.time() - t0), file=sys.stderr)
    results.sort(key=lambda r: r["index"])
    classes = {c: 0 for c in CLASSES}
    errors, sources, groups = {}, {}, set()
    for r in results:
        for k, v in r["classes"].items():
            classes[k] += v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
        for k, v in r["sources"].items():
            sources[k] = sources.get(k, 0) + v
        groups |= r.pop("groups")
    summary = {
        "generator": "bench/gen_corpus.py",
        "mix": args.mix,
        "seed": args.seed,
        "month": "%04d-%02d" % (YEAR, MONTH),
        "org_id": ORG_ID,
        "accounts": ACCOUNTS,
        "regions": REGIONS,
        "files": len(results),
        "records": sum(r["records"] for r in results),
        "uncompressed_bytes": sum(r["bytes"] for r in results),
        "compressed_bytes": sum(r["gz_bytes"] for r in results),
        "classes": classes,
        "errors_total": sum(errors.values()),
        "error_codes": dict(sorted(errors.items())),
        "event_sources": dict(sorted(sources.items())),
        "groups": len(groups),
        "group_key": "recipientAccountId|awsRegion|eventSource|5-min bucket of eventTime|class",
        "class_rule": "cks if additionalEventData.customKeyStoreId; else ok if no errorCode; "
                      "server if errorCode in " + ",".join(SERVER) + "; throttle if ThrottlingException; else client",
        "incident": {"region": INCIDENT[0], "start": iso(INCIDENT[1]), "end": iso(INCIDENT[2]),
                     "server_error_rate": INCIDENT[3]},
        "file_sizes_mb": {"min": round(min(r["bytes"] for r in results) / 2**20, 2),
                          "max": round(max(r["bytes"] for r in results) / 2**20, 2)},
        "generation_seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(json.dumps({k: summary[k] for k in ("files", "records", "uncompressed_bytes", "compressed_bytes",
                                              "classes", "groups", "generation_seconds")}))


if __name__ == "__main__":
    main()
