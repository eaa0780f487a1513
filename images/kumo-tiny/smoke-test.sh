#!/usr/bin/env bash
# images/kumo-tiny/smoke-test.sh [IMAGEDIR]
#
# Boots the kumo-tiny image for real (QEMU, TCG, direct kernel boot) and checks the guest contract:
# DHCP, metadata (instance-id, hostname, every public key, #! user-data once per instance), SSH with
# ed25519 and RSA keys, console fingerprints + ready line, reboot from inside (SSH comes back, user-data
# not run again, same host keys), Ctrl-Alt-Del through QMP, ACPI power button (QMP system_powerdown)
# and `poweroff` making QEMU exit with a cleanly unmounted root filesystem, and a missing root disk
# powering off with a message. Prints boot-to-SSH times for 1 vCPU/256 MiB and 2 vCPU/512 MiB.
#
# Runs as root. IMAGEDIR (default $KUMO_IMAGE_DIR or /var/cache/kumo/images/kumo-tiny) is built
# first with build.sh (a no-op when it is up to date). Networking lives only in a throwaway network
# namespace (bridge 10.0.0.1/24, tap, dnsmasq, a metadata server on 169.254.169.254:80); the
# machine's own namespace is not touched. Everything started here is stopped on exit, whatever happens.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE="${1:-${KUMO_IMAGE_DIR:-/var/cache/kumo/images/kumo-tiny}}"
[ "$(id -u)" = 0 ] || {
	echo "run as root" >&2
	exit 1
}
for tool in qemu-system-x86_64 qemu-img ip dnsmasq python3 ssh ssh-keygen ssh-keyscan socat dumpe2fs; do
	command -v "$tool" >/dev/null || {
		echo "missing $tool" >&2
		exit 1
	}
done

"$HERE/build.sh" "$IMAGE"
IMAGE="$(cd "$IMAGE" && pwd)"
CMDLINE="$(sed -n 's/.*"kernelCmdline": "\(.*\)",*$/\1/p' "$IMAGE/manifest.json")"

NS="kt-img-$$"
BR=ktbr0
TAP=kttap0
MAC=52:54:00:12:34:56
GUEST=10.0.0.10
INSTANCE_ID=i-0123456789abcdef0
HOSTNAME_MD=ip-10-0-0-10.kumo.internal
T="$(mktemp -d /tmp/kt-img.XXXXXX)"
PIDS=()       # processes started here (qemu, dnsmasq, metadata server), killed on exit
QEMU_PID=""
FAILED=0

say() { printf '\033[1m== %s\033[0m\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
bad() {
	printf '   FAIL: %s\n' "$*"
	FAILED=1
}

cleanup() {
	set +e
	local pid
	for pid in "${PIDS[@]}" $QEMU_PID; do
		kill "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in "${PIDS[@]}" $QEMU_PID; do
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	# Anything else still inside our namespace was started by us (through the processes above).
	if ip netns list | grep -qw "$NS"; then
		for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$NS"
	fi
	# KUMO_SMOKE_LOGS=DIR keeps the consoles and server logs for a look afterwards.
	if [ -n "${KUMO_SMOKE_LOGS:-}" ]; then
		mkdir -p "$KUMO_SMOKE_LOGS" && cp "$T"/*.console "$T"/*.log "$KUMO_SMOKE_LOGS/" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { ip netns exec "$NS" "$@"; }
# Background processes are started with `ip netns exec` itself, not through in_ns: it execs the
# program, so $! is the program's own pid and killing it really stops it (a function run with &
# is a subshell whose death would leave the program running).
NSEXEC=(ip netns exec "$NS")

# --- network namespace: bridge + tap + DHCP + metadata -------------------------------------------
say "network namespace $NS"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 169.254.169.254/32 dev lo
ip -n "$NS" link add "$BR" type bridge
ip -n "$NS" addr add 10.0.0.1/24 dev "$BR"
ip -n "$NS" link set "$BR" up
ip -n "$NS" tuntap add dev "$TAP" mode tap
ip -n "$NS" link set "$TAP" master "$BR" up

"${NSEXEC[@]}" dnsmasq --no-daemon --conf-file=/dev/null --interface="$BR" --bind-interfaces \
	--dhcp-range=10.0.0.10,10.0.0.200 --dhcp-host="$MAC,$GUEST" --dhcp-option=option:router,10.0.0.1 \
	--port=0 --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" >"$T/dnsmasq.log" 2>&1 &
PIDS+=($!)

ssh-keygen -q -t ed25519 -N '' -C kt-ed25519 -f "$T/id_ed25519"
ssh-keygen -q -t rsa -b 3072 -N '' -C kt-rsa -f "$T/id_rsa"
MD="$T/md/latest/meta-data"
mkdir -p "$MD/public-keys/0" "$MD/public-keys/1"
echo -n "$INSTANCE_ID" >"$MD/instance-id"
echo -n "$HOSTNAME_MD" >"$MD/local-hostname"
# http.server serves index.html for a directory: that is the EC2 listing "0=name\n1=name".
printf '0=kt-ed25519\n1=kt-rsa' >"$MD/public-keys/index.html"
cp "$T/id_ed25519.pub" "$MD/public-keys/0/openssh-key"
cp "$T/id_rsa.pub" "$MD/public-keys/1/openssh-key"
printf '#!/bin/sh\necho hello > /root/hello.txt\n' >"$T/md/latest/user-data"
# The real interpreter, not a wrapper script (pyenv shims), for the same reason.
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
"${NSEXEC[@]}" "$PYTHON" -u -m http.server --bind 169.254.169.254 --directory "$T/md" 80 >"$T/metadata.log" 2>&1 &
PIDS+=($!)

# --- helpers ----------------------------------------------------------------------------------------
SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=1 -o LogLevel=ERROR)
gssh() { in_ns ssh "${SSH_OPTS[@]}" -i "$T/id_ed25519" "root@$GUEST" "$@"; }

# boot NAME SMP MEM [extra qemu args...]: starts QEMU on $T/NAME.qcow2 (created as an overlay on the
# image if missing), console in $T/NAME.console; sets QEMU_PID and BOOT_T0.
boot() {
	local name="$1" smp="$2" mem="$3"
	shift 3
	[ -e "$T/$name.qcow2" ] || qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE/disk.qcow2" "$T/$name.qcow2"
	: >"$T/$name.console"
	BOOT_T0="$(date +%s.%N)"
	"${NSEXEC[@]}" qemu-system-x86_64 -machine pc -accel tcg -m "$mem" -smp "$smp" -nodefaults -display none \
		-serial "file:$T/$name.console" \
		-kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" -append "$CMDLINE" \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=$MAC" \
		-drive "file=$T/$name.qcow2,if=virtio,format=qcow2" \
		-qmp "unix:$T/$name.qmp,server=on,wait=off" "$@" </dev/null >"$T/$name.qemu.log" 2>&1 &
	QEMU_PID=$!
}

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# wait_ssh TIMEOUT: until SSH with the ed25519 key works; prints the seconds since BOOT_T0.
wait_ssh() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if gssh true 2>/dev/null; then
			since "$BOOT_T0"
			return 0
		fi
		kill -0 "$QEMU_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# wait_exit TIMEOUT: until QEMU exits.
wait_exit() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		kill -0 "$QEMU_PID" 2>/dev/null || {
			wait "$QEMU_PID" 2>/dev/null || true
			QEMU_PID=""
			return 0
		}
		sleep 0.2
	done
	return 1
}

qmp() { # qmp NAME JSON...: capabilities handshake, then the commands
	local sock="$T/$1.qmp"
	shift
	{
		echo '{"execute":"qmp_capabilities"}'
		for c in "$@"; do echo "$c"; done
		sleep 1
	} | socat -t 2 - "UNIX-CONNECT:$sock"
}

# fs_state NAME: the ext4 state field of the overlay's filesystem ("clean" after a clean shutdown).
fs_state() {
	qemu-img convert -f qcow2 -O raw "$T/$1.qcow2" "$T/$1.raw"
	dumpe2fs -h "$T/$1.raw" 2>/dev/null | awk -F': *' '/^Filesystem state/ { print $2 }'
	rm -f "$T/$1.raw"
}

show_console() { sed 's/^/   | /' "$T/$1.console" | tail -n "${2:-40}"; }

# --- boot 1: 1 vCPU, 256 MiB --------------------------------------------------------------------------
say "boot 1: 1 vCPU, 256 MiB, fresh overlay"
boot a 1 256
if t1="$(wait_ssh 120)"; then ok "SSH (ed25519 key) answered ${t1}s after QEMU start"; else
	bad "no SSH within 120 s"
	show_console a
	exit 1
fi

for _ in $(seq 50); do grep -q 'kumo-tiny: ready' "$T/a.console" && break; sleep 0.2; done
if grep -q "^kumo-tiny: ready instance-id=$INSTANCE_ID ip=$GUEST" "$T/a.console"; then ok "console: $(grep -a 'kumo-tiny: ready' "$T/a.console" | tr -d '\r')"; else bad "no ready line"; fi
ok "guest uptime at the ready line: $(grep -a 'kumo-tiny: up' "$T/a.console" | cut -d' ' -f3)"
fps="$(tr -d '\r' <"$T/a.console" | sed -n '/^-----BEGIN SSH HOST KEY FINGERPRINTS-----$/,/^-----END SSH HOST KEY FINGERPRINTS-----$/p' | sed '1d;$d')"
scanned="$(in_ns ssh-keyscan -t ed25519,ecdsa "$GUEST" 2>/dev/null | ssh-keygen -lf - | awk '{ print $2 }' | sort || true)"
if [ -n "$fps" ] && [ "$(echo "$fps" | awk '{ print $2 }' | sort)" = "$scanned" ]; then
	ok "console host key fingerprints match ssh-keyscan:"
	echo "$fps" | sed 's/^/   | /'
else
	bad "console fingerprints [$fps] differ from ssh-keyscan [$scanned]"
fi

hello=""
for _ in $(seq 60); do hello="$(gssh cat /root/hello.txt 2>/dev/null)" && break; sleep 0.5; done
if [ "$hello" = hello ]; then ok "user-data ran: ssh ... cat /root/hello.txt -> $hello"; else bad "no /root/hello.txt ($hello)"; fi

rsa="$(in_ns ssh "${SSH_OPTS[@]}" -i "$T/id_rsa" "root@$GUEST" 'cat /root/hello.txt; id -u' 2>&1 | tr '\n' ' ' || true)"
if [ "$rsa" = "hello 0 " ]; then ok "RSA key (metadata index 1) logs in as root: $rsa"; else bad "RSA login: $rsa"; fi

facts="$(gssh 'hostname; cat /var/lib/kumo-init/'"$INSTANCE_ID"'.done; echo $(stat -c %a /root/.ssh /root/.ssh/authorized_keys); wc -l < /root/.ssh/authorized_keys; cat /etc/resolv.conf; ip route | grep default; grep -c "user-data started" /var/log/user-data.log; cat /proc/mounts | grep " / "' 2>&1 || true)"
echo "$facts" | sed 's/^/   | /'
echo "$facts" | grep -qx "$HOSTNAME_MD" && ok "hostname from metadata" || bad "hostname"
echo "$facts" | grep -q '^exit=0 ' && ok "completion recorded in /var/lib/kumo-init/$INSTANCE_ID.done" || bad "no .done marker"
echo "$facts" | grep -qx '700 600' && ok "/root/.ssh 700, authorized_keys 600" || bad "ssh dir modes"
echo "$facts" | grep -qx '2' && ok "2 keys in authorized_keys" || bad "authorized_keys key count"
echo "$facts" | grep -q 'default via 10.0.0.1 dev eth0' && ok "default route via DHCP router" || bad "default route"

out="$(in_ns ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no -o PasswordAuthentication=yes -o KbdInteractiveAuthentication=no \
	-o NumberOfPasswordPrompts=1 -o BatchMode=no "root@$GUEST" true </dev/null 2>&1 || true)"
echo "$out" | grep -q 'Permission denied (publickey)' && ok "password auth not offered: $out" || bad "password auth: $out"

scp_out="$(in_ns scp "${SSH_OPTS[@]}" -i "$T/id_ed25519" "root@$GUEST:/etc/os-release" "$T/os-release" 2>&1)" &&
	grep -q kumo-tiny "$T/os-release" && ok "scp (SFTP) works" || bad "scp: $scp_out"

say "reboot from inside the guest"
fp_before="$(in_ns ssh-keyscan -t ed25519 "$GUEST" 2>/dev/null | ssh-keygen -lf - | awk '{ print $2 }' || true)"
BOOT_T0="$(date +%s.%N)"
gssh reboot || true
for _ in $(seq 100); do gssh true 2>/dev/null || break; sleep 0.2; done
if t="$(wait_ssh 120)"; then ok "SSH back ${t}s after \`reboot\` (guest uptime at ready: $(grep -a 'kumo-tiny: up' "$T/a.console" | tail -n 1 | cut -d' ' -f3))"; else
	bad "SSH did not come back after reboot"
	show_console a
fi
fp_after="$(in_ns ssh-keyscan -t ed25519 "$GUEST" 2>/dev/null | ssh-keygen -lf - | awk '{ print $2 }' || true)"
[ -n "$fp_before" ] && [ "$fp_before" = "$fp_after" ] && ok "host key survived reboot ($fp_after)" || bad "host key changed: $fp_before -> $fp_after"
sleep 2
n="$(gssh 'grep -c "user-data started" /var/log/user-data.log' 2>&1 || true)"
[ "$n" = 1 ] && ok "user-data not run again (ran $n time)" || bad "user-data ran $n times"
[ "$(grep -c 'kumo-tiny: shutting down' "$T/a.console")" -ge 1 ] && ok "rc.shutdown ran" || bad "no shutdown message"

say "Ctrl-Alt-Del through QMP (kumod's soft reboot)"
gssh 'echo ctrl-alt-del > /root/cad' >/dev/null || true
BOOT_T0="$(date +%s.%N)"
qmp a '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"ctrl"},{"type":"qcode","data":"alt"},{"type":"qcode","data":"delete"}]}}' >"$T/qmp.out" || true
for _ in $(seq 100); do gssh true 2>/dev/null || break; sleep 0.2; done
if t="$(wait_ssh 120)"; then ok "rebooted, SSH back ${t}s after the key press"; else bad "no SSH after ctrl-alt-del"; fi
for _ in $(seq 50); do [ "$(grep -c 'kumo-tiny: ready' "$T/a.console")" = 3 ] && break; sleep 0.2; done
[ "$(grep -c 'kumo-tiny: ready' "$T/a.console")" = 3 ] && ok "3 boots on the console" || bad "ready lines: $(grep -c 'kumo-tiny: ready' "$T/a.console")"

say "ACPI power button (QMP system_powerdown)"
t0="$(date +%s.%N)"
qmp a '{"execute":"system_powerdown"}' >"$T/qmp.out" || true
if wait_exit 60; then ok "QEMU exited $(since "$t0")s after system_powerdown"; else
	bad "QEMU still running 60 s after system_powerdown"
	show_console a 20
fi
state="$(fs_state a || true)"
[ "$state" = clean ] && ok "root filesystem state after power button: $state" || bad "root filesystem state: $state"
echo "   console tail:"
show_console a 6

# --- boot 2: 2 vCPU, 512 MiB --------------------------------------------------------------------------
say "boot 2: 2 vCPU, 512 MiB, fresh overlay of 1 GiB (the root filesystem must grow to fill it)"
qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGE/disk.qcow2" "$T/b.qcow2" 1G
boot b 2 512
if t2="$(wait_ssh 120)"; then ok "SSH answered ${t2}s after QEMU start (guest uptime at ready: $(grep -a 'kumo-tiny: up' "$T/b.console" | cut -d' ' -f3))"; else
	bad "no SSH within 120 s"
	show_console b
fi
for _ in $(seq 20); do
	size_kib="$(gssh "df -k / | awk 'NR == 2 { print \$2 }'" 2>/dev/null || true)"
	[ "${size_kib:-0}" -gt 900000 ] && break
	sleep 0.5
done
[ "${size_kib:-0}" -gt 900000 ] && ok "root filesystem grown online to ${size_kib} KiB" || bad "root filesystem size ${size_kib:-?} KiB"
say "poweroff from inside the guest"
t0="$(date +%s.%N)"
gssh poweroff || true
if wait_exit 60; then ok "QEMU exited $(since "$t0")s after poweroff"; else bad "QEMU still running after poweroff"; fi
state="$(fs_state b || true)"
[ "$state" = clean ] && ok "root filesystem state: $state" || bad "root filesystem state: $state"

# --- boot 3: no root disk -------------------------------------------------------------------------------
say "boot 3: no root disk (initramfs must say so and power off)"
CMDLINE_SAVED="$CMDLINE"
CMDLINE="$CMDLINE kumo.roottimeout=3"
rm -f "$T/c.qcow2"
BOOT_T0="$(date +%s.%N)"
: >"$T/c.console"
"${NSEXEC[@]}" qemu-system-x86_64 -machine pc -accel tcg -m 256 -smp 1 -nodefaults -display none -serial "file:$T/c.console" \
	-kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" -append "$CMDLINE" </dev/null >"$T/c.qemu.log" 2>&1 &
QEMU_PID=$!
CMDLINE="$CMDLINE_SAVED"
if wait_exit 60; then ok "QEMU exited $(since "$BOOT_T0")s after start"; else bad "QEMU did not exit"; fi
grep -q 'root device /dev/vda did not appear' "$T/c.console" && ok "console: $(grep -a 'FATAL' "$T/c.console" | tr -d '\r')" || {
	bad "no FATAL message"
	show_console c
}

say "summary"
echo "   image: $IMAGE ($(du -h "$IMAGE/vmlinuz" | cut -f1) vmlinuz, $(du -h "$IMAGE/initrd.img" | cut -f1) initrd, $(du -h "$IMAGE/disk.qcow2" | cut -f1) disk.qcow2)"
echo "   boot to SSH: ${t1:-?}s (1 vCPU, 256 MiB)  ${t2:-?}s (2 vCPU, 512 MiB)"
if [ "$FAILED" = 0 ]; then echo "   ALL OK"; else echo "   SOME CHECKS FAILED"; fi
exit "$FAILED"
