"""`manage.py ensure_bucket`: create the object-storage bucket if it does not exist (compose's
MinIO starts empty). Does nothing when documents are stored on the local disk."""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the S3 bucket named by AWS_STORAGE_BUCKET_NAME if it is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        bucket_name = getattr(settings, "AWS_STORAGE_BUCKET_NAME", "")
        if not bucket_name:
            self.stdout.write("Documents are stored on the local disk (DATA_DIR/media): no bucket needed.")
            return
        client = default_storage.connection.meta.client
        try:
            client.head_bucket(Bucket=bucket_name)
            self.stdout.write(f"Bucket {bucket_name} exists.")
        except ClientError:
            region = getattr(settings, "AWS_S3_REGION_NAME", None)
            extra = (
                {"CreateBucketConfiguration": {"LocationConstraint": region}}
                if region not in (None, "us-east-1")
                else {}
            )
            client.create_bucket(Bucket=bucket_name, **extra)
            self.stdout.write(f"Created bucket {bucket_name}.")
