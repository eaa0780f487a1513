#!/usr/bin/env bash
# images/kumo-tiny/build.sh OUTDIR
#
# Builds kumo's default image into OUTDIR: vmlinuz + initrd.img + disk.qcow2 + manifest.json
# (see README.md for what is in it and the guest's contract). Runs as root, non-interactive.
#
# Idempotent: the recipe hash covers this recipe's files, the exact host binaries and libraries
# copied into the image and the Debian package versions downloaded; when OUTDIR already holds a
# complete build with the same hash, nothing is done. manifest.json is written last, so its
# presence means the build is complete. Downloaded .debs are kept in OUTDIR/.cache.
#
# Nothing is mounted and nothing is installed on the host: the kernel .deb is only unpacked, the
# filesystem is made with `mkfs.ext4 -d` from a staging directory.
set -euo pipefail

NAME=kumo-tiny
DESCRIPTION="kumo-tiny: busybox + dropbear on Debian 12's cloud kernel; DHCP, EC2-style metadata (SSH keys, hostname, #! user-data once per instance), ACPI power button"
# root=/dev/vda: the image has no partition table and kumo attaches the root volume as the first
# virtio disk. quiet: every console line costs time under TCG (the serial port is emulated).
# tsc=reliable: use the TSC at once instead of watching it against the (slow to emulate) HPET/ACPI
# timers; no_timer_check: skip the IO-APIC timer probe; i8042.noaux: no PS/2 mouse to probe (the
# keyboard stays: QMP's Ctrl-Alt-Del arrives through it). Together about 1 s less to userspace
# under TCG here; harmless under KVM, where kvm-clock is used anyway.
CMDLINE="console=ttyS0 quiet root=/dev/vda tsc=reliable no_timer_check i8042.noaux"
DISK_SIZE_MIB=256
KERNEL_META=linux-image-cloud-amd64

# Modules by name; their dependencies are resolved (and ordered) from the kernel's own metadata.
# The initramfs only needs the root disk; virtio_pci is the transport, not a dependency of
# virtio_blk, so it is named explicitly. ext4, jbd2 and crc32c are built into the cloud kernel.
INITRD_MODULES=(virtio_pci virtio_blk)
# The root filesystem adds the network (virtio_net pulls failover/net_failover), the ACPI power
# button (button) and evdev so busybox acpid can read KEY_POWER, and virtio_rng for entropy when
# the host offers a virtio-rng device.
ROOTFS_MODULES=(virtio_pci virtio_blk virtio_net button evdev virtio_rng)

# Host binaries copied into the root filesystem (dropbear-bin and e2fsprogs are dynamically
# linked: their libraries and the loader go along). busybox-static needs nothing.
BUSYBOX=/bin/busybox
DYNAMIC_BINARIES=(/usr/sbin/dropbear /usr/bin/dropbearkey /usr/sbin/resize2fs)

log() { printf 'kumo-tiny build: %s\n' "$*" >&2; }
die() {
	printf 'kumo-tiny build: error: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" = 0 ] || die "run as root (the image holds root-owned files and device nodes)"
for tool in apt-get apt-cache dpkg-deb depmod modprobe cpio gzip mkfs.ext4 e2fsck qemu-img ldd flock sha256sum "$BUSYBOX" "${DYNAMIC_BINARIES[@]}"; do
	command -v "$tool" >/dev/null || die "missing $tool (packages: qemu-utils e2fsprogs cpio kmod busybox-static dropbear-bin util-linux)"
done

RECIPE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
CACHE="$OUT/.cache"
WORK="$OUT/.build"

# Two builders of the same OUTDIR (kumod's first start and scripts/test, say) must not interleave.
exec 9>"$OUT/.lock"
flock 9

# --- inputs ------------------------------------------------------------------------------------------

# Both from one `apt-cache show` (local lists, no network; one call because apt-cache can take
# over a second on hosts without a package cache): the kernel package the metapackage depends on,
# at the exact version it pins, and the candidate openssh-sftp-server.
resolve_packages() {
	local info
	info="$(apt-cache show --no-all-versions "$KERNEL_META" openssh-sftp-server 2>/dev/null || true)"
	read -r KERNEL_PKG KERNEL_PKG_VERSION < <(echo "$info" | awk -v meta="$KERNEL_META" '
		/^Package:/ { pkg = $2 }
		pkg == meta && /^Depends:/ {
			if (match($0, /linux-image-[0-9][^ ,]* \(= [^)]+\)/)) {
				split(substr($0, RSTART, RLENGTH), a, /[ ()=]+/)
				print a[1], a[2]
			}
		}') || true
	SFTP_VERSION="$(echo "$info" | awk '/^Package:/ { pkg = $2 } pkg == "openssh-sftp-server" && /^Version:/ { print $2; exit }')"
}
resolve_packages
if [ -z "${KERNEL_PKG_VERSION:-}" ] || [ -z "$SFTP_VERSION" ]; then
	# Fresh host whose apt lists were never fetched.
	log "apt lists do not know $KERNEL_META; running apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	resolve_packages
fi
[ -n "${KERNEL_PKG_VERSION:-}" ] || die "cannot resolve the kernel package behind $KERNEL_META"
[ -n "$SFTP_VERSION" ] || die "cannot resolve openssh-sftp-server"

# Shared libraries (and the dynamic loader) a binary needs, as ldd resolves them on this host.
# (With several files ldd also prints a "FILE:" header line per file: skipped.)
libs_of() { ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u; }
mapfile -t HOST_LIBS < <(libs_of "${DYNAMIC_BINARIES[@]}")

recipe_hash() {
	{
		echo "kumo-tiny recipe v1"
		(
			cd "$RECIPE_DIR"
			# README.md and smoke-test.sh do not change the image.
			find build.sh initramfs rootfs \( -type f -o -type l \) | LC_ALL=C sort | while read -r f; do
				if [ -L "$f" ]; then
					echo "L $f $(readlink "$f")"
				else
					# Only the executable bit: other mode bits depend on the checkout's umask.
					x=-
					[ -x "$f" ] && x=x
					echo "F $f $x $(sha256sum <"$f" | cut -d' ' -f1)"
				fi
			done
		)
		echo "kernel $KERNEL_PKG $KERNEL_PKG_VERSION"
		echo "sftp $SFTP_VERSION"
		for f in "$BUSYBOX" "${DYNAMIC_BINARIES[@]}" "${HOST_LIBS[@]}"; do
			echo "H $f $(sha256sum <"$(readlink -f "$f")" | cut -d' ' -f1)"
		done
		echo "cmdline $CMDLINE"
		echo "disk ${DISK_SIZE_MIB}MiB"
		echo "modules ${INITRD_MODULES[*]} / ${ROOTFS_MODULES[*]}"
	} | sha256sum | cut -d' ' -f1
}
HASH="$(recipe_hash)"

if [ -s "$OUT/manifest.json" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -s "$OUT/disk.qcow2" ] &&
	grep -q "\"recipeHash\": \"$HASH\"" "$OUT/manifest.json"; then
	log "up to date in $OUT (recipe $HASH)"
	exit 0
fi
log "building into $OUT (recipe $HASH, kernel $KERNEL_PKG $KERNEL_PKG_VERSION)"

rm -rf "$WORK"
mkdir -p "$WORK" "$CACHE"
trap 'rm -rf "$WORK"' EXIT

# A .deb of exactly PKG=VERSION from the cache, downloaded when missing. apt-get download checks
# it against the signed archive index.
deb_path() {
	local pkg="$1" version="$2" f
	for f in "$CACHE/${pkg}"_*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$version" ]; then
			echo "$f"
			return
		fi
		rm -f "$f" # an older version: no longer part of any recipe this host can build
	done
	log "downloading $pkg $version"
	(cd "$CACHE" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version" >&2)
	for f in "$CACHE/${pkg}"_*.deb; do
		[ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$version" ] && echo "$f" && return
	done
	die "download of $pkg $version produced no .deb"
}
KERNEL_DEB="$(deb_path "$KERNEL_PKG" "$KERNEL_PKG_VERSION")"
SFTP_DEB="$(deb_path openssh-sftp-server "$SFTP_VERSION")"

# --- kernel -------------------------------------------------------------------------------------------
K="$WORK/kernel"
dpkg-deb -x "$KERNEL_DEB" "$K"
KVER="$(ls "$K/lib/modules")"
[ "$(echo "$KVER" | wc -l)" = 1 ] && [ -f "$K/boot/vmlinuz-$KVER" ] || die "unexpected layout in $KERNEL_DEB"
KMOD="$K/lib/modules/$KVER"
# The .deb ships no modules.dep (its postinst runs depmod): make one here, for modprobe below.
depmod -b "$K" "$KVER"

# Module files (relative to lib/modules/KVER) for the named modules and their dependencies, in
# load order, each once. Built-in modules print nothing; an unknown module fails the build.
module_files() {
	local m
	for m in "$@"; do
		modprobe -d "$K" -S "$KVER" --show-depends "$m"
	done | awk '$1 == "insmod" { print $2 }' | sed "s|^$KMOD/||" | awk '!seen[$0]++'
}
# Checked here, outside the pipelines that read module_files (their failures would go unseen).
for m in "${INITRD_MODULES[@]}" "${ROOTFS_MODULES[@]}"; do
	modprobe -d "$K" -S "$KVER" --show-depends "$m" >/dev/null 2>&1 || die "kernel $KVER has no module $m"
done

busybox_links() {
	local root="$1" p
	while read -r p; do
		[ "$p" = bin/busybox ] && continue
		mkdir -p "$root/$(dirname "$p")"
		ln -sfn /bin/busybox "$root/$p"
	done < <("$BUSYBOX" --list-full)
}

# --- initramfs ------------------------------------------------------------------------------------------
I="$WORK/initramfs"
mkdir -p "$I"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,newroot,lib/modules}
install -m 755 "$BUSYBOX" "$I/bin/busybox"
busybox_links "$I"
# The kernel opens /dev/console before running /init; have it in the archive itself.
mknod -m 600 "$I/dev/console" c 5 1
mknod -m 666 "$I/dev/null" c 1 3
: >"$I/lib/modules/load-order"
while read -r ko; do
	install -D -m 644 "$KMOD/$ko" "$I/lib/modules/$ko"
	echo "$ko" >>"$I/lib/modules/load-order"
done < <(module_files "${INITRD_MODULES[@]}")
install -m 755 "$RECIPE_DIR/initramfs/init" "$I/init"
(cd "$I" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$WORK/initrd.img"

# --- root filesystem -----------------------------------------------------------------------------------
R="$WORK/rootfs"
mkdir -p "$R"/{bin,sbin,lib,lib64,usr/bin,usr/sbin,usr/lib,etc/dropbear,etc/kumo,dev,proc,sys,run,tmp,root,home,mnt}
mkdir -p "$R"/var/{lib/kumo-init,log,tmp}
ln -s ../run "$R/var/run"
ln -s ../run/lock "$R/var/lock"
install -m 755 "$BUSYBOX" "$R/bin/busybox"
busybox_links "$R"
install -m 755 /usr/sbin/dropbear "$R/usr/sbin/dropbear"
install -m 755 /usr/bin/dropbearkey "$R/usr/bin/dropbearkey"
install -m 755 /usr/sbin/resize2fs "$R/usr/sbin/resize2fs"
# sftp-server: OpenSSH's scp speaks SFTP by default since 9.0; dropbear looks for /usr/lib/sftp-server.
dpkg-deb -x "$SFTP_DEB" "$WORK/sftp"
install -D -m 755 "$WORK/sftp/usr/lib/openssh/sftp-server" "$R/usr/lib/openssh/sftp-server"
ln -s openssh/sftp-server "$R/usr/lib/sftp-server"
# Libraries at the paths ldd printed (the guest's /lib is a real directory, not merged /usr).
while read -r lib; do
	install -D -m 644 "$(readlink -f "$lib")" "$R$lib"
done < <(libs_of "${DYNAMIC_BINARIES[@]}" "$R/usr/lib/openssh/sftp-server")
chmod 755 "$R"/lib64/ld-linux-*.so.*

# Kernel modules in the standard place, with depmod's index so `modprobe` also works in the guest.
: >"$R/etc/kumo/modules"
while read -r ko; do
	install -D -m 644 "$KMOD/$ko" "$R/lib/modules/$KVER/$ko"
	echo "$ko" >>"$R/etc/kumo/modules"
done < <(module_files "${ROOTFS_MODULES[@]}")
cp "$KMOD"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$KVER/"
depmod -b "$R" "$KVER"

# The recipe's own files (init scripts, udhcpc script, accounts, acpid action), then ownership and
# modes normalised so the image does not depend on who checked the repository out, or how.
cp -R "$RECIPE_DIR/rootfs/." "$R/"
echo "$HASH" >"$R/etc/kumo/recipe-hash"
# The disk size the image is made with: rcS grows the filesystem when it later finds a bigger disk.
echo $((DISK_SIZE_MIB * 2048)) >"$R/var/lib/kumo-init/root-sectors"
chown -R 0:0 "$R"
find "$R" -type d -exec chmod 755 {} +
find "$R" -type f -perm -u+x -exec chmod 755 {} +
find "$R" -type f ! -perm -u+x -exec chmod 644 {} +
chmod 600 "$R/etc/shadow"
chmod 700 "$R/root" "$R/var/lib/kumo-init"
chmod 1777 "$R/tmp" "$R/var/tmp"
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

# Self-check: the copied dynamic binaries must load with only what the image holds.
# (Output captured first: `grep -q` closing the pipe early would trip pipefail.)
out="$(chroot "$R" /usr/sbin/dropbear -V 2>&1 || true)"
[[ "$out" == *Dropbear* ]] || die "dropbear does not run inside the image: $out"
out="$(chroot "$R" /usr/bin/dropbearkey 2>&1 || true)"
[[ "$out" == *Usage* ]] || die "dropbearkey does not run inside the image: $out"
out="$(chroot "$R" /usr/sbin/resize2fs 2>&1 || true)"
[[ "$out" == *Usage* ]] || die "resize2fs does not run inside the image: $out"

# --- disk -----------------------------------------------------------------------------------------------------
# ext4 on the whole device (no partition table) so the filesystem can be grown in place. 4 KiB
# blocks (mke2fs would pick 1 KiB for a disk this small). Inode tables and journal are zeroed now,
# not lazily by the guest: that would write megabytes into every instance's overlay on first boot
# (qemu-img convert drops the zeros, so the qcow2 stays small).
truncate -s "${DISK_SIZE_MIB}M" "$WORK/disk.raw"
mkfs.ext4 -q -F -L kumo-root -b 4096 -m 0 -E lazy_itable_init=0,lazy_journal_init=0 -d "$R" "$WORK/disk.raw"
e2fsck -fn "$WORK/disk.raw" >/dev/null 2>&1 || die "e2fsck found problems in the new filesystem"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -f "$WORK/disk.raw"

install -m 644 "$K/boot/vmlinuz-$KVER" "$WORK/vmlinuz"

cat >"$WORK/manifest.json" <<EOF
{
  "name": "$NAME",
  "description": "$DESCRIPTION",
  "architecture": "x86_64",
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "disk": "disk.qcow2",
  "kernelCmdline": "$CMDLINE",
  "defaultUser": "root",
  "recipeHash": "$HASH",
  "kernelVersion": "$KVER"
}
EOF

# Publish: manifest removed first and written last, so a half-replaced OUTDIR never looks complete.
rm -f "$OUT/manifest.json"
chmod 644 "$WORK"/{vmlinuz,initrd.img,disk.qcow2}
mv -f "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/disk.qcow2" "$OUT/"
mv -f "$WORK/manifest.json" "$OUT/manifest.json"
log "done: $(du -h "$OUT/vmlinuz" | cut -f1) vmlinuz, $(du -h "$OUT/initrd.img" | cut -f1) initrd.img, $(du -h "$OUT/disk.qcow2" | cut -f1) disk.qcow2 (kernel $KVER)"
