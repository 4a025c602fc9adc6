#!/bin/sh
# temporary credentials from sts assume-role
export AWS_ACCESS_KEY_ID=ASIAC54QGP7JYT3PNNWU
