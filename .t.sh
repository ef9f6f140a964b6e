time (: > /run/lvslab-vm/clock2 && date -s "@$(stat -c %.9Y /run/lvslab-vm/clock2)" >/dev/null)
time systemd-tmpfiles --create --prefix=/run >/dev/null 2>&1
time getent passwd frr
time (mkdir -p /run/n2 && mount --bind /run/n2 /run/n2 && mount --make-shared /run/n2)
time sysctl -qw net.core.fb_tunnels_only_for_init_net=2
time ip link set lo up
time modprobe -a -q ip_vs
