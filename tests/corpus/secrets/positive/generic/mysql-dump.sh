#!/bin/sh
mysqldump -u root -p'ENjpv7dpEwhTMZQgQ6VFx' shop > shop.sql
