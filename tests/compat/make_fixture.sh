#!/usr/bin/env bash
# Makes tests/compat/fixture-v1 (README.md): starts the set with this commit's binaries on a
# fresh data directory and a known service time (LOTSE_CLOCK_FILE), works three referrals through
# the whole flow with the lotse client (contact data, an attachment, routing to a department and
# to a key account manager, claim, consultation, forward, answers, the office's and the company's
# feedback, an inbox read, mail to a real SMTP listener), stops it cleanly, and keeps the data
# directories, the keys and the event streams.
#
#   tests/compat/make_fixture.sh [BUILD_DIR] [OUT_DIR]
#     BUILD_DIR  default build (needs lotse, lotse-intake, -routing, -notification, -audit,
#                lotse-web and lotse-compat: make cli intake routing notification audit web
#                compat_tool)
#     OUT_DIR    default tests/compat/fixture-v1 (replaced)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="$(realpath "${1:-build}")"
out="${2:-tests/compat/fixture-v1}"
bin="$build/bin"
for b in lotse lotse-intake lotse-routing lotse-notification lotse-audit lotse-web lotse-compat; do
  [ -x "$bin/$b" ] || { echo "make_fixture: $bin/$b is missing; build it first" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "make_fixture: needs jq" >&2; exit 1; }

work="$(mktemp -d /tmp/lotse-fixture-XXXXXX)"
data="$work/data"
up_pid=""
smtp_pid=""
cleanup() {
  [ -n "$up_pid" ] && kill -KILL "$up_pid" 2>/dev/null || true
  [ -n "$smtp_pid" ] && kill -KILL "$smtp_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free block of 32 ports (what a set uses) and one for the SMTP listener.
read -r port_base smtp_port < <(python3 - <<'EOF'
import random, socket
def free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    base = random.randrange(20000 // 32, 32000 // 32) * 32
    if all(free(p) for p in range(base, base + 33)):
        print(base, base + 32); break
EOF
)

# Service time: Monday 2 March 2026 in Musterstadt (Europe/Berlin, CET = UTC+1).
export LOTSE_CLOCK_FILE="$work/now"
at() {  # at HH:MM
  echo $(($(date -u -d "2026-03-02 $1 +0100" +%s) * 1000000)) >"$LOTSE_CLOCK_FILE"
}
at 08:00

# A real SMTP listener (Python's smtpd), plain SMTP without STARTTLS.
python3 -W ignore -m smtpd -n -c DebuggingServer "127.0.0.1:$smtp_port" >"$work/smtp.log" 2>&1 &
smtp_pid=$!
export LOTSE_SMTP_URL="smtp://127.0.0.1:$smtp_port" LOTSE_SMTP_TLS=off LOTSE_SMTP_RETRY_MS=200

lotse() { "$bin/lotse" --port-base "$port_base" --keys "$data/keys" --timeout-ms 3000 "$@"; }
start_set() {
  "$bin/lotse" up --data-dir "$data" --port-base "$port_base" >>"$work/up.log" 2>&1 &
  up_pid=$!
  for _ in $(seq 100); do
    lotse departments >/dev/null 2>&1 && break
    sleep 0.2
  done
  lotse departments >/dev/null || { cat "$work/up.log" >&2; exit 1; }
}
stop_set() {  # Ctrl-C: every service stops cleanly, lotse up exits 0
  kill -INT "$up_pid"
  wait "$up_pid" || { echo "make_fixture: lotse up did not stop cleanly" >&2; cat "$work/up.log" >&2; exit 1; }
  up_pid=""
}
start_set

# Waits until the referral has `status` at its office.
await() {  # await REF OFFICE STATUS
  for _ in $(seq 100); do
    [ "$(lotse status "$1" --office "$2" --json | jq -r .status)" = "$3" ] && return 0
    sleep 0.1
  done
  echo "make_fixture: $1 did not reach $3" >&2
  lotse status "$1" --office "$2" >&2
  exit 1
}
# Waits until every consumer has read everything and no mail is pending.
settle() {
  for _ in $(seq 300); do
    if [ "$(lotse lag --json | jq '[.. | objects | select(has("lag")) | .lag | tonumber] | add // 0')" = 0 ]; then
      sleep 1
      [ "$(lotse lag --json | jq '[.. | objects | select(has("lag")) | .lag | tonumber] | add // 0')" = 0 ] &&
        return 0
    fi
    sleep 0.2
  done
  echo "make_fixture: the set did not settle" >&2
  lotse lag >&2
  exit 1
}

# A document the company brings along: 7.6 KiB of text (over 4 KiB: intake keeps it in a blob file).
{
  printf '%%PDF-1.4\n%% Lageplan Kurz Logistik GmbH, Flurstück 112/4 (Lotse test fixture)\n'
  for i in $(seq 1 128); do printf 'Zeile %03d: Lagerhalle, Zufahrt, Stellplätze ..............\n' "$i"; done
} >"$work/Lageplan.pdf"

# 09:00 R1 at Bürgerbüro Mitte: emissions (Umweltamt), contact person who consents to e-mail.
at 09:00
r1="$(lotse submit --office bb-mitte --company-id HRB-4711 --company-name "Kurz Logistik GmbH" \
  --topic emissionsschutz --subject "Lüftungsanlage der Lagerhalle" \
  --text "Braucht die neue Lüftungsanlage unserer Lagerhalle eine Genehmigung?" \
  --contact-name "Eva Kurz" --contact-email eva.kurz@example.com --contact-phone "0391 555-0101" \
  --consent-email --priority high --key fixture-r1 --json | jq -r .case_number)"
await "$r1" bb-mitte REFERRAL_STATUS_ROUTED
at 09:05
lotse attach "$r1" "$work/Lageplan.pdf" --office bb-mitte --key fixture-r1-lageplan >/dev/null

# 09:10 R2 at Bürgerbüro Nord: a key account's company, to its KAM.
at 09:10
r2_reply="$(lotse submit --office bb-nord --company-id HRB-20417 --company-name "Stahlbau Nord AG" \
  --topic foerdermittel --subject "Förderung einer Fertigungshalle" \
  --text "Welche Förderprogramme gibt es für die Erweiterung?" \
  --contact-name "Jonas Berg" --contact-phone "0391 555-0202" --key fixture-r2 --json)"
r2="$(jq -r .case_number <<<"$r2_reply")"
r2_code="$(jq -r .feedback_code <<<"$r2_reply")"
await "$r2" bb-nord REFERRAL_STATUS_ROUTED

# 09:20 R3 at Bürgerbüro Süd: a trade registration that turns out to be a building question.
at 09:20
r3="$(lotse submit --office bb-sued --company-id HRB-9000 --company-name "Café Süd GmbH" \
  --topic gewerbeanmeldung --subject "Gewerbeanmeldung und Umbau" \
  --text "Wir melden ein Café an und wollen den Laden umbauen." \
  --contact-name "Lea Sommer" --contact-email lea.sommer@example.com --key fixture-r3 --json |
  jq -r .case_number)"
await "$r3" bb-sued REFERRAL_STATUS_ROUTED

# 10:00 R1 claimed; 10:30 R3 forwarded to the building authority; 11:00 R1 consultation.
at 10:00
lotse claim "$r1" --department umwelt --user um-wagner --key fixture-r1-claim >/dev/null
at 10:30
lotse forward "$r3" --department ordnung-gewerbe --user og-schulz --to bauordnung \
  --reason "Umbau: Bauordnungsamt" --key fixture-r3-forward >/dev/null
at 11:00
lotse consult "$r1" --department umwelt --user um-wagner --with bauordnung \
  --question "Ist für die Lüftungsanlage eine Baugenehmigung nötig?" \
  --key fixture-r1-consult >/dev/null
at 11:30
lotse contribute "$r1" --department bauordnung --user bo-becker \
  --text "Nein, verfahrensfrei nach Landesbauordnung." --key fixture-r1-contribute >/dev/null
# Stopped and started again at noon: on the start each store replays its log (WAL) into table
# files, so the fixture has the morning in RocksDB's table and blob files (the attachment) and
# the afternoon in its log.
settle
stop_set
start_set

# 12:00 R1 answered; 12:30 R2 claimed and 13:00 answered by the key account manager.
at 12:00
lotse answer "$r1" --department umwelt --user um-wagner --outcome resolved \
  --text "Keine Genehmigung nötig; bitte die Lärmwerte der TA Lärm einhalten." \
  --key fixture-r1-answer >/dev/null
at 12:30
lotse claim "$r2" --department kam-schneider --user kam-schneider --key fixture-r2-claim >/dev/null
at 13:00
lotse answer "$r2" --department kam-schneider --user kam-schneider --outcome resolved \
  --text "Das Landesprogramm für Investitionen passt; Antrag bis 30.04." \
  --key fixture-r2-answer >/dev/null
await "$r1" bb-mitte REFERRAL_STATUS_ANSWERED
await "$r2" bb-nord REFERRAL_STATUS_ANSWERED
# 13:30 R3 claimed at the building authority (stays open).
at 13:30
lotse claim "$r3" --department bauordnung --user bo-kaya --key fixture-r3-claim >/dev/null

# 14:00 the office reads its inbox (and so acknowledges it); feedback on R1 by the office, on R2
# by the company with the code from its receipt.
at 14:00
settle
lotse inbox --office bb-mitte >"$work/inbox-bb-mitte.txt"
lotse feedback "$r1" --office bb-mitte --rating 5 --resolved yes --comment "Schnell und klar." \
  --key fixture-r1-feedback >/dev/null
at 14:10
lotse feedback --code "$r2_code" --rating 4 --resolved yes --comment "Hilfreich." \
  --key fixture-r2-company-feedback >/dev/null
await "$r1" bb-mitte REFERRAL_STATUS_CLOSED

# 15:00 everything consumed, every mail out; then Ctrl-C.
at 15:00
settle
mails="$(grep -c -- '---------- MESSAGE FOLLOWS ----------' "$work/smtp.log" || true)"
lotse audit verify >/dev/null
stop_set

# The fixture: data directories (without RocksDB's LOG files, which name this machine's paths)
# and the event streams.
"$bin/lotse-compat" events "$data" "$work" >"$work/events.txt"
find "$data" -name 'LOG' -o -name 'LOG.old.*' | xargs -r rm -f
if grep -rlaE "$work|/tmp/|/work/|/home/|/root/" "$data"; then
  echo "make_fixture: the files above name an absolute path ($work)" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out/events"
cp -a "$data" "$out/data"
cp "$work"/{intake,routing,notification}.events "$out/events/"
cp "$work/Lageplan.pdf" "$out/Lageplan.pdf"
{
  echo "referrals: $r1 $r2 $r3"
  echo "mails: $mails"
  cat "$work/events.txt"
} >"$out/made.txt"
sed "s|$out/||; s|$work/||" "$out/made.txt" >"$out/made.txt.tmp" && mv "$out/made.txt.tmp" "$out/made.txt"
echo "Fixture in $out ($(du -sh "$out" | cut -f1)):"
cat "$out/made.txt"
