"""Data at rest: S3, RDS/Aurora, DynamoDB, SQS/SNS, EBS, EFS, Kinesis, ElastiCache, OpenSearch, Redshift,
DocumentDB, Neptune, log groups (rules IAC140-IAC149); AWS-managed keys where a customer-managed key belongs:
Secrets Manager, CloudTrail, ECR, MSK, Timestream (IAC170)."""

from __future__ import annotations

from ..context import IacContext, at_key
from ....lang.iac.model import UNKNOWN, Template, as_bool, as_int, as_list, dig, is_intrinsic, is_no_value, is_off, literal
from ..registry import iac_check

AT_REST = "Unencrypted data at rest"


@iac_check("IAC140")
def s3_without_encryption(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::S3::Bucket"):
        if r.props.get("BucketEncryption") is None:
            ctx.report(r, f"{AT_REST}: bucket `{r.logical_id}` declares no `BucketEncryption`; it gets only S3's "
                          "default SSE-S3, with no key policy of its own.")


PUBLIC_ACLS = ("PublicRead", "PublicReadWrite", "AuthenticatedRead")
BLOCK_KEYS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


@iac_check("IAC141")
def s3_public_access(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::S3::Bucket"):
        acl = literal(r.props.get("AccessControl"), template)
        if acl in PUBLIC_ACLS:
            ctx.report(r, f"Data exposed: bucket `{r.logical_id}` has the public "
                          f"canned ACL `{acl}`.", container=r.props, key="AccessControl", value=True)
            continue
        block = r.props.get("PublicAccessBlockConfiguration")
        if isinstance(block, dict) and not is_intrinsic(block):
            # within a PublicAccessBlockConfiguration, a setting left out is false
            off = [k for k in BLOCK_KEYS if as_bool(block.get(k), template) in (False, None)]
            if off:
                ctx.report(r, f"Data exposed: bucket `{r.logical_id}` turns off "
                              f"{', '.join(f'`{k}`' for k in off)}, so public policies or ACLs can expose it.",
                           container=block if off[0] in block else r.props,
                           key=off[0] if off[0] in block else "PublicAccessBlockConfiguration")


def _aurora(engine) -> bool:
    return isinstance(engine, str) and engine.startswith("aurora")


@iac_check("IAC142")
def rds_without_encryption(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        p = r.props
        if r.type == "AWS::RDS::DBInstance" and ("DBClusterIdentifier" in p or _aurora(literal(p.get("Engine"), template))):
            continue  # an Aurora instance: its cluster decides
        if r.type == "AWS::RDS::DBInstance" and ("SourceDBInstanceIdentifier" in p or "DBSnapshotIdentifier" in p):
            continue  # replicas and restores inherit encryption
        if r.type == "AWS::RDS::DBCluster" and literal(p.get("EngineMode"), template) == "serverless":
            continue  # Aurora Serverless v1 is always encrypted
        encrypted = as_bool(p.get("StorageEncrypted"), template)
        if encrypted is True or encrypted is UNKNOWN or "KmsKeyId" in p:
            continue
        where = at_key(p, "StorageEncrypted")
        kind = "database cluster" if r.type.endswith("DBCluster") else "database instance"
        ctx.report(r, f"{AT_REST}: {kind} `{r.logical_id}` stores its data unencrypted (`StorageEncrypted` is not "
                      "true); snapshots and backups are unencrypted too.", **where)


@iac_check("IAC143")
def rds_publicly_accessible(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::RDS::DBInstance"):
        if as_bool(r.props.get("PubliclyAccessible"), template) is True:
            ctx.report(r, f"Exposed to the Internet: database instance `{r.logical_id}` is "
                          "publicly accessible from the Internet.", container=r.props, key="PubliclyAccessible")


# The recovery point each store can reach: DynamoDB and RDS point-in-time recovery restore to a moment a few
# minutes before the failure (their latest restorable time trails by up to about 5 minutes); S3 versioning keeps
# every overwritten or deleted object version.
PITR_LAG_MINUTES = 5


@iac_check("IAC144")
def dynamodb_without_pitr(template: Template, ctx: IacContext) -> None:
    rpo = int(ctx.scan.policy.rpo_minutes or 5)
    msg = f"Data loss beyond the recovery point objective (rpo-minutes {rpo})"
    short = rpo < PITR_LAG_MINUTES  # even point-in-time recovery cannot promise this
    for r in template.of_type("AWS::DynamoDB::Table"):
        enabled = as_bool(dig(r.props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), template)
        if enabled is UNKNOWN or (enabled is True and not short):
            continue
        spec = r.props.get("PointInTimeRecoverySpecification")
        where = dict(container=spec, key="PointInTimeRecoveryEnabled") if isinstance(spec, dict) and spec else {}
        if enabled is True:
            ctx.report(r, f"{msg}: table `{r.logical_id}` restores to at best about {PITR_LAG_MINUTES} minutes before a "
                          f"failure, longer than the policy's {rpo} minutes.", **where)
            continue
        ctx.report(r, f"{msg}: table `{r.logical_id}` has no point-in-time recovery; a bad write or deletion can only "
                      "be undone from the last on-demand backup.", **where)
    for r in template.of_type("AWS::DynamoDB::GlobalTable"):
        for replica in as_list(r.props.get("Replicas")):
            if not isinstance(replica, dict) or is_intrinsic(replica):
                continue
            if is_off(dig(replica, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), template):
                ctx.report(r, f"{msg}: a replica of global table `{r.logical_id}` has no point-in-time recovery.",
                           container=replica, key="Region")
    for r in template.of_type("AWS::Serverless::SimpleTable"):
        ctx.report(r, f"{msg}: `AWS::Serverless::SimpleTable` `{r.logical_id}` cannot enable point-in-time recovery; "
                      "use `AWS::DynamoDB::Table` with `PointInTimeRecoverySpecification`.")
    for r in template.of_type("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        if r.props.get("SourceDBInstanceIdentifier") is not None or r.props.get("SourceDBClusterIdentifier") is not None:
            continue  # a read replica: its source keeps the backups
        if r.type == "AWS::RDS::DBInstance" and r.props.get("DBClusterIdentifier") is not None:
            continue  # an Aurora instance: the cluster keeps the backups
        retention = as_int(r.props.get("BackupRetentionPeriod"), template) if "BackupRetentionPeriod" in r.props else 1
        if retention is UNKNOWN or not isinstance(retention, int):
            continue
        if retention == 0:
            ctx.report(r, f"{msg}: `{r.logical_id}` keeps no automated backups (`BackupRetentionPeriod: 0`), so it has no "
                          "point-in-time recovery at all.", container=r.props, key="BackupRetentionPeriod", value=True)
        elif short:
            ctx.report(r, f"{msg}: `{r.logical_id}` restores to at best about {PITR_LAG_MINUTES} minutes before a failure "
                          f"(point-in-time recovery), longer than the policy's {rpo} minutes.")
    if "rpo-minutes" in ctx.scan.policy.stated:
        # Buckets without versioning lose overwritten and deleted objects for good; only checked when the threat
        # model states an RPO, since many buckets (logs, build artefacts) need none.
        for r in template.of_type("AWS::S3::Bucket"):
            status = literal(dig(r.props, "VersioningConfiguration", "Status"), template)
            if status is UNKNOWN or status == "Enabled":
                continue
            ctx.report(r, f"{msg}: bucket `{r.logical_id}` has no versioning, so an overwritten or deleted object cannot "
                          "be recovered at all.")
@iac_check("IAC145")
def dynamodb_without_kms(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
        enabled = as_bool(dig(r.props, "SSESpecification", "SSEEnabled"), template)
        if enabled is True or enabled is UNKNOWN:
            continue
        ctx.report(r, f"{AT_REST}: table `{r.logical_id}` is encrypted only with an AWS-owned key "
                      "(`SSESpecification.SSEEnabled` is not true), outside your key policies and audit trail.")


@iac_check("IAC146")
def queue_topic_without_encryption(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::SQS::Queue"):
        if "KmsMasterKeyId" in r.props:
            continue
        if as_bool(r.props.get("SqsManagedSseEnabled"), template) is False:
            ctx.report(r, f"{AT_REST}: queue `{r.logical_id}` turns server-side encryption off "
                          "(`SqsManagedSseEnabled: false`, no `KmsMasterKeyId`); SQS would otherwise encrypt it "
                          "with SSE-SQS, its default since 2022.",
                       container=r.props, key="SqsManagedSseEnabled")
    for r in template.of_type("AWS::SNS::Topic"):
        key = r.props.get("KmsMasterKeyId")
        if key is None or is_no_value(key):
            ctx.report(r, f"{AT_REST}: topic `{r.logical_id}` stores messages unencrypted (no `KmsMasterKeyId`); "
                          "unlike SQS, SNS does not encrypt topics by default.")


@iac_check("IAC147")
def ebs_without_encryption(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::EC2::Volume"):
        if is_off(r.props.get("Encrypted"), template):
            where = at_key(r.props, "Encrypted")
            ctx.report(r, f"{AT_REST}: EBS volume `{r.logical_id}` is not encrypted.", **where)
    for r in template.of_type("AWS::EC2::Instance", "AWS::EC2::LaunchTemplate"):
        mappings = r.props.get("BlockDeviceMappings") if r.type == "AWS::EC2::Instance" else dig(
            r.props, "LaunchTemplateData", "BlockDeviceMappings")
        for m in as_list(mappings) if mappings is not UNKNOWN else []:
            ebs = m.get("Ebs") if isinstance(m, dict) else None
            if isinstance(ebs, dict) and not is_intrinsic(ebs) and as_bool(ebs.get("Encrypted"), template) in (None, False):
                where = dict(container=ebs, key="Encrypted") if "Encrypted" in ebs else dict(container=m, key="Ebs")
                ctx.report(r, f"{AT_REST}: a block device of `{r.logical_id}` is not encrypted.", **where)


@iac_check("IAC148")
def data_store_without_encryption(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        p = r.props
        t = r.type
        if t == "AWS::EFS::FileSystem" and is_off(p.get("Encrypted"), template):
            ctx.report(r, f"{AT_REST}: EFS file system `{r.logical_id}` is not encrypted (`Encrypted` is not true; "
                          "EFS does not encrypt by default when created from a template).", **at_key(p, "Encrypted"))
        elif t == "AWS::Kinesis::Stream":
            enc = p.get("StreamEncryption")
            if enc is None or is_no_value(enc):
                ctx.report(r, f"{AT_REST}: Kinesis stream `{r.logical_id}` has no `StreamEncryption`, so records sit "
                              "unencrypted.")
        elif t == "AWS::ElastiCache::ReplicationGroup" and is_off(p.get("AtRestEncryptionEnabled"), template):
            ctx.report(r, f"{AT_REST}: ElastiCache replication group `{r.logical_id}` does not encrypt data at rest "
                          "(`AtRestEncryptionEnabled` is not true), nor its backups.",
                       **at_key(p, "AtRestEncryptionEnabled"))
        elif t in ("AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"):
            opts = p.get("EncryptionAtRestOptions")
            if opts is UNKNOWN or is_intrinsic(opts):
                continue
            if is_off(dig(opts, "Enabled"), template):
                ctx.report(r, f"{AT_REST}: search domain `{r.logical_id}` does not encrypt its indices at rest "
                              "(`EncryptionAtRestOptions.Enabled` is not true).",
                           **(at_key(opts, "Enabled") or at_key(p, "EncryptionAtRestOptions")))
        elif t == "AWS::Redshift::Cluster" and is_off(p.get("Encrypted"), template) and "KmsKeyId" not in p:
            ctx.report(r, f"{AT_REST}: Redshift cluster `{r.logical_id}` is not encrypted (`Encrypted` is not true).",
                       **at_key(p, "Encrypted"))
        elif t in ("AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster") and is_off(p.get("StorageEncrypted"), template) \
                and "KmsKeyId" not in p and "SnapshotIdentifier" not in p:
            kind = "DocumentDB" if "DocDB" in t else "Neptune"
            ctx.report(r, f"{AT_REST}: {kind} cluster `{r.logical_id}` stores its data unencrypted "
                          "(`StorageEncrypted` is not true).", **at_key(p, "StorageEncrypted"))


@iac_check("IAC149")
def log_group_without_kms(template: Template, ctx: IacContext) -> None:
    for r in template.of_type("AWS::Logs::LogGroup"):
        key = r.props.get("KmsKeyId")
        if key is None or is_no_value(key):
            ctx.report(r, f"{AT_REST}: log group `{r.logical_id}` is encrypted only with CloudWatch's own key (no "
                          "`KmsKeyId`), so no key policy of yours decides who can read what the functions log.")


NO_CMK = "Data at rest without a customer-managed key"  # encrypted, but under AWS's key, not the owner's


def _key_state(value, template) -> str | None:
    """"absent", "aws-managed" (an `alias/aws/...` key), or None when a key of the customer's (or a hidden value)
    is given."""
    if value is None or is_no_value(value):
        return "absent"
    text = literal(value, template)
    if isinstance(text, str) and text.startswith("alias/aws/"):
        return "aws-managed"
    return None


@iac_check("IAC170")
def aws_managed_key_only(template: Template, ctx: IacContext) -> None:
    for r in template.resources.values():
        p, t = r.props, r.type
        if t == "AWS::SecretsManager::Secret":
            state = _key_state(p.get("KmsKeyId"), template)
            if state:
                ctx.report(r, f"{NO_CMK}: secret `{r.logical_id}` is encrypted with the AWS-managed key "
                              "`aws/secretsmanager` (no customer-managed `KmsKeyId`), so any principal whose IAM policy "
                              "allows `GetSecretValue` can read it and it cannot be shared with another account.",
                           **at_key(p, "KmsKeyId"))
        elif t == "AWS::CloudTrail::Trail":
            # CloudFormation spells it `KMSKeyId`; a CDK `CfnTrail(kms_key_id=...)` arrives as `KmsKeyId`
            key = "KMSKeyId" if "KMSKeyId" in p else "KmsKeyId"
            state = _key_state(p.get(key), template)
            if state:
                ctx.report(r, f"{NO_CMK}: trail `{r.logical_id}` leaves its log files encrypted only with S3-managed "
                              "keys (SSE-S3, CloudTrail's default; no `KMSKeyId`), so whoever can read the bucket reads "
                              "the audit trail.", **at_key(p, key))
        elif t == "AWS::ECR::Repository":
            enc = p.get("EncryptionConfiguration")
            if enc is UNKNOWN or is_intrinsic(enc):
                continue
            kind = literal(dig(enc, "EncryptionType"), template) if isinstance(enc, dict) else None
            if kind is UNKNOWN or kind in ("KMS", "KMS_DSSE"):
                continue
            ctx.report(r, f"{NO_CMK}: repository `{r.logical_id}` stores its images with AES-256 and S3-managed keys "
                          "(ECR's default; `EncryptionType` is not `KMS`), outside any key policy of yours.",
                       **(at_key(enc, "EncryptionType") if isinstance(enc, dict) else {}))
        elif t == "AWS::MSK::Cluster":
            rest = dig(p, "EncryptionInfo", "EncryptionAtRest")
            if rest is UNKNOWN or is_intrinsic(rest):
                continue
            key = "DataVolumeKMSKeyId"
            state = _key_state(rest.get(key) if isinstance(rest, dict) else None, template)
            if state:
                ctx.report(r, f"{NO_CMK}: Kafka cluster `{r.logical_id}` encrypts its broker volumes with the "
                              "AWS-managed key `aws/kafka` (no `EncryptionAtRest.DataVolumeKMSKeyId`).",
                           **(at_key(rest, key) if isinstance(rest, dict) else {}))
        elif t == "AWS::Timestream::Database":
            state = _key_state(p.get("KmsKeyId"), template)
            if state:
                ctx.report(r, f"{NO_CMK}: Timestream database `{r.logical_id}` is encrypted with the AWS-managed key "
                              "`aws/timestream` (no customer-managed `KmsKeyId`).", **at_key(p, "KmsKeyId"))
