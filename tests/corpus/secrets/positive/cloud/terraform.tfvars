region = "eu-west-1"
instance_type = "t3.micro"
aws_access_key = "AKIAK2G2KDCYUD5QSILW"
