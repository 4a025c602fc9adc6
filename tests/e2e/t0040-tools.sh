#!/bin/bash
# Real tools inside the mount: git, make with a C compiler, sqlite.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R"
check "mount" gfs_mount "$R" "$R"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_CONFIG_NOSYSTEM=1

# git: init, commit, status, clone, branch switching.
cd "$R" || exit 1
check "git init" git init -q -b main repo
cd repo || exit 1
printf 'int main(void) { return 0; }\n' >main.c
check "git add" git add main.c
check "git commit" git commit -qm first
check_eq "git status clean" "" "$(git status --porcelain)"
echo change >>main.c
check_eq "git status sees a change" " M main.c" "$(git status --porcelain)"
check "git commit -a" git commit -qam second
check "git checkout -b" git checkout -q -b topic
echo topic >topic.txt
git add topic.txt && git commit -qm topic
check "git switch back" git checkout -q main
check_fails "topic file gone on main" test -e topic.txt
check "git fsck" git fsck --no-progress
cd "$R" || exit 1
check "git clone inside the mount" git clone -q repo clone
check_eq "clone log" "second first" "$(git -C clone log --format=%s | tr '\n' ' ' | sed 's/ $//')"
check "git gc" git -C clone gc -q

# make: a small C project built in parallel.
mkdir -p "$R/proj"
cd "$R/proj" || exit 1
for i in $(seq 1 20); do
	printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"f$i.c"
done
{
	printf 'int main(void) { return '
	for i in $(seq 1 20); do printf 'f%d() + ' "$i"; done
	printf '0 - 210; }\n'
	for i in $(seq 1 20); do printf 'int f%d(void);\n' "$i"; done
} >main.c
sed -i '1{h;d};$G' main.c # declarations before main
cat >Makefile <<'MK'
SRCS := $(wildcard *.c)
prog: $(SRCS:.c=.o)
	$(CC) -o $@ $^
%.o: %.c
	$(CC) -c -O1 -o $@ $<
clean:
	rm -f *.o prog
MK
check "make -j2" make -s -j2
check "the program runs" ./prog
check "make is up to date" bash -c 'make -q'
check "make clean" make -s clean
check_fails "objects gone" test -e f1.o

# sqlite: transactions, WAL, rollback, locking.
cd "$R" || exit 1
{
	echo 'PRAGMA journal_mode=WAL;'
	echo 'CREATE TABLE t(x INTEGER);'
	for i in $(seq 1 300); do echo "BEGIN; INSERT INTO t VALUES($i); COMMIT;"; done
	echo 'BEGIN; INSERT INTO t VALUES(-1); ROLLBACK;'
} | sqlite3 "$R/db.sqlite3" >/dev/null
check_eq "sqlite sum after 300 transactions" 45150 \
	"$(sqlite3 "$R/db.sqlite3" 'SELECT sum(x) FROM t;')"
check_eq "sqlite integrity" ok "$(sqlite3 "$R/db.sqlite3" 'PRAGMA integrity_check;')"
{
	echo 'PRAGMA journal_mode=DELETE;'
	for i in $(seq 1 100); do echo "BEGIN; INSERT INTO t VALUES(1); COMMIT;"; done
} | sqlite3 "$R/db.sqlite3" >/dev/null
check_eq "sqlite rollback journal mode" 400 \
	"$(sqlite3 "$R/db.sqlite3" 'SELECT count(*) FROM t;')"
# Two writers: one holds a write transaction, the other must see it busy.
(
	sqlite3 "$R/db.sqlite3" <<SQL >/dev/null 2>&1
BEGIN IMMEDIATE;
INSERT INTO t VALUES(0);
SELECT writefile('$T/held', 'x');
SELECT 1 FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c WHERE n < 3000000) SELECT count(*) FROM c);
COMMIT;
SQL
) &
writer=$!
for _ in $(seq 100); do [ -e "$T/held" ] && break; sleep 0.05; done
err=$(sqlite3 -cmd '.timeout 0' "$R/db.sqlite3" 'BEGIN IMMEDIATE; COMMIT;' 2>&1)
check "a second writer sees the lock" grep -q "database is locked" <<<"$err"
wait "$writer"
cd /
check "umount" gfs_umount "$R"
check "the repository is intact without the mount" git -C "$R/repo" fsck --no-progress
test_done
