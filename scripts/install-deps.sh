#!/usr/bin/env bash
# Installs the host packages lvslab needs (idempotent; Debian/Ubuntu; run as root).
#   scripts/install-deps.sh          runtime packages: iproute2, FRR, keepalived, nginx, nftables, tcpdump, ...
#   scripts/install-deps.sh --vm     also what the QEMU/IPVS test harness needs
#   scripts/install-deps.sh --docker also the Docker engine and debootstrap (--runtime docker, lvslab images build)
#   scripts/install-deps.sh --tests  everything the test suite needs (--vm, --docker, Chromium, xmllint, ping)
# Daemons are installed but never started on the host: a policy-rc.d is held in place
# during the install so the packages' postinst scripts cannot start frr/nginx/keepalived
# in the host namespace (lvslab starts its own instances inside each lab's namespaces).
set -euo pipefail
want_vm=0; want_tests=0; want_docker=0
for a in "$@"; do case "$a" in --vm) want_vm=1 ;; --docker) want_docker=1 ;; --tests) want_tests=1; want_vm=1; want_docker=1 ;; -h|--help) sed -n '2,9p' "$0"; exit 0 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac; done
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: run as root" >&2; exit 1; }

# tcpdump: run --capture on netns runs this host's tcpdump inside the lab's namespaces
pkgs=(iproute2 frr keepalived ipvsadm nginx-light nftables curl procps kmod ca-certificates util-linux tcpdump)
[ "$want_vm" = 1 ] && pkgs+=(qemu-system-x86 busybox-static cpio xz-utils)
# the tests also render report.html in headless Chromium, check XML with xmllint, and ping
# across a captured link (tcpdump, which the GNS3 stand-in's captures run too, is installed above);
# the remote-host suites start a real sshd on a loopback address (openssh-server; the client's
# ssh-keygen makes their keys)
[ "$want_tests" = 1 ] && pkgs+=(chromium libxml2-utils iputils-ping openssh-server openssh-client)
# Debian's engine (20.10) and what builds the node image without a registry
[ "$want_docker" = 1 ] && pkgs+=(docker.io debootstrap tar)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  placed_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; placed_policy=1
  fi
  trap '[ "$placed_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# FRR's runtime directories (lvslab binds node-private directories over them; see
# src/lab/node-setup.ts). The package creates /run/frr only through systemd-tmpfiles.
install -d -o frr -g frr -m 0755 /run/frr
install -d -o frr -g frr -m 0700 /var/tmp/frr
# Node >= 20 is required to run lvslab itself.
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-deps: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
echo "install-deps: ok"
