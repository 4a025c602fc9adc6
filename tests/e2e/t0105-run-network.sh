#!/bin/bash
# The network of guardfs run and exec: by default a namespace of the
# sandbox's own, served by slirp4netns, so the agent still reaches the
# network but no abstract Unix socket of the host (an X server, a bus, an
# IDE's helper) and nothing on the host's loopback; --network=no cuts it,
# --network=host shares the host's, as before.
. "$(dirname "$0")/lib.sh"

command -v bwrap >/dev/null || { echo "FAIL: bwrap missing (apt install bubblewrap)"; exit 1; }
command -v slirp4netns >/dev/null || { echo "FAIL: slirp4netns missing (apt install slirp4netns)"; exit 1; }

R=$T/root
B=$T/bin # the test's tools, shown read-only in the sandbox
mkdir -p "$R" "$B"
echo hello >"$R/a.txt"
printf '[guard]\nroot = %s\n[run]\nro = %s\n' "$R" "$B" >"$T/cfg.ini"
chmod 600 "$T/cfg.ini"

# The host's first IPv4 address that is not loopback (nor slirp4netns's
# own 10.0.2.0/24), or nothing.
host_addr() {
	python3 - <<'EOF'
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _, name in socket.if_nameindex():
    try:
        raw = fcntl.ioctl(s.fileno(), 0x8915,  # SIOCGIFADDR
                          struct.pack("256s", name.encode()[:15]))
    except OSError:
        continue
    ip = socket.inet_ntoa(raw[20:24])
    if not ip.startswith(("127.", "10.0.2.")):
        print(ip)
        break
EOF
}

# Servers on the host: an abstract Unix socket, TCP on the loopback and
# TCP on the host's address; each says "pong" to whoever connects. Their
# TCP ports go to $T/ports.
cat >"$B/serve.py" <<'EOF'
import selectors, socket, sys
name, ext, out = sys.argv[1], sys.argv[2], sys.argv[3]
sel = selectors.DefaultSelector()
a = socket.socket(socket.AF_UNIX)
a.bind(b"\0" + name.encode())
ports = []
for host in ["127.0.0.1"] + ([ext] if ext else []):
    t = socket.socket()
    t.bind((host, 0))
    ports.append(str(t.getsockname()[1]))
    t.listen(16)
    sel.register(t, selectors.EVENT_READ)
a.listen(16)
sel.register(a, selectors.EVENT_READ)
with open(out + ".tmp", "w") as f:
    f.write(" ".join(ports) + "\n")
import os
os.rename(out + ".tmp", out)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.sendall(b"pong\n")
        c.close()
EOF

# NAME KIND TARGET...: connects to each (abstract NAME, or tcp HOST:PORT)
# and prints NAME=pong, or NAME=<errno name>.
cat >"$B/connect.py" <<'EOF'
import errno, socket, sys
args = sys.argv[1:]
for i in range(0, len(args), 3):
    name, kind, target = args[i:i + 3]
    if kind == "abstract":
        s, addr = socket.socket(socket.AF_UNIX), b"\0" + target.encode()
    else:
        host, port = target.rsplit(":", 1)
        s, addr = socket.socket(socket.AF_INET), (host, int(port))
    s.settimeout(5)
    try:
        s.connect(addr)
        r = s.recv(16).decode().strip() or "empty"
    except socket.timeout:
        r = "timeout"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    print("%s=%s" % (name, r))
EOF

ABSTRACT=gfs-t0103-$$
EXT=$(host_addr)
python3 "$B/serve.py" "$ABSTRACT" "$EXT" "$T/ports" &
daemons+=($!)
for _ in $(seq 100); do
	[ -s "$T/ports" ] && break
	sleep 0.05
done
read -r LO_PORT EXT_PORT <"$T/ports"
targets=(abstract abstract "$ABSTRACT" loopback tcp "127.0.0.1:$LO_PORT"
	gateway tcp "10.0.2.2:$LO_PORT")
[ -n "$EXT" ] && targets+=(external tcp "$EXT:$EXT_PORT")

# connections NETWORK-ARGS...: what each target answers from inside exec
connections() {
	"$GUARDFS" exec "$@" -- /usr/bin/python3 "$B/connect.py" "${targets[@]}" |
		paste -sd' '
}

# Without the sandbox everything answers: the checks below cannot pass
# for want of a server.
check_eq "outside: the abstract socket answers" abstract=pong \
	"$(python3 "$B/connect.py" abstract abstract "$ABSTRACT")"
check_eq "outside: the loopback answers" loopback=pong \
	"$(python3 "$B/connect.py" loopback tcp "127.0.0.1:$LO_PORT")"

cd "$R" || exit 1
check "mount" gfs_mount "$R" -c "$T/cfg.ini"

# --- the default: a network of its own ---------------------------------------
out=$(connections)
check_eq "exec: the host's abstract socket is refused" abstract=ECONNREFUSED \
	"$(echo "$out" | grep -o 'abstract=[A-Za-z]*')"
check_eq "exec: the host's loopback is not the sandbox's" loopback=ECONNREFUSED \
	"$(echo "$out" | grep -o 'loopback=[A-Za-z]*')"
check_eq "exec: nor is it reachable through the gateway" gateway=ENETUNREACH \
	"$(echo "$out" | grep -o 'gateway=[A-Za-z]*')"
if [ -n "$EXT" ]; then
	check_eq "exec: the host's address $EXT is reached" external=pong \
		"$(echo "$out" | grep -o 'external=[A-Za-z]*')"
else
	echo "no non-loopback address on this host: the external check is skipped"
fi
check_eq "exec: an interface besides lo" "lo tap0" \
	"$("$GUARDFS" exec -- sh -c "grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :' | sort | paste -sd' '")"
check_eq "exec: a default route through it (gateway 10.0.2.2)" "tap0 0202000A" \
	"$("$GUARDFS" exec -- awk '$2 == "00000000" {print $1, $3}' /proc/net/route)"
check_eq "exec: the project is still there" hello "$("$GUARDFS" exec -- cat a.txt)"
check_eq "run: the host's abstract socket is refused" abstract=ECONNREFUSED \
	"$("$GUARDFS" run -c "$T/cfg.ini" -- /usr/bin/python3 "$B/connect.py" abstract abstract "$ABSTRACT")"

# --- --network=host: the host's, as before; --network=no: none ----------------
out=$(connections --network=host)
check_eq "exec --network=host: the abstract socket answers" abstract=pong \
	"$(echo "$out" | grep -o 'abstract=[A-Za-z]*')"
check_eq "exec --network=host: the loopback answers" loopback=pong \
	"$(echo "$out" | grep -o 'loopback=[A-Za-z]*')"
out=$(connections --network=no)
check_eq "exec --network=no: the abstract socket is refused" abstract=ECONNREFUSED \
	"$(echo "$out" | grep -o 'abstract=[A-Za-z]*')"
check_eq "exec --network=no: no route out" gateway=ENETUNREACH \
	"$(echo "$out" | grep -o 'gateway=[A-Za-z]*')"
check_eq "exec --network=no: only lo" lo \
	"$("$GUARDFS" exec --network=no -- sh -c "grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :'")"

# --- a resolver on the host's loopback (dnsmasq, systemd-resolved) ----------
# The sandbox's own loopback is not the host's: its resolv.conf names
# slirp4netns's forwarder instead, which asks the host's resolver. Tried
# in a mount namespace of the test's own, whose /etc/resolv.conf names a
# resolver the test serves on 127.77.N.1: first a plain file, then a link
# into /run (systemd-resolved's layout), which the sandbox does not show.
cat >"$B/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").close()
while True:  # every A question is answered 192.0.2.77
    q, peer = s.recvfrom(512)
    end = 12
    while q[end]:
        end += q[end] + 1
    qtype = struct.unpack(">H", q[end + 1:end + 3])[0]
    answer = b""
    if qtype == 1:
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
            socket.inet_aton("192.0.2.77")
    s.sendto(q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1 if answer else 0,
                                 0, 0) + q[12:end + 5] + answer, peer)
EOF
DNS_ADDR=127.77.$(($$ % 250 + 1)).1 # (one of its own, beside a real one)
python3 "$B/dns.py" "$DNS_ADDR" "$T/dns-ready" &
daemons+=($!)
for _ in $(seq 100); do [ -e "$T/dns-ready" ] && break; sleep 0.05; done
printf "nameserver %s\noptions timeout:2 attempts:1\n" "$DNS_ADDR" >"$T/resolv.conf"
mkdir -p "$T/etc" && cp -a /etc/. "$T/etc/" && rm -f "$T/etc/resolv.conf" &&
	ln -s ../run/gfs-t0103/stub-resolv.conf "$T/etc/resolv.conf"
cat >"$T/private-ns.sh" <<'EOF'
# LAYOUT G: in this mount namespace only, /etc/resolv.conf names the
# test's resolver; prints what resolves outside, then inside exec.
if [ "$1" = file ]; then
	mount --bind "$T/resolv.conf" /etc/resolv.conf
else
	mount --bind "$T/etc" /etc && mount -t tmpfs tmpfs /run &&
		mkdir -p /run/gfs-t0103 && cp "$T/resolv.conf" /run/gfs-t0103/stub-resolv.conf
fi || exit 1
echo "outside=$(getent hosts gfs-t0103.example | awk '{print $1}')"
"$2" exec -- sh -c 'echo "inside=$(getent hosts gfs-t0103.example | cut -d" " -f1)"
	echo "nameserver=$(grep ^nameserver /etc/resolv.conf)"'
EOF
for layout in file link; do
	out=$(T=$T unshare -m --propagation private sh "$T/private-ns.sh" $layout "$GUARDFS" | paste -sd' ')
	check_eq "$layout resolv.conf on the loopback: resolved, outside and inside" \
		"outside=192.0.2.77 inside=192.0.2.77 nameserver=nameserver 10.0.2.3" "$out"
done
# A resolv.conf others may not read is private like the rest of /etc:
# not shown, and not rewritten into the sandbox either (guardfs, as
# root, could read it).
printf "nameserver %s\nsearch private-corp-4242.internal\n" "$DNS_ADDR" >"$T/resolv-private.conf"
chmod 600 "$T/resolv-private.conf"
out=$(unshare -m --propagation private sh -c '
	mount --bind "$1" /etc/resolv.conf || exit 1
	"$2" exec -- sh -c "if grep -q private-corp /etc/resolv.conf 2>/dev/null; then echo shown; else echo hidden; fi"' \
	sh "$T/resolv-private.conf" "$GUARDFS")
check_eq "a private resolv.conf with a loopback resolver: nothing of it inside" hidden "$out"

# --- [run] network in the config, and the flag over it ----------------------
check "umount" gfs_umount "$R"
for value in host no yes; do
	printf '[guard]\nroot = %s\n[run]\nro = %s\nnetwork = %s\n' "$R" "$B" "$value" >"$T/cfg-$value.ini"
	chmod 600 "$T/cfg-$value.ini"
done
check_eq "[run] network = host: the abstract socket answers" abstract=pong \
	"$("$GUARDFS" run -c "$T/cfg-host.ini" -- /usr/bin/python3 "$B/connect.py" abstract abstract "$ABSTRACT")"
check_eq "[run] network = no: only lo" lo \
	"$("$GUARDFS" run -c "$T/cfg-no.ini" -- sh -c "grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :'")"
check_eq "[run] network = no, --network=yes: its own" "lo tap0" \
	"$("$GUARDFS" run -c "$T/cfg-no.ini" --network=yes -- sh -c "grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :' | sort | paste -sd' '")"
check_eq "[run] network = host, --network=yes: the abstract socket is refused" abstract=ECONNREFUSED \
	"$("$GUARDFS" run -c "$T/cfg-host.ini" --network=yes -- /usr/bin/python3 "$B/connect.py" abstract abstract "$ABSTRACT")"
check_eq "--print shows the helper" 1 \
	"$("$GUARDFS" run -c "$T/cfg-yes.ini" --print -- true | grep -c '^# .*slirp4netns .*--disable-host-loopback')"
check_eq "--print --network=host: no helper, no --unshare-net" 0 \
	"$("$GUARDFS" run -c "$T/cfg-yes.ini" --print --network=host -- true | grep -c 'slirp4netns\|--unshare-net')"
check_eq "bad --network" \
	"guardfs: bad value 'maybe' for --network (expected yes, no or host)" \
	"$("$GUARDFS" exec --network=maybe -- true 2>&1)"
check "mount again" gfs_mount "$R" -c "$T/cfg.ini"

# --- slirp4netns's lifetime: it goes with guardfs, however guardfs goes --------
# helper_of PID: the slirp4netns child of guardfs PID (5 s at most)
helper_of() {
	local c
	for _ in $(seq 100); do
		for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = slirp4netns ] && { echo "$c"; return 0; }
		done
		sleep 0.05
	done
	return 1
}
# alive PID: a process that is neither gone nor a zombie
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
gone_within_2s() {
	for _ in $(seq 40); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}
"$GUARDFS" exec -- sleep 1 &
g=$!
helper=$(helper_of "$g")
check "exec: slirp4netns runs beside the sandbox" test -n "$helper"
wait "$g"
check "exec: slirp4netns ended with the command" gone_within_2s "${helper:-0}"
"$GUARDFS" exec -- sleep 30 &
g=$!
helper=$(helper_of "$g")
check "exec: slirp4netns runs beside the sandbox (to be killed)" test -n "$helper"
kill -9 "$g"
exec 3>&2 2>/dev/null # (bash's "Killed" notice)
wait "$g"
exec 2>&3 3>&-
check "guardfs killed with SIGKILL: slirp4netns went with it" gone_within_2s "${helper:-0}"

# --- no slirp4netns, or one that fails: a clear error, nothing run -----------
mkdir -p "$T/nohelper" "$T/badhelper"
ln -s "$(command -v bwrap)" "$T/nohelper/bwrap"
ln -s "$(command -v bwrap)" "$T/badhelper/bwrap"
printf '#!/bin/sh\necho "open(\\"/dev/net/tun\\"): No such device" >&2\nexit 1\n' >"$T/badhelper/slirp4netns"
chmod 755 "$T/badhelper/slirp4netns"
check_eq "no slirp4netns: the error says what to install or choose" \
	"guardfs: slirp4netns not found in PATH: the sandbox's own network needs it (apt install slirp4netns); or choose --network=no (none) or --network=host (the host's, abstract sockets included)" \
	"$(PATH=$T/nohelper "$GUARDFS" exec -- /usr/bin/touch ran 2>&1)"
check_eq "no slirp4netns: exit 1, nothing ran" "1 ENOENT" \
	"$(PATH=$T/nohelper "$GUARDFS" exec -- /usr/bin/touch ran >/dev/null 2>&1; echo "$?" "$(probe stat "$R/ran")")"
check_eq "no slirp4netns: --network=no still works" ok \
	"$(PATH=$T/nohelper "$GUARDFS" exec --network=no -- /bin/sh -c 'echo ok')"
check_eq "a failing slirp4netns: its words, then guardfs's" \
	"open(\"/dev/net/tun\"): No such device|guardfs: slirp4netns could not give the sandbox its network (see above); --network=no runs the command without network" \
	"$(PATH=$T/badhelper "$GUARDFS" exec -- /usr/bin/touch ran 2>&1 | paste -sd'|')"
check_eq "a failing slirp4netns: exit 1, nothing ran" "1 ENOENT" \
	"$(PATH=$T/badhelper "$GUARDFS" exec -- /usr/bin/touch ran >/dev/null 2>&1; echo "$?" "$(probe stat "$R/ran")")"
cd "$T" || exit 1
check "umount" gfs_umount "$R"
is_mounted() { grep -q " $R fuse.guardfs " /proc/mounts; }
check_eq "run without slirp4netns: refused before mounting" 1 \
	"$(PATH=$T/nohelper "$GUARDFS" run -c "$T/cfg.ini" -- /usr/bin/true >/dev/null 2>&1; echo $?)"
check_fails "run without slirp4netns: nothing mounted" is_mounted
check_eq "run with a failing slirp4netns: exit 1" 1 \
	"$(PATH=$T/badhelper "$GUARDFS" run -c "$T/cfg.ini" -- /usr/bin/true >/dev/null 2>&1; echo $?)"
check_fails "run with a failing slirp4netns: unmounted what it mounted" is_mounted
test_done
