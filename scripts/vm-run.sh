#!/usr/bin/env bash
# vm-run.sh CMD [ARGS...]
#
# Runs CMD as root inside a throw-away QEMU (TCG) virtual machine booted with Debian 12's stock
# kernel, which ships kernel IPVS as modules (the build machines' own kernel has none).
# The guest sees the host's root filesystem read-only (9p) under a tmpfs overlay, so every
# installed program (node, FRR, keepalived, nginx, ipvsadm...) is there; writes outside the
# current directory are discarded when the VM stops. The current directory is shared read-write
# at the same path. CMD's stdout/stderr are streamed back and its exit status is ours.
# The guest has no network device at all.
#
# Exit status: CMD's, or 124 when VM_TIMEOUT expired, 125 when the VM failed before CMD finished.
#
# Environment:
#   VM_TIMEOUT   seconds before the VM is killed (default 1500)
#   VM_MEM       guest memory in MiB (default 3072)
#   VM_SMP       guest CPUs, multi-threaded TCG (default 2)
#   VM_CACHE     kernel/initramfs cache (default /var/cache/lvslab-vm); rebuilt when the kernel
#                package or the module lists below change (see the stamp file in it)
#   VM_ENV       extra variable names to copy into the guest; LVSLAB_* and CI always are
#   VM_BOOT_TIMEOUT  seconds the guest may take to boot before it is killed and booted once
#                more (default 180)
#   VM_KERNEL_PKG  kernel package to use instead of the one linux-image-amd64 depends on
#   VM_DEBUG=1   also stream the guest's kernel console to stderr (it is always shown when the
#                VM fails)
# Needs root and: qemu-system-x86 busybox-static cpio kmod xz-utils (scripts/install-deps.sh --vm).
set -euo pipefail

CACHE=${VM_CACHE:-/var/cache/lvslab-vm}
TIMEOUT=${VM_TIMEOUT:-1500}
MEM=${VM_MEM:-3072}
SMP=${VM_SMP:-2}
# Bump when the layout of the cache or of the initramfs changes.
CACHE_FORMAT=1

# Loaded by the initramfs: what it takes to reach the host's root filesystem.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)
# Loaded (modprobe) before CMD runs: what a namespace lab needs. Entries ending in / name a
# directory of the kernel tree (every module in it); entries with * are matched against module
# names. Anything else the guest asks for later is still autoloaded: the whole module tree is
# visible inside the guest.
LAB_MODULES=(
  net/netfilter/ipvs/
  nf_tables nfnetlink 'nft_*' nf_conntrack nf_conntrack_netlink nf_nat nf_reject_ipv4 nf_reject_ipv6
  veth bridge br_netfilter dummy macvlan vxlan tun
  ipip tunnel4 ip_tunnel ip_gre gre
  sch_netem sch_htb sch_tbf sch_prio sch_ingress cls_u32 cls_bpf cls_matchall act_mirred act_gact
  inet_diag tcp_diag udp_diag
)
# Parts of the module tree worth keeping (the rest, mostly hardware drivers, is ~300 MB).
KEEP_TREE=(kernel/arch kernel/block kernel/crypto kernel/fs kernel/lib kernel/mm kernel/net kernel/virt
  kernel/drivers/virtio kernel/drivers/char kernel/drivers/block kernel/drivers/net kernel/drivers/vhost)
DROP_TREE=(kernel/drivers/net/wireless kernel/drivers/net/ethernet kernel/drivers/net/usb kernel/drivers/net/can)

die() { echo "vm-run: $*" >&2; exit 125; }
note() { echo "vm-run: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (9p export of / and module loading)"
for tool in qemu-system-x86_64 busybox cpio depmod modprobe xz flock timeout; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh --vm"
done
file_is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
BUSYBOX=$(command -v busybox)
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static: install busybox-static"

# ---------------------------------------------------------------------------------------------
# Kernel + initramfs cache

# Prints "PACKAGE VERSION" for the kernel linux-image-amd64 depends on, from apt's local lists.
wanted_kernel() {
  local pkg ver
  pkg=${VM_KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
  [ -n "$pkg" ] || return 1
  ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
  echo "$pkg $ver"
}

# The stamp says what the cache was built from; any difference means rebuild.
stamp_for() {
  printf 'format %s\nkernel %s\nboot-modules %s\nlab-modules %s\nkeep %s\ndrop %s\n' \
    "$CACHE_FORMAT" "$1" "${BOOT_MODULES[*]}" "${LAB_MODULES[*]}" "${KEEP_TREE[*]}" "${DROP_TREE[*]}"
}

# Expands LAB_MODULES against the module tree at $1 (kernel version $2) into module names.
resolve_lab_modules() {
  local base=$1 kver=$2 entry tree=$1/lib/modules/$2
  for entry in "${LAB_MODULES[@]}"; do
    case "$entry" in
      */) find "$tree/kernel/$entry" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*$//' | sort ;;
      *'*'*) find "$tree/kernel" -name "$entry.ko*" -printf '%f\n' | sed 's/\.ko.*$//' | sort ;;
      *) if modprobe -d "$base" -S "$kver" --show-depends "$entry" >/dev/null 2>&1; then echo "$entry"
         else note "module $entry is not in kernel $kver (skipped)"; fi ;;
    esac
  done | awk '!seen[$0]++'
}

# Writes the initramfs's /init: PID 1 until the host root is reachable. Everything after that is
# sent by the host on every run (guest-init.sh in the control share), so it can change freely.
write_initramfs_init() {
  cat > "$1" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r ko; do insmod "$ko" || echo "vm-init: insmod $ko failed"; done < /etc/boot-modules
if ! mount -t 9p -o trans=virtio,version=9p2000.L ctl /ctl; then
  echo "vm-init: cannot mount the control share"; poweroff -f
fi
/bin/sh /ctl/guest-init.sh
poweroff -f
INIT
  chmod 755 "$1"
}

build_cache() {
  local kernel=$1 pkg=${1% *} work kver tree off root
  note "building the VM kernel cache in $CACHE for $kernel (once per kernel version)"
  rm -rf "$CACHE"/build.*  # left by an interrupted build (we hold the exclusive lock)
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  ( cd "$work" && apt-get download -q -o APT::Sandbox::User=root "${pkg}=${1#* }" >/dev/null ) ||
    die "apt-get download $pkg failed (no apt lists? run apt-get update)"
  dpkg-deb -x "$work"/"$pkg"_*.deb "$work/pkg"
  kver=$(ls "$work/pkg/lib/modules")
  [ -n "$kver" ] && [ -f "$work/pkg/boot/vmlinuz-$kver" ] || die "unexpected layout in $pkg"

  # QEMU boots an uncompressed ELF kernel directly; that saves decompressing it under emulation.
  for off in $(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$work/pkg/boot/vmlinuz-$kver" | cut -d: -f1); do
    tail -c +"$((off + 1))" "$work/pkg/boot/vmlinuz-$kver" | xz -dcq > "$work/vmlinux" 2>/dev/null || true
    [ "$(head -c4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] && break
  done
  [ "$(head -c4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || die "could not extract vmlinux from $pkg"

  # The module tree the guest will use (through the 9p view of the host's /).
  tree=$work/modules/lib/modules/$kver
  mkdir -p "$tree"
  cp -a "$work/pkg/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$tree/"
  for d in "${KEEP_TREE[@]}"; do
    [ -d "$work/pkg/lib/modules/$kver/$d" ] || continue
    mkdir -p "$tree/${d%/*}"; cp -a "$work/pkg/lib/modules/$kver/$d" "$tree/$d"
  done
  for d in "${DROP_TREE[@]}"; do rm -rf "${tree:?}/$d"; done
  depmod -b "$work/modules" "$kver"
  resolve_lab_modules "$work/modules" "$kver" > "$work/lab-modules"

  # initramfs: static busybox + the boot modules in dependency order.
  root=$work/initramfs
  mkdir -p "$root"/{bin,dev,proc,sys,ctl,etc,lower,ovl,host}
  mknod -m 600 "$root/dev/console" c 5 1
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
  for m in "${BOOT_MODULES[@]}"; do
    modprobe -d "$work/modules" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    rel=/lib/modules/$kver/${ko#*/lib/modules/"$kver"/}
    mkdir -p "$root${rel%/*}"; cp "$ko" "$root$rel"; echo "$rel"
  done > "$root/etc/boot-modules"
  write_initramfs_init "$root/init"
  ( cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$work/initramfs.cpio.gz"

  # Swap the new cache in, stamp last so an interrupted build is never trusted.
  rm -f "$CACHE/stamp"
  rm -rf "$CACHE/modules" "$CACHE/vmlinux" "$CACHE/initramfs.cpio.gz"
  mv "$work/modules" "$work/vmlinux" "$work/initramfs.cpio.gz" "$work/lab-modules" "$CACHE/"
  echo "$kver" > "$CACHE/kver"
  stamp_for "$kernel" > "$CACHE/stamp"
  rm -rf "$work"
  note "kernel $kver ready ($(wc -l < "$CACHE/lab-modules") lab modules)"
}

mkdir -p "$CACHE"
exec 9> "$CACHE/lock"
flock -x 9
if kernel=$(wanted_kernel); then
  if [ ! -f "$CACHE/stamp" ] || [ "$(stamp_for "$kernel")" != "$(cat "$CACHE/stamp")" ]; then
    # In a subshell, so that a failed download can fall back to the kernel cached before
    # (set -e stays in force inside: the subshell is not part of a condition).
    set +e; ( set -e; build_cache "$kernel" ); built=$?; set -e
    if [ "$built" != 0 ]; then
      [ -f "$CACHE/stamp" ] || exit "$built"
      note "could not build the cache for $kernel; using the cached kernel $(cat "$CACHE/kver")"
    fi
  fi
elif [ -f "$CACHE/stamp" ]; then
  note "apt cannot tell which kernel linux-image-amd64 wants; using the cached $(cat "$CACHE/kver")"
else
  die "apt-cache knows no linux-image-amd64 kernel (run apt-get update)"
fi
# Several VMs may share the cache; a rebuild (exclusive lock) waits until they are done.
flock -s 9

[ $# -gt 0 ] || { echo "usage: vm-run.sh CMD [ARGS...]" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# One run: a control directory shared with the guest carries the command, its output and status.

CTL=$(mktemp -d /tmp/lvslab-vm.XXXXXX)
QEMU_PID=
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
  rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KVER=$(cat "$CACHE/kver")
{
  echo "WORKDIR=$(printf %q "$PWD")"
  echo "KVER=$(printf %q "$KVER")"
  echo "MODULES_DIR=$(printf %q "$CACHE/modules/lib/modules/$KVER")"
  echo "HOSTNAME_IN_VM=lvslab-vm"
} > "$CTL/params"
cp "$CACHE/lab-modules" "$CTL/lab-modules"

# The command, as a bash script: variables to copy in, then argv quoted with %q.
{
  for name in $(compgen -e); do
    case "$name" in
      LVSLAB_*|CI) ;;
      *) [[ " ${VM_ENV:-} " == *" $name "* ]] || continue ;;
    esac
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  printf 'cd %q || exit 126\n' "$PWD"
  printf 'exec'; printf ' %q' "$@"; printf '\n'
} > "$CTL/cmd.sh"

# Stage 1 (busybox sh, PID 1): build the guest's root from the host's / and chroot into it.
cat > "$CTL/guest-init.sh" <<'GUEST'
. /ctl/params
[ "${DEBUG:-0}" = 1 ] && set -x
fail() { echo "vm-init: $*"; poweroff -f; }
O=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$O,ro,cache=loose" hostroot /lower || fail "cannot mount the host root"
mount -t tmpfs -o mode=755 tmpfs /ovl && mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work /host ||
  fail "overlay over the host root failed"
for d in proc sys dev; do mount --move /$d /host/$d || fail "cannot move /$d"; done
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /host/tmp
mount -t tmpfs -o mode=755 tmpfs /host/run
mkdir -p /host/run/lvslab-vm && mount --move /ctl /host/run/lvslab-vm
if [ "$WORKDIR" != / ]; then
  mkdir -p "/host$WORKDIR"
  mount -t 9p -o "$O,cache=loose" work "/host$WORKDIR" || fail "cannot mount $WORKDIR"
fi
# The cached module tree, where kmod inside the guest looks for it.
mkdir -p "/host/lib/modules/$KVER" && mount --bind "/lower$MODULES_DIR" "/host/lib/modules/$KVER" ||
  fail "cannot bind the module tree"
# The kernel runs its module loader (autoload: "ip link add type bond", nft expressions, tc
# qdiscs...) in PID 1's root, which is this initramfs: point it at kmod inside /host instead.
printf '#!/bin/sh\nexec /bin/chroot /host /sbin/modprobe "$@"\n' > /bin/lvslab-modprobe
chmod 755 /bin/lvslab-modprobe && echo /bin/lvslab-modprobe > /host/proc/sys/kernel/modprobe
hostname "$HOSTNAME_IN_VM"
echo "lvslab-vm: host root ready" > /dev/kmsg
# PID 1 stays busybox sh, which reaps orphaned daemons while it waits.
chroot /host /bin/bash /run/lvslab-vm/guest-stage2.sh
sync
poweroff -f
GUEST

# Stage 2 (bash inside the host's userland): what systemd and tmpfiles would do, then CMD.
cat > "$CTL/guest-stage2.sh" <<'STAGE2'
C=/run/lvslab-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
exec > "$C/stdout" 2> "$C/stderr" < /dev/null
. "$C/params"
# Progress marks go straight to the console (the kernel's own messages are cut down to errors
# below, so that a lab that logs every packet cannot slow the guest down on the serial line).
mark() { printf '[%s] lvslab-vm: %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*" > /dev/console; }
mark "stage 2 (host userland)"
dmesg -n 4
# Host wall-clock time: a file just created on the host share carries the host's current mtime.
: > "$C/clock" && date -s "@$(stat -c %.9Y "$C/clock")" > /dev/null
ip link set lo up
# Tunnel modules (ipip, gre) would otherwise add tunl0/gre0/... to every new namespace.
sysctl -qw net.core.fb_tunnels_only_for_init_net=2
# ip netns expects /run/netns to be a shared mount point.
mkdir -p /run/netns && mount --bind /run/netns /run/netns && mount --make-shared /run/netns
mkdir -p /run/lock /run/user && chmod 1777 /run/lock
# Debian's tmpfiles.d entries (e.g. /run/frr owned by frr); /var/run is a symlink to /run.
if command -v systemd-tmpfiles > /dev/null; then
  systemd-tmpfiles --create --prefix=/run > /dev/null 2>&1 || true
fi
getent passwd frr > /dev/null && install -d -o frr -g frr -m 755 /run/frr
mark "loading lab modules"
: > "$C/booted"  # tells the host's boot watchdog that the guest is up
mapfile -t modules < "$C/lab-modules"
if ! modprobe -a -q "${modules[@]}" 2> /dev/null; then
  failed=()
  for m in "${modules[@]}"; do modprobe -q "$m" 2> /dev/null || failed+=("$m"); done
  echo "vm-run: modules that did not load: ${failed[*]}" >&2
fi
mark "starting the command"
env -i PATH="$PATH" HOME=/root TERM=dumb \
  LANG=C.UTF-8 USER=root LOGNAME=root SHELL=/bin/bash /bin/bash "$C/cmd.sh"
status=$?
mark "command exited with status $status"
echo $status > "$C/rc"
STAGE2

V=security_model=none,multidevs=remap
# QEMU option values escape a comma by doubling it.
qemu_path() { printf '%s' "${1//,/,,}"; }
[ "${VM_DEBUG:-0}" = 1 ] && echo "DEBUG=1" >> "$CTL/params"
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-180}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
run_start_ms=$(now_ms)

# Boots the VM once, streaming the command's output; sets qemu_status (124: VM_TIMEOUT, 200: the
# guest did not reach the point where the command starts within BOOT_TIMEOUT).
boot_vm() {
  local left=$(( TIMEOUT - ($(now_ms) - run_start_ms) / 1000 )) deadline
  [ "$left" -gt 0 ] || { qemu_status=124; return; }
  rm -f "$CTL/booted" "$CTL/rc"; : > "$CTL/stdout"; : > "$CTL/stderr"; : > "$CTL/console.log"
  timeout -k 10 "$left" qemu-system-x86_64 \
    -nodefaults -no-user-config -machine q35 -accel tcg,thread=multi -cpu max -m "$MEM" -smp "$SMP" \
    -display none -monitor none -no-reboot -nic none -serial "file:$(qemu_path "$CTL")/console.log" \
    -kernel "$CACHE/vmlinux" -initrd "$(qemu_path "$CACHE")/initramfs.cpio.gz" \
    -append "console=ttyS0 loglevel=7 panic=-1 mitigations=off tsc=reliable" \
    -virtfs "local,path=/,mount_tag=hostroot,readonly=on,$V" \
    -virtfs "local,path=$(qemu_path "$CTL"),mount_tag=ctl,security_model=none" \
    -virtfs "local,path=$(qemu_path "$PWD"),mount_tag=work,$V" < /dev/null &
  QEMU_PID=$!
  tail -s 0.2 -n +1 -f --pid="$QEMU_PID" "$CTL/stdout" &
  tail -s 0.2 -n +1 -f --pid="$QEMU_PID" "$CTL/stderr" >&2 &
  [ "${VM_DEBUG:-0}" = 1 ] && tail -s 0.2 -n +1 -f --pid="$QEMU_PID" "$CTL/console.log" >&2 &
  # Boot watchdog: a guest stuck before the command started is killed (and retried by the caller).
  deadline=$(( $(now_ms) + BOOT_TIMEOUT * 1000 ))
  qemu_status=
  while [ ! -e "$CTL/booted" ] && kill -0 "$QEMU_PID" 2>/dev/null; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      kill "$QEMU_PID" 2>/dev/null; qemu_status=200; break
    fi
    sleep 0.2
  done
  local status=0
  wait "$QEMU_PID" || status=$?
  QEMU_PID=
  wait  # the tails end once they have printed everything
  [ -n "$qemu_status" ] || qemu_status=$status
}

for attempt in 1 2; do
  boot_vm
  [ "$qemu_status" = 200 ] || break
  note "the guest did not boot within ${BOOT_TIMEOUT}s (attempt $attempt); last console lines:"
  tail -n 15 "$CTL/console.log" >&2
done
elapsed_ms=$(( $(now_ms) - run_start_ms ))
[ "${VM_DEBUG:-0}" = 1 ] && note "VM ran $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))s"

if [ "$qemu_status" = 200 ]; then
  note "giving up: the guest did not boot twice in a row"
  exit 125
fi
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
  note "timed out after ${TIMEOUT}s (VM_TIMEOUT); last console lines:"
  tail -n 20 "$CTL/console.log" >&2
  exit 124
fi
if [ ! -s "$CTL/rc" ]; then
  note "the VM stopped before the command finished (qemu status $qemu_status); last console lines:"
  tail -n 30 "$CTL/console.log" >&2
  exit 125
fi
exit "$(cat "$CTL/rc")"
