import boto3


def client():
    return boto3.client(
        "s3",
        aws_access_key_id="AKIAYMZON5RNXXRBWA7V",
        aws_secret_access_key="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",
    )
