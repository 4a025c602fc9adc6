# from the AWS docs
client = boto3.client("s3", aws_access_key_id="AKIAI44QH8DHBEXAMPLE", aws_secret_access_key="je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
