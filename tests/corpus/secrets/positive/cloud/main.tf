provider "aws" {
  region     = "us-west-2"
  access_key = "AKIAAIL4LVWVMSPC57UV"
  secret_key = "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"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
}
