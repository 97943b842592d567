"""`threatscan fix`: each fix scans, fixes, re-scans and compares the file with its expected text; fixes are
idempotent, unsafe ones wait for --unsafe-fixes, --diff writes nothing, and a file changed since the scan is left
alone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli, validate_multitool, validate_schema
from threatscan import fix as fixes

MANIFEST_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n'

JWT_HEAD = ('import os\n\nimport jwt\n\nKEY = os.environ["JWT_KEY"]\nALGORITHM = "HS256"\n\n\n'
            'def issue(user, expires):\n'
            '    return jwt.encode({"sub": user, "exp": expires}, KEY, algorithm=ALGORITHM)\n\n\n')
HASH_HEAD = 'import hashlib\n\nfrom cryptography.hazmat.primitives import hashes\n\n\n'

# Templates in both languages, each in its own layout (indentation step, tabs, CRLF, inline objects) that the fix
# keeps. Admin ports: a parameter the deploy must set, added to Parameters or as a new section before Resources.
SG_YAML = (
    'AWSTemplateFormatVersion: "2010-09-09"\n\nResources:\n  Bastion:\n    Type: AWS::EC2::SecurityGroup\n'
    '    Properties:\n      GroupDescription: ssh\n      SecurityGroupIngress:\n'
    '        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}  # anyone\n'
    '        - IpProtocol: tcp\n          FromPort: 5432\n          ToPort: 5432\n          CidrIpv6: "::/0"\n'
)
SG_YAML_FIXED = (
    'AWSTemplateFormatVersion: "2010-09-09"\n\nParameters:\n  AdminCidrIpv6:\n    Type: String\n'
    '    Description: The IPv6 range (CIDR) allowed to reach the administrative and database ports\n'
    '    AllowedPattern: ^[0-9a-fA-F:]+/([1-9]|[1-9]\\d|1[01]\\d|12[0-8])$\n'
    '    ConstraintDescription: an IPv6 CIDR block such as 2001:db8::/32, not the whole Internet\n'
    '  AdminCidr:\n    Type: String\n'
    '    Description: The IPv4 range (CIDR) allowed to reach the administrative and database ports\n'
    '    AllowedPattern: ^(\\d{1,3}\\.){3}\\d{1,3}/([1-9]|[12]\\d|3[0-2])$\n'
    '    ConstraintDescription: an IPv4 CIDR block such as 203.0.113.0/24, not the whole Internet\n\n'
    'Resources:\n  Bastion:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: ssh\n'
    '      SecurityGroupIngress:\n'
    '        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref AdminCidr}  # anyone\n'
    '        - IpProtocol: tcp\n          FromPort: 5432\n          ToPort: 5432\n'
    '          CidrIpv6: !Ref AdminCidrIpv6\n'
)
SG_YAML_PARAMS = (
    'Parameters:\n    Env:\n        Type: String\n\nResources:\n    Db:\n'
    '        Type: AWS::EC2::SecurityGroupIngress\n        Properties:\n            GroupId: sg-1\n'
    '            IpProtocol: tcp\n            FromPort: 3306\n            ToPort: 3306\n'
    "            CidrIp: '0.0.0.0/0'\n"
)
SG_YAML_PARAMS_FIXED = (
    'Parameters:\n    Env:\n        Type: String\n    AdminCidr:\n        Type: String\n'
    '        Description: The IPv4 range (CIDR) allowed to reach the administrative and database ports\n'
    '        AllowedPattern: ^(\\d{1,3}\\.){3}\\d{1,3}/([1-9]|[12]\\d|3[0-2])$\n'
    '        ConstraintDescription: an IPv4 CIDR block such as 203.0.113.0/24, not the whole Internet\n\n'
    'Resources:\n    Db:\n        Type: AWS::EC2::SecurityGroupIngress\n        Properties:\n'
    '            GroupId: sg-1\n            IpProtocol: tcp\n            FromPort: 3306\n'
    '            ToPort: 3306\n            CidrIp: !Ref AdminCidr\n'
)
SG_JSON = (
    '{\n    "Resources": {\n        "Db": {\n            "Type": "AWS::EC2::SecurityGroupIngress",\n'
    '            "Properties": {\n                "GroupId": "sg-1",\n                "IpProtocol": "tcp",\n'
    '                "FromPort": 3306,\n                "ToPort": 3306,\n'
    '                "CidrIp": "0.0.0.0/0"\n            }\n        }\n    }\n}\n'
)
SG_JSON_FIXED = (
    '{\n    "Parameters": {\n        "AdminCidr": {\n            "Type": "String",\n'
    '            "Description": "The IPv4 range (CIDR) allowed to reach the administrative and '
    'database ports",\n'
    '            "AllowedPattern": "^(\\\\d{1,3}\\\\.){3}\\\\d{1,3}/([1-9]|[12]\\\\d|3[0-2])$",\n'
    '            "ConstraintDescription": "an IPv4 CIDR block such as 203.0.113.0/24, not the whole Internet"\n'
    '        }\n    },\n    "Resources": {\n        "Db": {\n'
    '            "Type": "AWS::EC2::SecurityGroupIngress",\n            "Properties": {\n'
    '                "GroupId": "sg-1",\n                "IpProtocol": "tcp",\n'
    '                "FromPort": 3306,\n                "ToPort": 3306,\n'
    '                "CidrIp": {"Ref": "AdminCidr"}\n            }\n        }\n    }\n}\n'
)
SG_JSON_PARAMS = (
    '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Parameters": {\n    "Env": {"Type": "String"}\n  },\n'
    '  "Resources": {\n    "Admin": {\n      "Type": "AWS::EC2::SecurityGroup",\n      "Properties": {\n'
    '        "GroupDescription": "admin",\n        "SecurityGroupIngress": [\n'
    '          {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}\n'
    '        ]\n      }\n    }\n  }\n}\n'
)
SG_JSON_PARAMS_FIXED = (
    '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Parameters": {\n    "Env": {"Type": "String"},\n'
    '    "AdminCidr": {\n      "Type": "String",\n'
    '      "Description": "The IPv4 range (CIDR) allowed to reach the administrative and database ports",\n'
    '      "AllowedPattern": "^(\\\\d{1,3}\\\\.){3}\\\\d{1,3}/([1-9]|[12]\\\\d|3[0-2])$",\n'
    '      "ConstraintDescription": "an IPv4 CIDR block such as 203.0.113.0/24, not the whole Internet"\n'
    '    }\n  },\n  "Resources": {\n    "Admin": {\n      "Type": "AWS::EC2::SecurityGroup",\n'
    '      "Properties": {\n        "GroupDescription": "admin",\n        "SecurityGroupIngress": [\n'
    '          {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "AdminCidr"}}\n'
    '        ]\n      }\n    }\n  }\n}\n'
)
S3_JSON = (
    '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Uploads": {\n'
    '      "Type": "AWS::S3::Bucket",\n      "Properties": {"BucketName": "uploads"}\n    },\n    "Logs": {\n'
    '      "Type": "AWS::S3::Bucket"\n    }\n  }\n}\n'
)
S3_JSON_FIXED = (
    '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "Uploads": {\n'
    '      "Type": "AWS::S3::Bucket",\n'
    '      "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSi'
    'deEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}, "BucketName": "uploads"}\n    },\n    "Logs": {\n'
    '      "Type": "AWS::S3::Bucket",\n      "Properties": {\n        "BucketEncryption": {\n'
    '          "ServerSideEncryptionConfiguration": [\n            {\n'
    '              "ServerSideEncryptionByDefault": {\n                "SSEAlgorithm": "AES256"\n'
    '              }\n            }\n          ]\n        }\n      }\n    }\n  }\n}\n'
)
PITR_JSON = (
    '{\n\t"Resources": {\n\t\t"Orders": {\n\t\t\t"Type": "AWS::DynamoDB::Table",\n\t\t\t"Properties": {\n'
    '\t\t\t\t"BillingMode": "PAY_PER_REQUEST"\n\t\t\t}\n\t\t},\n\t\t"Carts": {\n'
    '\t\t\t"Type": "AWS::DynamoDB::Table",\n\t\t\t"Properties": {\n'
    '\t\t\t\t"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": false}\n\t\t\t}\n\t\t}\n\t}\n'
    '}\n'
)
PITR_JSON_FIXED = (
    '{\n\t"Resources": {\n\t\t"Orders": {\n\t\t\t"Type": "AWS::DynamoDB::Table",\n\t\t\t"Properties": {\n'
    '\t\t\t\t"PointInTimeRecoverySpecification": {\n\t\t\t\t\t"PointInTimeRecoveryEnabled": true\n\t\t\t\t},\n'
    '\t\t\t\t"BillingMode": "PAY_PER_REQUEST"\n\t\t\t}\n\t\t},\n\t\t"Carts": {\n'
    '\t\t\t"Type": "AWS::DynamoDB::Table",\n\t\t\t"Properties": {\n'
    '\t\t\t\t"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}\n\t\t\t}\n\t\t}\n\t}\n}\n'
)
SQS_JSON = (
    '{\r\n  "Resources": {\r\n    "Events": {"Type": "AWS::SNS::Topic"},\r\n'
    '    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": "false"}}\r\n  }\r\n}\r\n'
)
SQS_JSON_FIXED = (
    '{\r\n  "Resources": {\r\n'
    '    "Events": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}},\r\n'
    '    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": "true"}}\r\n  }\r\n}\r\n'
)

# (rule, file name, before, after, safe)
CASES = [
    ("PY301", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", httponly=True, samesite="Lax")  # keep\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", httponly=True, samesite="Lax", secure=True)  # keep\n    return r\n', True),
    ("PY301", "positional.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", 60, None, "/", None, False, True, "Lax")\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", 60, None, "/", None, True, True, "Lax")\n    return r\n', True),
    ("PY302", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie(\n        "sid",\n        "x",\n        secure=True,\n        samesite="Lax",\n    )\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie(\n        "sid",\n        "x",\n        secure=True,\n        samesite="Lax",\n        httponly=True,\n    )\n    return r\n', True),
    ("PY303", "views.py",
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", secure=True, httponly=True, samesite="None")\n    return r\n',
     'from flask import make_response\n\ndef v():\n    r = make_response("ok")\n    r.set_cookie("sid", "x", secure=True, httponly=True, samesite="Lax")\n    return r\n', False),
    ("PY505", "client.py",
     'import requests\n\ndef pay(url, body, key):\n    return requests.post(url, json=body, auth=("shop", key), verify=False)\n',
     'import requests\n\ndef pay(url, body, key):\n    return requests.post(url, json=body, auth=("shop", key))\n', True),
    ("PY505", "session.py",  # True, the session's default: removing the line could leave an empty block
     'import requests\n\n\ndef make_session(token, staging):\n    session = requests.Session()\n'
     '    session.headers["Authorization"] = f"Bearer {token}"\n    if staging:\n'
     '        session.verify = False  # self-signed\n    return session\n',
     'import requests\n\n\ndef make_session(token, staging):\n    session = requests.Session()\n'
     '    session.headers["Authorization"] = f"Bearer {token}"\n    if staging:\n'
     '        session.verify = True  # self-signed\n    return session\n', True),
    ("PY505", "opt_in.py",  # behind an opt-in switch (a low finding): verifying anyway breaks the switch, unsafe
     'import requests\n\n\ndef make_session(validate_certs=True):\n    session = requests.Session()\n'
     '    if not validate_certs:\n        session.verify = False\n    return session\n',
     'import requests\n\n\ndef make_session(validate_certs=True):\n    session = requests.Session()\n'
     '    if not validate_certs:\n        session.verify = True\n    return session\n', False),
    ("PY505", "feeds.py",  # aiohttp: `ssl=False` on a connector or a request, the older `verify_ssl=False`
     'import aiohttp\n\n\nasync def fetch(url):\n    connector = aiohttp.TCPConnector(ssl=False)\n'
     '    legacy = aiohttp.TCPConnector(limit=10, verify_ssl=False)\n'
     '    async with aiohttp.ClientSession(connector=connector) as session:\n'
     '        async with session.get(url, ssl=False, timeout=5) as response:\n'
     '            return await response.text(), legacy\n',
     'import aiohttp\n\n\nasync def fetch(url):\n    connector = aiohttp.TCPConnector()\n'
     '    legacy = aiohttp.TCPConnector(limit=10)\n'
     '    async with aiohttp.ClientSession(connector=connector) as session:\n'
     '        async with session.get(url, timeout=5) as response:\n'
     '            return await response.text(), legacy\n', True),
    ("PY106", "conf.py",
     'import yaml\n\ndef read(text):\n    return yaml.load(text), yaml.load(text, Loader=yaml.Loader)\n',
     'import yaml\n\ndef read(text):\n    return yaml.safe_load(text), yaml.load(text, Loader=yaml.SafeLoader)\n', True),
    ("PY320", "app.py",
     'from flask import Flask\n\napp = Flask(__name__)\napp.debug = True\n',
     'from flask import Flask\n\napp = Flask(__name__)\napp.debug = False\n', True),
    ("PY321", "api.py",
     'from fastapi import FastAPI\n\napi = FastAPI(debug=True)\n',
     'from fastapi import FastAPI\n\napi = FastAPI(debug=False)\n', True),
    ("PY107", "jobs.py",
     'import subprocess\n\ndef rotate():\n    subprocess.run("logrotate /etc/logrotate.conf", shell=True)\n',
     "import subprocess\n\ndef rotate():\n    subprocess.run(['logrotate', '/etc/logrotate.conf'])\n", True),
    ("PY501", "auth.py",
     JWT_HEAD + 'def read(token):\n    return jwt.decode(token, KEY, options={"verify_signature": False})\n\n\n'
     'def peek(token):\n    return jwt.decode(\n        token,\n        KEY,\n'
     '        options={"require": ["exp"], "verify_signature": False},  # keep\n    )\n',
     JWT_HEAD + 'def read(token):\n    return jwt.decode(token, KEY, algorithms=[ALGORITHM])\n\n\n'
     'def peek(token):\n    return jwt.decode(\n        token,\n        KEY,\n'
     '        options={"require": ["exp"]},  # keep\n        algorithms=[ALGORITHM],\n    )\n', False),
    ("PY501", "legacy.py",  # PyJWT 1's verify=False; the module signs with the default algorithm, HS256
     'import os\n\nimport jwt\n\n\ndef issue(claims):\n    return jwt.encode(claims, os.environ["K"])\n\n\n'
     'def read(token):\n    return jwt.decode(token, os.environ["K"], verify=False)\n',
     'import os\n\nimport jwt\n\n\ndef issue(claims):\n    return jwt.encode(claims, os.environ["K"])\n\n\n'
     'def read(token):\n    return jwt.decode(token, os.environ["K"], algorithms=["HS256"])\n', False),
    ("PY502", "auth.py",  # a real algorithm is listed too: dropping "none" only refuses unsigned tokens
     JWT_HEAD + "def read(token):\n    return jwt.decode(token, KEY, algorithms=['HS256', 'none'])\n",
     JWT_HEAD + "def read(token):\n    return jwt.decode(token, KEY, algorithms=['HS256'])\n", True),
    ("PY502", "only_none.py",  # "none" alone: the module's signing algorithm instead, which a human must confirm
     JWT_HEAD + 'def read(token):\n    return jwt.decode(token, KEY, algorithms=["none"])\n',
     JWT_HEAD + 'def read(token):\n    return jwt.decode(token, KEY, algorithms=[ALGORITHM])\n', False),
    ("PY512", "digests.py",
     HASH_HEAD + 'def token_digest(token):\n    return hashlib.md5(token.encode()).hexdigest()\n\n\n'
     "def verify_signature(data, signature):\n    return hashlib.new('SHA1', data).digest() == signature\n\n\n"
     'def sign(key, data, padding):\n    return key.sign(data, padding, hashes.MD5())\n',
     HASH_HEAD + 'def token_digest(token):\n    return hashlib.sha256(token.encode()).hexdigest()\n\n\n'
     "def verify_signature(data, signature):\n    return hashlib.new('sha256', data).digest() == signature\n\n\n"
     'def sign(key, data, padding):\n    return key.sign(data, padding, hashes.SHA256())\n', False),
    ("PY512", "updates.py",  # the finding is on the update; the constructor is what changes
     HASH_HEAD + 'def cert_fingerprint(cert):\n    h = hashes.Hash(hashes.SHA1())\n    h.update(cert)\n'
     '    return h.finalize()\n\n\ndef session_digest(session):\n    m = hashlib.sha1()\n    m.update(session)\n'
     '    return m.hexdigest()\n',
     HASH_HEAD + 'def cert_fingerprint(cert):\n    h = hashes.Hash(hashes.SHA256())\n    h.update(cert)\n'
     '    return h.finalize()\n\n\ndef session_digest(session):\n    m = hashlib.sha256()\n    m.update(session)\n'
     '    return m.hexdigest()\n', False),
    ("IAC140", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Uploads:  # user files\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: uploads\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Uploads:  # user files\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: AES256\n      BucketName: uploads\n', True),
    ("IAC144", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/shop}\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      PointInTimeRecoverySpecification:\n        PointInTimeRecoveryEnabled: true\n      BillingMode: PAY_PER_REQUEST\n      SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: alias/shop}\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n', True),
    ("IAC146", "template.yaml",
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Events:\n    Type: AWS::SNS::Topic\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: false  # was off\n',
     'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Events:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: alias/aws/sns\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: true  # was off\n', True),
    ('IAC150', 'sg.yaml', SG_YAML, SG_YAML_FIXED, False),
    ('IAC150', 'params.yaml', SG_YAML_PARAMS, SG_YAML_PARAMS_FIXED, False),
    ('IAC150', 'sg.json', SG_JSON, SG_JSON_FIXED, False),
    ('IAC150', 'params.json', SG_JSON_PARAMS, SG_JSON_PARAMS_FIXED, False),
    ('IAC140', 'buckets.json', S3_JSON, S3_JSON_FIXED, True),
    ('IAC144', 'tables.json', PITR_JSON, PITR_JSON_FIXED, True),
    ('IAC146', 'queues.json', SQS_JSON, SQS_JSON_FIXED, True),
    ("AND102", "app/src/main/AndroidManifest.xml",
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="30" />\n    <application android:label="Shop">\n    </application>\n</manifest>\n',
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="30" />\n    <application android:allowBackup="false" android:label="Shop">\n    </application>\n</manifest>\n', True),
    ("AND102", "app/src/main/AndroidManifest.xml",  # the document calls Android's namespace `a`
     '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:a="http://schemas.android.com/apk/res/android">\n'
     '    <uses-sdk a:targetSdkVersion="30" />\n    <application a:label="Shop">\n    </application>\n</manifest>\n',
     '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:a="http://schemas.android.com/apk/res/android">\n'
     '    <uses-sdk a:targetSdkVersion="30" />\n    <application a:allowBackup="false" a:label="Shop">\n'
     '    </application>\n</manifest>\n', True),
    ("AND104", "app/src/main/res/xml/network_security_config.xml",
     '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n    <base-config cleartextTrafficPermitted="true" />\n</network-security-config>\n',
     '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n    <base-config cleartextTrafficPermitted="false" />\n</network-security-config>\n', True),
    ("AND109", "app/src/main/AndroidManifest.xml",
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false">\n        <service android:name=".Sync" android:exported="true" />\n    </application>\n</manifest>\n',
     MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false">\n        <service android:name=".Sync" android:exported="false" />\n    </application>\n</manifest>\n', False),
]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd)


def rule_count(repo: Path, rule: str) -> int:
    proc = cli("scan", ".", "--format", "json", "--fail-on", "none", "-j", "1", "-q", "--select", rule, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return sum(1 for f in json.loads(proc.stdout)["findings"] if f["rule_id"] == rule and not f["suppression"])


def content(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as written: line endings are part of what a fix must keep


def make_repo(tmp_path: Path, name: str, text: str) -> Path:
    repo = tmp_path / "repo"
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    if name.startswith("app/"):  # an Android application module: its Gradle build says so and sets targetSdk
        (repo / "app/build.gradle").write_text(
            "plugins {\n    id 'com.android.application'\n}\n\nandroid {\n    defaultConfig {\n"
            "        applicationId \"com.example.shop\"\n        targetSdkVersion 30\n    }\n}\n")
    if name.endswith(".xml") and "network_security_config" in name:  # the manifest that makes it the app's config
        (repo / "app/src/main/AndroidManifest.xml").write_text(
            MANIFEST_HEAD + '    <uses-sdk android:targetSdkVersion="33" />\n    <application android:allowBackup="false" '
            'android:networkSecurityConfig="@xml/network_security_config" />\n</manifest>\n')
    return repo


def test_every_fixer_has_a_case():
    assert {c[0] for c in CASES} == set(fixes.fixable_rules())


@pytest.mark.parametrize("rule, name, before, after, safe", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_fix_removes_the_finding_and_gives_the_expected_file(tmp_path, rule, name, before, after, safe):
    repo = make_repo(tmp_path, name, before)
    found = rule_count(repo, rule)
    assert found >= 1, f"{rule} does not fire on the case: the test would prove nothing"
    flags = ["--select", rule] + ([] if safe else ["--unsafe-fixes"])
    if not safe:  # without the flag an unsafe fix is only offered
        proc = cli("fix", ".", "--select", rule, cwd=repo)
        assert proc.returncode == 0 and content(repo / name) == before, proc.stderr
        assert "unsafe" in proc.stderr
    proc = cli("fix", ".", *flags, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert content(repo / name) == after
    assert rule_count(repo, rule) == 0
    again = cli("fix", ".", *flags, cwd=repo)  # idempotent: nothing left to fix, nothing changes
    assert again.returncode == 0 and "fixed 0 findings" in again.stderr
    assert content(repo / name) == after


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("fix", ".", "--diff", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert f"--- a/{name}" in proc.stdout
    assert '-    return requests.post(url, json=body, auth=("shop", key), verify=False)' in proc.stdout
    assert '+    return requests.post(url, json=body, auth=("shop", key))' in proc.stdout
    assert (repo / name).read_text() == before


def test_shapes_a_fixer_is_not_sure_of_are_left_alone(tmp_path):
    text = ('import subprocess\nfrom flask import make_response\n\nFLAGS = {"secure": False}\n\ndef v(cmd):\n'
            '    r = make_response("ok")\n    r.set_cookie("sid", "x", **FLAGS)\n'
            '    subprocess.run("tar czf /tmp/a.tgz /srv/* | gzip", shell=True)\n    return r\n')
    repo = make_repo(tmp_path, "mixed.py", text)
    proc = cli("fix", ".", "--unsafe-fixes", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "mixed.py").read_text() == text


@pytest.mark.parametrize("rule, text", [
    # no key: verification cannot work until a human says which key
    ("PY501", 'import jwt\n\ndef read(token):\n    return jwt.decode(token, options={"verify_signature": False})\n'),
    # the module signs with no visible algorithm (here: it does not sign at all): never guessed
    ("PY501", 'import jwt\n\ndef read(token, key):\n    return jwt.decode(token, key, options={"verify_signature": False})\n'),
    # two algorithms signed with: which one the decode should accept is a human's call
    ("PY501", 'import jwt\n\ndef a(c, k):\n    return jwt.encode(c, k, algorithm="HS256")\n\ndef b(c, k):\n'
              '    return jwt.encode(c, k, algorithm="RS256")\n\ndef read(t, k):\n'
              '    return jwt.decode(t, k, options={"verify_signature": False})\n'),
    # the options arrive in a variable
    ("PY501", 'import jwt\n\nOPTS = {"verify_signature": False}\n\ndef read(token, key):\n'
              '    return jwt.decode(token, key, algorithms=["HS256"], options=OPTS)\n'),
    # the weak function is imported by name: the import would have to change too
    ("PY512", 'from hashlib import md5\n\ndef token_digest(token):\n    return md5(token).hexdigest()\n'),
    # TLS verification off through a name, not the literal False: the switch is a human's to remove
    ("PY505", 'import requests\n\nINSECURE = False\n\ndef make_session():\n    session = requests.Session()\n'
              '    session.verify = INSECURE\n    return session\n'),
    ("PY505", 'import aiohttp\n\nCHECK = False\n\ndef connector():\n    return aiohttp.TCPConnector(ssl=CHECK)\n'),
    # `verify_ssl=False` outside aiohttp: InfluxDB's client defaults to False, so removing it would fix nothing
    ("PY505", 'from influxdb import InfluxDBClient\n\n'
              'client = InfluxDBClient("db.internal", 8086, ssl=True, verify_ssl=False)\n'),
])
def test_python_shapes_without_a_certain_fix_are_left_alone(tmp_path, rule, text):
    repo = make_repo(tmp_path, "mod.py", text)
    assert rule_count(repo, rule) == 1, "the case must be a finding, or leaving it alone proves nothing"
    proc = cli("fix", ".", "--unsafe-fixes", "--select", rule, cwd=repo)
    assert proc.returncode == 0 and "fixed 0 findings" in proc.stderr, proc.stderr
    assert (repo / "mod.py").read_text() == text


def test_a_file_changed_since_the_scan_is_not_written(tmp_path, catalog):
    from threatscan.scan import ScanOptions, run_scan

    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    result = run_scan(ScanOptions(paths=[str(repo)], root=repo), catalog)
    [planned] = fixes.plan(result.findings, repo)
    (repo / name).write_text(before + "# edited meanwhile\n")
    with pytest.raises(fixes.ChangedSinceScan):
        fixes.write(planned, repo)
    assert (repo / name).read_text() == before + "# edited meanwhile\n"


def test_a_file_changed_between_the_scan_and_the_plan_gets_no_fix(tmp_path, catalog):
    """The finding's position belongs to the text the scan saw: on an edited file it would point elsewhere."""
    from threatscan.scan import ScanOptions, run_scan

    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    result = run_scan(ScanOptions(paths=[str(repo)], root=repo), catalog)
    edited = before.replace("def pay(url, body, key):", "def pay(url, body, key):\n    audit(url)")
    (repo / name).write_text(edited)
    [planned] = fixes.plan(result.findings, repo)
    assert planned.stale and planned.applied == [] and planned.fixed == edited


def test_sarif_replacement_covers_the_changed_lines():
    r = fixes.replacement("import x\na = f(x, verify=False)\nb = 2\n", "import x\na = f(x)\nb = 2\n")
    assert (r.start_line, r.start_column, r.end_line, r.end_column, r.inserted) == (2, 1, 3, 1, "a = f(x)\n")
    r = fixes.replacement("A:\n  B: 1\n", "A:\n  C: 2\n  B: 1\n")  # an inserted line deletes nothing
    assert (r.start_line, r.start_column, r.end_line, r.end_column, r.inserted) == (2, 1, 2, 1, "  C: 2\n")


def test_sarif_results_carry_their_fixes(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("scan", ".", "--format", "sarif", "--fail-on", "none", "-q", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    [result] = [r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"].startswith("PY505")]
    [change] = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == name
    [rep] = change["replacements"]
    lines = before.splitlines(keepends=True)
    region = rep["deletedRegion"]
    kept = "".join(lines[:region["startLine"] - 1]) + rep["insertedContent"]["text"] + "".join(lines[region["endLine"] - 1:])
    assert kept == after


def test_markdown_summary_says_how_many_findings_have_a_fix(tmp_path):
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli("scan", ".", "--format", "markdown", "--fail-on", "none", "-q", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "1 of these findings have a fix (1 safe): run `threatscan fix`" in proc.stdout


# --- `threatscan scan --fix` ------------------------------------------------------------------------------------

MIXED = ('import requests\nfrom flask import make_response\n\ndef pay(url, body, key):\n'
         '    r = make_response(requests.post(url, json=body, auth=("shop", key), verify=False).text)\n'
         '    r.set_cookie("sid", "x", secure=True, httponly=True, samesite="None")\n    return r\n')


def _rules(report: str) -> list[str]:
    return sorted(f["rule_id"] for f in json.loads(report)["findings"] if not f["suppression"])


def test_scan_fix_reports_and_exits_on_what_is_left(tmp_path):
    repo = make_repo(tmp_path, "pay.py", MIXED)
    before = cli("scan", ".", "--format", "json", "--select", "PY505,PY303", cwd=repo)
    assert before.returncode == 1 and _rules(before.stdout) == ["PY303", "PY505"]  # verify=False is high
    proc = cli("scan", ".", "--fix", "--format", "json", "--select", "PY505,PY303", cwd=repo)
    assert proc.returncode == 0, proc.stderr  # the high finding was fixed; the low one left does not fail the gate
    assert _rules(proc.stdout) == ["PY303"]  # the unsafe samesite fix waits for --unsafe-fixes
    assert "fixed 1 findings in 1 files; 1 more with unsafe fixes" in proc.stderr
    text = (repo / "pay.py").read_text()
    assert "verify=False" not in text and 'samesite="None"' in text
    proc = cli("scan", ".", "--fix", "--unsafe-fixes", "--format", "sarif", "--select", "PY505,PY303", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["runs"][0]["results"] == []
    assert (repo / "pay.py").read_text() == MIXED.replace(", verify=False", "").replace('"None"', '"Lax"')


def test_scan_fix_gates_on_findings_that_have_no_fix(tmp_path):
    text = ('import yaml\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n@app.route("/calc")\n'
            'def calc():\n    return str(eval(request.args["q"])), yaml.load(request.data)\n')
    repo = make_repo(tmp_path, "calc.py", text)
    proc = cli("scan", ".", "--fix", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr  # eval has no fix: it is still reported and still fails the gate
    assert "PY106" not in _rules(proc.stdout) and _rules(proc.stdout)
    assert "yaml.safe_load(request.data)" in (repo / "calc.py").read_text()


def test_unsafe_fixes_without_fix_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path, "pay.py", MIXED)
    proc = cli("scan", ".", "--unsafe-fixes", cwd=repo)
    assert proc.returncode == 2 and "--fix" in proc.stderr
    assert (repo / "pay.py").read_text() == MIXED


@pytest.mark.parametrize("command", [("fix", "."), ("scan", ".", "--fix", "--format", "json")])
def test_a_fix_that_leaves_its_finding_is_undone(tmp_path, monkeypatch, command):
    """A fixer that changes the file without removing the finding (here: one that only adds a comment): the
    re-scan sees the finding again, the file is restored, and the exit code says so."""
    fixes.fixable_rules()
    real = fixes.FIXERS["PY505"]
    monkeypatch.setitem(fixes.FIXERS, "PY505", fixes.Fixer("PY505", real.description, True,
                                                           lambda text, finding: text + "# touched\n"))
    rule, name, before, after, _ = CASES[4]
    repo = make_repo(tmp_path, name, before)
    proc = cli(*command, "--select", "PY505", cwd=repo)
    assert proc.returncode == 1
    assert "did not remove its finding; the file was restored" in proc.stderr
    assert (repo / name).read_text() == before
    if command[0] == "scan":
        assert _rules(proc.stdout) == ["PY505"]


@pytest.mark.parametrize("name, text, rule", [
    # not strict JSON (a trailing comma, which the scan's YAML reader accepts): the positions cannot be trusted
    ("buckets.json", '{\n  "Resources": {\n    "Logs": {"Type": "AWS::S3::Bucket"},\n  }\n}\n', "IAC140"),
    # all traffic from anywhere (a public load balancer's group): the ports want narrowing, not the source
    ("alb.yaml", ('Resources:\n  PublicLoadBalancerSG:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n'
                  '      GroupDescription: alb\n      SecurityGroupIngress:\n'
                  '          # Allow access to ALB from anywhere on the internet\n'
                  '          - CidrIp: 0.0.0.0/0\n            IpProtocol: -1\n'), "IAC150"),
    ("alb.json", ('{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": "sg-1",'
                  ' "IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": "0.0.0.0/0"}}}}\n'), "IAC150"),
    # the CIDR is chosen by a condition: which side to change is a human's call
    ("sg.yaml", ('Conditions:\n  Open: !Equals [a, a]\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n'
                 '    Properties:\n      GroupDescription: x\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n'
                 '          FromPort: 22\n          ToPort: 22\n          CidrIp: !If [Open, 0.0.0.0/0, 10.0.0.0/8]\n'),
     "IAC150"),
])
def test_template_shapes_without_a_certain_fix_are_left_alone(tmp_path, name, text, rule):
    repo = make_repo(tmp_path, name, text)
    assert rule_count(repo, rule) >= 1, "the case must be a finding, or leaving it alone proves nothing"
    proc = cli("fix", ".", "--unsafe-fixes", "--select", rule, cwd=repo)
    assert proc.returncode == 0 and "fixed 0 findings" in proc.stderr, proc.stderr
    assert content(repo / name) == text


def test_sarif_fix_of_a_template_parameter_is_two_replacements(tmp_path):
    """The parameter goes before Resources and the rule uses it further down: two replacements, which applied
    to the scanned file give the fixed one."""
    repo = make_repo(tmp_path, "sg.json", SG_JSON)
    proc = cli("scan", ".", "--format", "sarif", "--fail-on", "none", "-q", "--select", "IAC150", cwd=repo)
    log = json.loads(proc.stdout)
    assert validate_schema(log) == []
    (tmp_path / "fix.sarif").write_text(proc.stdout)
    validate_multitool(tmp_path / "fix.sarif")
    [result] = log["runs"][0]["results"]
    [fix] = result["fixes"]
    assert "unsafe" in fix["description"]["text"]
    [change] = fix["artifactChanges"]
    lines = SG_JSON.splitlines(keepends=True)
    reps = change["replacements"]
    assert len(reps) == 2
    for rep in sorted(reps, key=lambda r: r["deletedRegion"]["startLine"], reverse=True):
        region = rep["deletedRegion"]
        inserted = rep.get("insertedContent", {}).get("text", "")
        lines[region["startLine"] - 1:region["endLine"] - 1] = inserted.splitlines(keepends=True)
    assert "".join(lines) == SG_JSON_FIXED



def test_a_fix_whose_text_would_show_a_secret_is_left_out_of_sarif(tmp_path):
    token = "ghp_" + "Zq8vX3pL9mK2aB7cD4eF6gH1iJ0kL5mN8oP2"  # built here so that this file holds no token
    text = ('import requests\n\ndef ping(url):\n'
            f'    return requests.get(url, headers={{"X-Api-Key": "{token}"}}, verify=False)\n')
    repo = make_repo(tmp_path, "ping.py", text)
    proc = cli("scan", ".", "--format", "sarif", "--fail-on", "none", "-q", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert token not in proc.stdout
    [result] = [r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"].startswith("PY505")]
    assert "fixes" not in result  # a masked fix would be wrong, an unmasked one would leak
    proc = cli("fix", ".", "--diff", cwd=repo)
    assert "verify=False" in proc.stdout and token not in proc.stdout
    proc = cli("fix", ".", "--select", "PY505", cwd=repo)  # applying it is fine: the secret stays where it was
    assert proc.returncode == 0 and content(repo / "ping.py") == text.replace(", verify=False", "")


@pytest.mark.parametrize("before, after", [
    ("f(x, y)\n", "f(x, y, new=True)\n"),
    ("f(x,)\n", "f(x, new=True,)\n"),
    ("f(\n    x,  # c\n)\n", "f(\n    x,  # c\n    new=True,\n)\n"),
    ("f(\n    x,\n    y,  # c\n)\n", "f(\n    x,\n    y,  # c\n    new=True,\n)\n"),
])
def test_an_added_keyword_follows_the_call_layout_and_leaves_comments_on_their_lines(before, after):
    import libcst as cst

    from threatscan.fix.python import _add_keyword

    module = cst.parse_module(before)
    call = module.body[0].body[0].value
    assert module.deep_replace(call, _add_keyword(call, "new", cst.Name("True"))).code == after


def test_replacements_of_a_long_file_of_repeated_lines_stay_cheap_and_exact():
    """difflib alone is quadratic on repeated lines (a template's `}`): only the changed middle is matched."""
    old = "{\n" + "  }\n" * 30_000
    new = "{\n" + '  "P": 1,\n' + "  }\n" * 20_000 + "  x\n" + "  }\n" * 10_000
    reps = fixes.replacements(old, new)
    lines = old.splitlines(keepends=True)
    for rep in sorted(reps, key=lambda r: r.start_line, reverse=True):
        lines[rep.start_line - 1:rep.end_line - 1] = rep.inserted.splitlines(keepends=True)
    assert "".join(lines) == new
    moved = fixes.moved_lines(old, new)
    assert moved[1] == 1 and moved[30_001] == 30_003



def test_show_fixes_marks_each_fix_safe_or_unsafe_and_writes_nothing(tmp_path):
    """One rule, two kinds: dropping "none" beside a real algorithm is safe; replacing a lone "none" is not."""
    text = (JWT_HEAD + "def read(token):\n    return jwt.decode(token, KEY, algorithms=['HS256', 'none'])\n\n\n"
            'def peek(token):\n    return jwt.decode(token, KEY, algorithms=["none"])\n')
    repo = make_repo(tmp_path, "auth.py", text)
    proc = cli("fix", ".", "--show-fixes", "--select", "PY502", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "auth.py:14:12: PY502 [safe] drop `\"none\"` from the accepted algorithms (unsigned tokens are rejected)",
        "auth.py:18:12: PY502 [unsafe] accept the algorithm this module signs with instead of `\"none\"` (unsigned "
        "tokens are rejected)",
    ]
    assert content(repo / "auth.py") == text
    proc = cli("fix", ".", "--select", "PY502", cwd=repo)  # without the flag only the safe one is applied
    assert "fixed 1 findings in 1 files; 1 more with unsafe fixes" in proc.stderr
    assert "algorithms=['HS256'])" in content(repo / "auth.py") and 'algorithms=["none"]' in content(repo / "auth.py")


def test_an_opt_in_switch_keeps_its_fix_unsafe_whatever_severity_the_configuration_gives(tmp_path):
    """The switch is what makes verifying anyway a human's call, not the low severity the rule gives it: a team that
    raises PY505 to high in its configuration still gets the fix only with --unsafe-fixes."""
    before = ('import requests\n\n\ndef make_session(validate_certs=True):\n    session = requests.Session()\n'
              '    if not validate_certs:\n        session.verify = False\n    return session\n')
    repo = make_repo(tmp_path, "opt_in.py", before)
    (repo / ".threatscan.toml").write_text('severity = { PY505 = "high" }\n')
    proc = cli("fix", ".", "--show-fixes", "--select", "PY505", cwd=repo)
    assert proc.returncode == 0 and "PY505 [unsafe]" in proc.stdout, proc.stdout + proc.stderr
    assert cli("fix", ".", "--select", "PY505", cwd=repo).returncode == 0
    assert content(repo / "opt_in.py") == before
