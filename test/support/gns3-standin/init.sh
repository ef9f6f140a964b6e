#!/gns3/bin/sh
# Entrypoint of the GNS3 stand-in's docker nodes (lvslab tests, test/support/gns3-standin).
# Written for the stand-in from what GNS3 2.2's /gns3/init.sh is seen to do in a container
# (/work/shared/reference/gns3-findings.md); it is not GNS3's script.
#   1. Every path in GNS3_VOLUMES (colon-separated) is bind-mounted from /gns3volumes<path>,
#      the node directory's copy on the host. The first time a volume is used, the image's
#      files at that path are copied into it (over what is there), so later writes persist.
#   2. GNS3_EXTRA_HOSTS lines are added to /etc/hosts.
#   3. Waits until eth0 ... $GNS3_MAX_ETHERNET exist: the server hands them in after start.
#   4. ifup -a, when the image has ifup and /etc/network/interfaces exists.
#   5. exec the start command (the container's Cmd).
# /gns3/bin/sh is a static busybox from the host when there is one, else the image's /bin/sh;
# commands the image lacks are run as busybox applets when busybox is there.

BB=
[ -x /gns3/bin/busybox ] && BB=/gns3/bin/busybox
tool() {
  if command -v "$1" >/dev/null 2>&1; then "$@"
  elif [ -n "$BB" ]; then "$BB" "$@"
  else echo "init.sh: $1: not found" >&2; return 127
  fi
}

saved_ifs=$IFS
IFS=:
set -f
volumes=$GNS3_VOLUMES
for v in $volumes; do
  IFS=$saved_ifs
  [ -n "$v" ] || continue
  src="/gns3volumes$v"
  tool mkdir -p "$v" "$src"
  if [ ! -e "$src/.gns3sb_filled" ]; then
    tool cp -a "$v/." "$src/" 2>/dev/null
    : > "$src/.gns3sb_filled"
  fi
  tool mount --bind "$src" "$v" || echo "init.sh: could not mount $src on $v" >&2
done
set +f
IFS=$saved_ifs

if [ -n "$GNS3_EXTRA_HOSTS" ]; then
  printf '%s\n' "$GNS3_EXTRA_HOSTS" >> /etc/hosts
fi

last=${GNS3_MAX_ETHERNET#eth}
i=0
while [ "$i" -le "$last" ]; do
  while [ ! -e "/sys/class/net/eth$i" ]; do
    tool sleep 0.1 || tool sleep 1
  done
  i=$((i + 1))
done

if command -v ifup >/dev/null 2>&1 && [ -f /etc/network/interfaces ]; then
  ifup -a -f || echo "init.sh: ifup -a failed" >&2
fi

exec "$@"
