#!/bin/sh
# Last step of both image builds, run inside the new root file system: drop what a lab node
# never reads (package caches, documentation, translations) and create the directories
# lvslab uses. Keep it idempotent: it runs once per build, on a fresh tree.
set -eu
rm -rf /var/cache/apt/* /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/* /usr/share/info/*
# Node configs, pid files and logs (the runtime's node paths) and lvslab's own code (bind-mounted)
mkdir -p /lvslab /opt/lvslab
# FRR's own run-time directories (systemd-tmpfiles makes them on a booted host; no systemd here)
install -d -o frr -g frr /run/frr /var/tmp/frr
# The packaged default site is not a lab's: lvslab gives nginx its own config
rm -f /etc/nginx/sites-enabled/default
