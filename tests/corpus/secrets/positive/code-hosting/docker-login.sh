#!/bin/sh
echo "$0: logging in"
docker login -u acmebot -p dckr_pat_s89OoZEk6m8MihTA6VR-NGlpdz2
