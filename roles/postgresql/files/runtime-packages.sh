#!/bin/sh
# Print, one per line, the OS packages that provide the shared libraries the
# binaries and libraries below $1 (a staged PostgreSQL prefix) link against.
# Runs on the build host after `make install DESTDIR=...`.
set -eu
root="$1"

owner() {
    # $1: an absolute path; prints the owning package name or nothing.
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -S "$1" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1
    elif command -v rpm >/dev/null 2>&1; then
        rpm -qf --queryformat '%{NAME}\n' "$1" 2>/dev/null | head -n 1
    fi
}

find "$root" -type f \( -perm -u+x -o -name '*.so*' \) | while read -r file; do
    ldd "$file" 2>/dev/null | awk '$2 == "=>" && substr($3, 1, 1) == "/" { print $3 }' || true
done | sort -u | while read -r lib; do
    # dpkg may record the file under /lib or /usr/lib (merged /usr), and
    # by its soname link or its real name: try each spelling.
    real="$(readlink -f "$lib")"
    for candidate in "$real" "$lib" "/usr$real" "/usr$lib" "${real#/usr}" "${lib#/usr}"; do
        pkg="$(owner "$candidate")"
        if [ -n "$pkg" ]; then
            echo "$pkg"
            break
        fi
    done
done | sort -u
