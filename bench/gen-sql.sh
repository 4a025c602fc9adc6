#!/usr/bin/env bash
# gen-sql.sh N: print an sqlite3 script that creates a table and then runs N
# INSERTs, each in its own (autocommit) transaction, with sqlite's defaults
# (journal_mode=DELETE, synchronous=FULL): each one is a durable commit.
set -euo pipefail
n=$1
echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB);'
echo 'CREATE INDEX t_k ON t(k);'
for ((i = 1; i <= n; i++)); do
	echo "INSERT INTO t(k, v) VALUES('key-$i', randomblob(200));"
done
echo 'SELECT count(*) FROM t;'
