#!/bin/bash
# guardfs run and exec for an ordinary user: bubblewrap in a user namespace
# (where the kernel allows it), fusermount3 made harmless by no_new_privs.
. "$(dirname "$0")/lib.sh"

as_ordinary_user
command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }
if ! as_user bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
	# The error this kernel earns is checked, then nothing else can run.
	echo "the kernel refuses user namespaces to $U: checking the error only"
fi

user_dir
as_user mkdir -p "$UD/root" "$UD/home/.ssh" "$UD/home/.aws" "$UD/run" "$UD/bin"
as_user chmod 700 "$UD/run"
cp "$GUARDFS" "$GFS_PROBE" "$UD/bin/"
as_user sh -c "echo hi >'$UD/root/a.txt'; echo K=1 >'$UD/root/.env';
	echo key >'$UD/home/.ssh/id_rsa'; echo secret >'$UD/home/.aws/credentials'"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$UD/root" "$UD/bin" |
	as_user sh -c "cat >'$UD/cfg.ini'"

envs=(env HOME="$UD/home" XDG_RUNTIME_DIR="$UD/run" XDG_STATE_HOME="$UD/home/state"
	XDG_DATA_HOME="$UD/home/data" XDG_CONFIG_HOME="$UD/home/config"
	GITHUB_TOKEN=fixture)
is_mounted() { grep -q " $UD/root fuse.guardfs " /proc/mounts; }
in_root() { as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$UD/root" "${envs[@]}" "$@"; }

if ! as_user bwrap --unshare-user --ro-bind / / true 2>/dev/null; then
	check "mount" in_root "$GUARDFS" mount "$UD/root"
	err=$(in_root "$GUARDFS" exec -- true 2>&1)
	case "$err" in
	*"user namespaces"*) check_eq "the error says what to enable" ok ok ;;
	*) check_eq "the error says what to enable" "...user namespaces..." "$err" ;;
	esac
	check "umount" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"
	test_done
	exit
fi

# An abstract Unix socket of the host (a bus, an X server): reachable by
# the user outside, not from inside the sandbox's own network.
ABSTRACT=gfs-t0101-$$
cat >"$UD/bin/abstract.py" <<'EOF'
import errno, socket, sys
s = socket.socket(socket.AF_UNIX)
if sys.argv[1] == "serve":
    s.bind(b"\0" + sys.argv[2].encode())
    s.listen(8)
    open(sys.argv[3], "w").close()
    while True:
        s.accept()[0].close()
try:
    s.connect(b"\0" + sys.argv[2].encode())
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
EOF
python3 "$UD/bin/abstract.py" serve "$ABSTRACT" "$T/serving" &
daemons+=($!)
for _ in $(seq 100); do [ -e "$T/serving" ] && break; sleep 0.05; done
check_eq "user outside: the abstract socket answers" ok \
	"$(as_user python3 "$UD/bin/abstract.py" connect "$ABSTRACT")"

cat >"$UD/bin/inside.sh" <<'EOF'
P=$(dirname "$0")/gfs_probe
echo "ssh=$($P read "$HOME/.ssh/id_rsa")"
echo "aws=$($P read "$HOME/.aws/credentials")"
echo "store=$($P stat "$XDG_DATA_HOME/guardfs")"
echo "socket=$($P connect "$XDG_RUNTIME_DIR/guardfs/$DPID.sock")"
echo "procfd=$($P stat "/proc/$DPID/fd")"
echo "kill=$($P kill "$DPID")"
echo "fusermount=$(fusermount3 -u -z "$PWD" >/dev/null 2>&1 && echo ok || echo refused)"
echo "umount=$("$(dirname "$0")/guardfs" umount --lazy "$PWD" >/dev/null 2>&1 && echo ok || echo refused)"
echo "nnp=$(grep NoNewPrivs /proc/self/status | tr -d ' \t')"
echo "userns=$(unshare -U -r true >/dev/null 2>&1 && echo ok || echo refused)"
echo "dotenv=$($P read .env)"
echo "project=$(cat a.txt)"
echo "write=$(echo new >new.txt && cat new.txt)"
echo "home=$($P open "$HOME/planted" wc)"
echo "env_github=${GITHUB_TOKEN-unset}"
echo "abstract=$(/usr/bin/python3 "$(dirname "$0")/abstract.py" connect "$ABSTRACT")"
echo "ifaces=$(grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :' | sort | paste -sd,)"
echo "route=$(awk '$2 == "00000000" {print $1}' /proc/net/route)"
exit 9
EOF

check "user mounts" in_root "$GUARDFS" mount -c "$UD/cfg.ini"
DPID=$(as_user "${envs[@]}" "$GUARDFS" status --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["mounts"][0]["pid"])')
in_root DPID="$DPID" ABSTRACT="$ABSTRACT" "$GUARDFS" exec -c "$UD/cfg.ini" -- sh "$UD/bin/inside.sh" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/err"
check_eq "exec as the user: exit status" 9 "$rc"
for line in ssh=ENOENT aws=ENOENT store=ENOENT socket=ENOENT procfd=ENOENT \
	kill=ESRCH fusermount=refused umount=refused nnp=NoNewPrivs:1 \
	userns=refused dotenv=ENOENT project=hi write=new home=ok env_github=unset \
	abstract=ECONNREFUSED ifaces=lo,tap0 route=tap0; do
	check_eq "user exec: ${line%%=*}" "$line" "$(grep "^${line%%=*}=" "$T/out")"
done
check "user: the mount survived" is_mounted
check "user: the daemon survived" kill -0 "$DPID"
check_eq "user: the write went through the mount" new "$(as_user cat "$UD/root/new.txt")"
check_eq "user: the home's write did not persist" ENOENT "$(probe stat "$UD/home/planted")"
check "user unmounts" as_user "${envs[@]}" "$GUARDFS" umount "$UD/root"

# run as the user mounts, runs and unmounts
check_eq "user run: exit status" 4 "$(in_root "$GUARDFS" run -c "$UD/cfg.ini" -- sh -c 'cat a.txt >/dev/null && exit 4' >/dev/null 2>&1; echo $?)"
check_fails "user run: unmounted what it mounted" is_mounted
test_done
