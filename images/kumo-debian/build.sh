#!/usr/bin/env bash
# images/kumo-debian/build.sh OUTDIR
#
# Builds a firmware-bootable Debian 12 disk into OUTDIR: disk.qcow2 (+ manifest.json). The disk
# carries its own bootloaders, so kumo boots it with `--boot-mode legacy-bios` (SeaBIOS) or
# `--boot-mode uefi` (OVMF) and no --kernel: it stands in for a stock cloud image (see README.md).
#
# Layout (MBR partition table, understood by SeaBIOS and OVMF alike):
#   p1  64 MiB FAT16, type 0xEF (EFI system partition), active: the kernel, the initrd, SYSLINUX
#       (BIOS: syslinux's mbr.bin -> the active partition's boot record -> ldlinux.sys) and
#       EFI/BOOT/BOOTX64.EFI, a unified kernel image (systemd's EFI stub + kernel + initrd +
#       command line) that OVMF starts as removable media, with no boot entries needed.
#   p2  ext4 root (label kumo-root): Debian 12 minbase, cloud kernel, systemd, cloud-init,
#       openssh-server, ifupdown + DHCP client.
# Nothing is mounted, no loop device is used: the file systems are made from directories
# (mkfs.ext4 -d, mtools) and written into the disk file at their offsets.
#
# Idempotent like kumo-tiny: manifest.json is written last with a recipe hash (this recipe, the
# package versions it installs, the host's bootloader files); when it matches, nothing is done.
set -euo pipefail

NAME=kumo-debian
SUITE=bookworm
DISK_MIB=1536
ESP_MIB=64
ROOT_LABEL=kumo-root
# What cloud images have, minus what a TCG guest wastes time on. systemd-sysv: init; udev: device
# nodes; ifupdown + isc-dhcp-client: the network cloud-init renders for Debian.
INCLUDE=linux-image-cloud-amd64,systemd-sysv,udev,dbus,cloud-init,openssh-server,ifupdown,isc-dhcp-client,netbase,iproute2,sudo,less,ca-certificates,e2fsprogs,cloud-guest-utils
CMDLINE="console=ttyS0 root=LABEL=$ROOT_LABEL ro quiet tsc=reliable no_timer_check i8042.noaux"

log() { printf 'kumo-debian build: %s\n' "$*" >&2; }
die() {
	printf 'kumo-debian build: error: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap builds a root-owned tree)"
MBR=/usr/lib/syslinux/mbr/mbr.bin
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
for tool in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd syslinux sfdisk objcopy qemu-img flock sha256sum unshare; do
	command -v "$tool" >/dev/null || die "missing $tool (packages: mmdebstrap e2fsprogs dosfstools mtools syslinux fdisk binutils qemu-utils)"
done
for f in "$MBR" "$STUB"; do [ -f "$f" ] || die "missing $f (packages: syslinux-common systemd-boot-efi)"; done

RECIPE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
WORK="$OUT/.build"
exec 9>"$OUT/.lock"
flock 9

# The host's Debian mirror for this suite (the machine may reach only that one).
mirror="$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' 2>/dev/null | grep -v -e security -e nodesource -e google | sort -u | head -n1)"
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

# Versions pinned by the host's package lists: a new kernel or cloud-init is a new image.
versions="$(apt-cache policy linux-image-cloud-amd64 cloud-init openssh-server systemd 2>/dev/null | awk '/^[a-z]/ { p = $1 } /Candidate:/ { print p, $2 }')"
recipe_hash() {
	{
		echo "kumo-debian recipe v1"
		sha256sum <"$RECIPE_DIR/build.sh"
		echo "$versions"
		echo "$mirror"
		sha256sum <"$MBR"
		sha256sum <"$STUB"
		sha256sum </usr/lib/syslinux/modules/bios/ldlinux.c32
	} | sha256sum | cut -c1-16
}
HASH="$(recipe_hash)"
if [ -f "$OUT/manifest.json" ] && grep -q "\"recipeHash\": \"$HASH\"" "$OUT/manifest.json"; then
	log "up to date ($HASH)"
	exit 0
fi
rm -f "$OUT/manifest.json"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

log "mmdebstrap $SUITE minbase from $mirror"
# The hooks run in the tree being built: fstab, hostname, a console marker, and an initramfs with
# just the virtio disk drivers (MODULES=most would make it ~30 MiB, seconds to unpack under TCG).
unshare --mount --propagation private -- mmdebstrap --quiet --mode=root --variant=minbase \
	--include="$INCLUDE" \
	--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; echo MODULES=list >"$1/etc/initramfs-tools/conf.d/kumo.conf"; printf "%s\n" virtio_pci virtio_blk virtio_scsi sd_mod ahci >"$1/etc/initramfs-tools/modules"' \
	--customize-hook="printf 'LABEL=$ROOT_LABEL / ext4 defaults,errors=remount-ro 0 1\n' >\"\$1/etc/fstab\"" \
	--customize-hook='echo kumo-debian >"$1/etc/hostname"' \
	--customize-hook='printf "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n" >"$1/etc/network/interfaces"' \
	--customize-hook='printf "[Unit]\nDescription=kumo boot marker\nAfter=local-fs.target\n[Service]\nType=oneshot\nExecStart=/bin/sh -c \"echo kumo-debian: userspace reached >/dev/console\"\n[Install]\nWantedBy=multi-user.target\n" >"$1/etc/systemd/system/kumo-marker.service"; chroot "$1" systemctl enable kumo-marker.service' \
	--customize-hook='chroot "$1" update-initramfs -u -k all' \
	--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/locale' \
	"$SUITE" "$WORK/root" "$mirror"

kernel="$(find "$WORK/root/boot" -name 'vmlinuz-*' | sort | tail -n1)"
initrd="$(find "$WORK/root/boot" -name 'initrd.img-*' | sort | tail -n1)"
[ -f "$kernel" ] && [ -f "$initrd" ] || die "no kernel or initrd in the built tree"
KVER="${kernel##*/vmlinuz-}"

log "ESP: syslinux (BIOS) and a unified kernel image (UEFI)"
printf '%s' "$CMDLINE" >"$WORK/cmdline"
grep -E '^(NAME|ID|VERSION_ID|PRETTY_NAME)=' "$WORK/root/etc/os-release" >"$WORK/osrel"
# The classic objcopy recipe for systemd's stub: sections at fixed addresses above the stub's.
objcopy \
	--add-section .osrel="$WORK/osrel" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$WORK/cmdline" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
	"$STUB" "$WORK/BOOTX64.EFI"
cat >"$WORK/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT linux
TIMEOUT 0
PROMPT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $CMDLINE
CFG
ESP="$WORK/esp.img"
mkfs.vfat -C -F 16 -h 2048 -n KUMO-ESP "$ESP" $((ESP_MIB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i "$ESP" "$kernel" ::/vmlinuz
mcopy -i "$ESP" "$initrd" ::/initrd.img
mcopy -i "$ESP" "$WORK/syslinux.cfg" ::/syslinux.cfg
mmd -i "$ESP" ::/EFI ::/EFI/BOOT
mcopy -i "$ESP" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
# The partition starts at sector 2048 (mkfs.vfat -h: hidden sectors), where its boot record looks.
syslinux --install "$ESP"

log "root file system"
ROOT_MIB=$((DISK_MIB - ESP_MIB - 2))
mkfs.ext4 -q -L "$ROOT_LABEL" -d "$WORK/root" "$WORK/root.img" "${ROOT_MIB}M"
rm -rf "$WORK/root"

log "disk"
RAW="$WORK/disk.raw"
truncate -s "${DISK_MIB}M" "$RAW"
sfdisk --quiet "$RAW" <<PT
label: dos
start=2048, size=$((ESP_MIB * 2048)), type=ef, bootable
start=$(((ESP_MIB + 1) * 2048)), size=$((ROOT_MIB * 2048)), type=83
PT
dd if="$MBR" of="$RAW" bs=440 count=1 conv=notrunc status=none
dd if="$ESP" of="$RAW" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$RAW" bs=1M seek=$((ESP_MIB + 1)) conv=notrunc,sparse status=none
qemu-img convert -f raw -O qcow2 "$RAW" "$OUT/disk.qcow2.tmp"
mv "$OUT/disk.qcow2.tmp" "$OUT/disk.qcow2"

cat >"$OUT/manifest.json.tmp" <<JSON
{
  "name": "$NAME",
  "description": "Debian 12 minbase, cloud kernel $KVER, cloud-init, openssh-server; SYSLINUX (BIOS) and a unified kernel image (UEFI) on an MBR disk",
  "architecture": "x86_64",
  "disk": "disk.qcow2",
  "bootModes": ["legacy-bios", "uefi"],
  "defaultUser": "debian",
  "kernelVersion": "$KVER",
  "recipeHash": "$HASH"
}
JSON
mv "$OUT/manifest.json.tmp" "$OUT/manifest.json"
log "done: $OUT/disk.qcow2 ($(du -h "$OUT/disk.qcow2" | cut -f1) on disk)"
