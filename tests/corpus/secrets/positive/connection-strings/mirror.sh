#!/bin/sh
wget -m https://mirror:5hrrhSUeTo20J2iExo@files.acme.dev/releases/
