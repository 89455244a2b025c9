#!/bin/sh
# Make a Python 3.11 base image with debootstrap, for machines that cannot pull python:3.11-slim:
#
#   sudo deploy/build_base.sh                  # prints the image's name, e.g. localhost/annex-base:…
#   podman build --format docker --build-arg PYTHON_IMAGE="$(sudo deploy/build_base.sh)" …
#
# Debian 12 (bookworm) minbase from the apt mirror this machine uses (ANNEX_BASE_MIRROR to choose
# another), with python3 (3.11), python3-venv and ca-certificates, and what the Containerfile
# expects of the official image: `python` on the PATH, LANG=C.UTF-8. Needs root, debootstrap and
# podman. The root filesystem is kept as a tarball under ANNEX_BASE_CACHE (default
# /var/cache/annex-ci), named by this script's hash: later runs import it (or find the image) and
# skip debootstrap; a change to this script makes a new one.
set -eu

CACHE=${ANNEX_BASE_CACHE:-/var/cache/annex-ci}
SUITE=bookworm
KEY=$(sha256sum "$0" | cut -c1-12)
IMAGE=localhost/annex-base:python3.11-$SUITE-$KEY
TARBALL=$CACHE/annex-base-$SUITE-$KEY.tar

if podman image exists "$IMAGE"; then
    echo "$IMAGE"
    exit 0
fi

mirror() {
    # The first Debian archive (not -security) this machine's apt sources name.
    if [ -n "${ANNEX_BASE_MIRROR:-}" ]; then
        echo "$ANNEX_BASE_MIRROR"
        return
    fi
    found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1 || true)
    if [ -z "$found" ]; then
        found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' || true)
    fi
    echo "${found:-http://deb.debian.org/debian}"
}

if [ ! -s "$TARBALL" ]; then
    mkdir -p "$CACHE"
    work=$(mktemp -d "$CACHE/debootstrap.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    echo "build_base: debootstrap $SUITE from $(mirror) (a few minutes, once)" >&2
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$SUITE" "$work/root" "$(mirror)" >"$work/debootstrap.log" 2>&1 || {
        tail -n 40 "$work/debootstrap.log" >&2
        exit 1
    }
    # The official image's `python`; no apt lists or caches in the image.
    ln -s /usr/bin/python3 "$work/root/usr/local/bin/python"
    rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin \
        "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/log/"*.log
    tar --numeric-owner -C "$work/root" -cf "$work/base.tar" .
    mv "$work/base.tar" "$TARBALL"
fi

podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
