#!/usr/bin/env bash
# The Debian package as city IT meets it: lintian on the .deb (no errors), then a fresh Debian 12
# root (debootstrap, minbase) where `apt-get install ./lotse_….deb` pulls in the libraries,
# postinst makes the user, the folders and the keyring, `lotse --version` answers, and the set
# started from /usr/bin as user `lotse` on /etc/lotse/lotse.toml takes a referral that reaches
# its department's worklist. Installed again over itself, it keeps keys, config and data; then
# `apt-get purge` removes config and keys and keeps the data.
# Usage: package_test.sh DEB. Needs root, debootstrap, unshare and ip, and Debian's mirror
# ($LOTSE_DEBIAN_MIRROR, default http://deb.debian.org/debian); exits 77 ("skipped") without.
set -uo pipefail
deb=$(readlink -f "$1")
mirror=${LOTSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
skip() {
  echo "skipped: $*"
  exit 77
}
[ -f "$deb" ] || skip "no package at $1: deploy/package.sh builds it (deploy/test.sh does)"
[ "$(id -u)" -eq 0 ] || skip "debootstrap and chroot need root"
for tool in debootstrap unshare ip; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages debootstrap, util-linux, iproute2)"
done

failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}
start=$SECONDS
step() { echo "== $* (at $((SECONDS - start)) s)"; }

step "lintian $(basename "$deb")"
if command -v lintian >/dev/null; then
  out=$(lintian --fail-on error "$deb" 2>&1 | grep -v '^running with root privileges')
  rc=${PIPESTATUS[0]}
  echo "${out:-(no tags)}"
  errors=$(grep -c '^E:' <<<"$out")
  echo "lintian: $errors errors, $(grep -c '^W:' <<<"$out") warnings"
  [ "$rc" -eq 0 ] && [ "$errors" -eq 0 ] || fail "lintian reports errors"
else
  fail "lintian is not installed (Debian package lintian; deploy/install-deps.sh installs it)"
fi

root=$(mktemp -d /var/tmp/lotse-package-test.XXXXXX)
chmod 755 "$root"  # the root of the new system: every user enters it
cleanup() {
  [ -n "${up_pid:-}" ] && kill "$up_pid" 2>/dev/null
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

step "debootstrap --variant=minbase bookworm ($mirror)"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1; then
  tail -5 "$root.log"
  rm -f "$root.log"
  skip "debootstrap could not make a Debian 12 root from $mirror (above)"
fi
rm -f "$root.log"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

step "apt-get install ./$(basename "$deb") in the fresh root"
cp "$deb" "$root/tmp/"
if ! in_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" >"$root/tmp/install.log" 2>&1; then
  tail -20 "$root/tmp/install.log"
  fail "the package does not install"
  exit 1
fi
grep -E '^lotse:|Setting up lotse' "$root/tmp/install.log"

step "what the package left"
version=$(in_root lotse --version)
echo "lotse --version: $version"
[ "$version" = "lotse $(dpkg-deb -f "$deb" Version)" ] || fail "lotse --version says '$version'"
for service in intake routing notification audit web; do
  v=$(in_root lotse-$service --version) || fail "lotse-$service --version fails"
  echo "lotse-$service --version: $v"
done
in_root getent passwd lotse || fail "no user lotse"
uid=$(in_root id -u lotse)
[ "$uid" -lt 1000 ] || fail "lotse is not a system user (uid $uid)"
stat_of() { in_root stat -c '%U:%G %a' "$1"; }
[ "$(stat_of /var/lib/lotse)" = "lotse:lotse 750" ] || fail "/var/lib/lotse is $(stat_of /var/lib/lotse)"
[ "$(stat_of /var/backups/lotse)" = "lotse:lotse 750" ] || fail "/var/backups/lotse is $(stat_of /var/backups/lotse)"
[ "$(stat_of /etc/lotse/keys)" = "root:lotse 750" ] || fail "/etc/lotse/keys is $(stat_of /etc/lotse/keys)"
# The services' keys readable by their group, every other (offices, ops, admin) root's alone.
keys=0
for key in "$root"/etc/lotse/keys/*.key; do
  keys=$((keys + 1))
  k=/etc/lotse/keys/$(basename "$key")
  case $(basename "$key" .key) in
    intake | routing | notification | audit | web) want="root:lotse 640" ;;
    *) want="root:root 600" ;;
  esac
  [ "$(stat_of "$k")" = "$want" ] || fail "$k is $(stat_of "$k"), not $want"
done
echo "/etc/lotse/keys: $keys secret key files (the services' root:lotse 0640, the rest root:root 0600) and public.toml"
[ "$keys" -gt 10 ] || fail "only $keys keys in /etc/lotse/keys"
in_root dpkg-query -W -f='${Conffiles}\n' lotse | grep -q '/etc/lotse/lotse.toml' ||
  fail "/etc/lotse/lotse.toml is not a conffile"
for unit in lotse-intake lotse-routing lotse-notification lotse-audit lotse-web; do
  [ -L "$root/etc/systemd/system/lotse.target.wants/$unit.service" ] ||
    fail "$unit.service is not enabled (no link in lotse.target.wants)"
done
[ -L "$root/etc/systemd/system/multi-user.target.wants/lotse.target" ] || fail "lotse.target is not enabled"

step "the set from /usr/bin as user lotse, in its own network and process namespace"
# `lotse up` stands in for systemd here (no init runs in the root); its services are the
# package's binaries, on the package's config, with the keys the package made.
unshare --net --pid --mount --fork --mount-proc="$root/proc" sh -c "
  ip link set lo up
  chroot '$root' /usr/bin/env -i PATH=/usr/bin:/bin HOME=/var/lib/lotse \
    setpriv --reuid=lotse --regid=lotse --init-groups lotse up >'$root/tmp/up.log' 2>&1 &
  up=\$!
  run() { chroot '$root' /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root \"\$@\"; }
  for i in \$(seq 1 100); do
    run lotse status >/dev/null 2>&1 && break
    sleep 0.2
  done
  run lotse status
  reply=\$(run lotse submit --office bb-mitte --company-id HRB-77001 --company-name 'Paketprobe GmbH' \
    --topic gaststaettenerlaubnis --subject 'Gaststättenerlaubnis nach Umzug' \
    --text 'Gilt die Erlaubnis am neuen Ort?' --json)
  echo \"lotse submit: \$reply\"
  case_number=\$(echo \"\$reply\" | sed -n 's/.*\"case_number\":\"\\([0-9-]*\\)\".*/\\1/p')
  [ -n \"\$case_number\" ] || { echo 'no case number in the reply'; exit 1; }
  routed=no
  for i in \$(seq 1 50); do
    if run lotse worklist --department ordnung-gewerbe >'$root/tmp/worklist.txt' 2>&1 &&
       grep -q \"\$case_number\" '$root/tmp/worklist.txt'; then
      routed=yes
      break
    fi
    sleep 0.2
  done
  echo \"worklist of ordnung-gewerbe:\"
  cat '$root/tmp/worklist.txt'
  run lotse status \"\$case_number\" --office bb-mitte
  kill -TERM \$up
  wait \$up
  echo \"lotse up exited \$?\"
  [ \"\$routed\" = yes ]
" || fail "the installed set did not take a referral to its department's worklist"
grep -E 'ready|stop|kill|cannot|error' "$root/tmp/up.log" | sed 's/^/  up: /'
if grep -q 'killing' "$root/tmp/up.log"; then
  fail "a service of the installed set did not stop within 5 s of SIGTERM (above)"
fi
for service in intake routing notification audit; do
  [ "$(stat_of /var/lib/lotse/$service)" = "lotse:lotse 700" ] ||
    fail "/var/lib/lotse/$service is $(stat_of /var/lib/lotse/$service)"
done

step "the package installed again over itself (an upgrade's path): keys, config and data stay"
keys_before=$(cat "$root"/etc/lotse/keys/* | md5sum)
echo "# a city's change" >>"$root/etc/lotse/lotse.toml"
in_root dpkg -i "/tmp/$(basename "$deb")" 2>&1 | grep -E '^lotse:|Setting up'
[ "$(cat "$root"/etc/lotse/keys/* | md5sum)" = "$keys_before" ] || fail "the upgrade changed the keys"
grep -q "# a city's change" "$root/etc/lotse/lotse.toml" || fail "the upgrade overwrote the city's config"
[ -d "$root/var/lib/lotse/intake" ] || fail "the upgrade lost the data"

step "apt-get purge lotse"
in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq lotse" 2>&1 | grep -E '^lotse:'
[ ! -e "$root/etc/lotse" ] || fail "/etc/lotse is still there after purge: $(ls -A "$root/etc/lotse")"
[ -d "$root/var/lib/lotse/intake" ] || fail "purge deleted the data in /var/lib/lotse"

step "done"
[ "$failed" -eq 0 ] && echo "ok: installed, ran a referral, purged" || exit 1
