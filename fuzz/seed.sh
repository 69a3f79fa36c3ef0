#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seed inputs from ../shared/corpus (the shared research corpus) and
# from this repository's own example files. The seeds are copies for running only: fuzz/corpus/ is
# ignored by git. Usage: fuzz/seed.sh [CORPUS_DIR]   (default: ../shared/corpus next to the repo,
# or $FIRMWATCH_CORPUS). Needs jq for the vers seeds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
src="${1:-${FIRMWATCH_CORPUS:-$repo/../shared/corpus}}"
[ -d "$src" ] || { echo "no corpus at $src (pass it as the first argument)" >&2; exit 1; }
src="$(cd "$src" && pwd)"
out="$here/corpus"

put() { # put TARGET FILE...: copy files under a name derived from their path
  local t="$1"; shift
  mkdir -p "$out/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp "$f" "$out/$t/$(echo "${f#"$src"/}" | tr '/' '_')"
  done
}
text() { # text TARGET NAME CONTENT: one seed from a string
  mkdir -p "$out/$1"
  printf '%s' "$3" > "$out/$1/$2"
}

# Documents. CSAF: every advisory and test case (not the ROLIE / provider metadata listings).
put csaf $(find "$src/csaf" -name '*.json' \
  ! -path '*/provider/oasis-examples/*' ! -name '*feed*' ! -name 'provider-metadata.json' \
  ! -name 'service.json' ! -name 'testcases.json')
put osv $(find "$src/osv" -name '*.json')
put cve5 $(find "$src/cve5" -name '*.json')
put nvd $(find "$src/nvd" -name '*.json')
put native "$repo"/feeds/native/*.toml
# The native JSON form: the bundled TOML notes as {"advisory": [...]} (python3 is only used here).
if command -v python3 >/dev/null; then
  for f in "$repo"/feeds/native/*.toml; do
    python3 -c 'import sys,json,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1],"rb"))))' "$f" \
      > "$out/native/$(basename "$f" .toml).json" 2>/dev/null || rm -f "$out/native/$(basename "$f" .toml).json"
  done
fi

# Pages and listings.
put html "$repo"/tests/fixtures/sync/*.html $(find "$src" -name '*.html') "$src"/html/*
put syndication "$repo"/tests/fixtures/sync/*.rss
text syndication atom.xml '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>ACME</title><id>urn:acme</id><updated>2026-03-03T09:00:00Z</updated><entry><title>Controller panic</title><id>urn:acme:1</id><link href="/advisories/acme-sa-2026-0042.html"/><updated>2026-03-03T09:00:00Z</updated></entry></feed>'
put listing $(find "$src/csaf" -name 'changes.csv' -o -name 'index.txt') "$repo"/feeds/csaf/changes.csv "$repo"/feeds/csaf/index.txt

# vers strings: every range in the vers-spec test files, one per seed.
i=0
mkdir -p "$out/vers"
for f in "$src"/vers/*.json; do
  jq -r '.. | strings | select(startswith("vers:"))' "$f" | sort -u | while IFS= read -r r; do
    printf '%s' "$r" > "$out/vers/$(basename "$f" .json)-$((i++))"
  done
done
# Range text as advisories write it (the README's table and the corpus documents).
n=0
for r in 'vers:intdot/>=1.2|<2.0' 'vers:all/<V7.0.3' 'vers:all/>=V2022.4<V2023.1' '>= 6.02 | <= 6.05' \
  '>=5.3 <6.0' '>= 1.7.0, < 1.18.4' 'All versions < V4.33' 'All BIOS versions < V22.01.08' \
  'Versions prior to 5.3.0.0.5.120' '9.8 and earlier' '7.2 or later' 'up to 9.8P3' \
  'from 9.8 through 9.8P3' '9.8 to 9.8P3' '9.8P3' 'vers:ontap/>=9.8|<9.8P16|>=9.9.1|<9.9.1P9' \
  'vers:opaque/HPD5|HPD6|HPD7' 'vers:threepar/>=3.3.1.648%20(MU5)' 'vers:megaraid/<24.21.0-0148' \
  'vers:hitachi/>=88-06-02/10|<88-08-02-60/00' 'vers:dothill/<GL225P002-02' 'vers:eseries/<11.50.3R1P4' \
  'vers:semver/>=1.0.0-rc.1|<2.0.0' 'vers:npm/1.2.3|>=2.0.0|<5.0.0' '*'; do
  printf '%s' "$r" > "$out/vers/text-$((n++))"
done
# Range and version strings inside the corpus documents.
tmp="$(mktemp)"
find "$src/csaf" "$src/cve5" -name '*.json' -print0 \
  | xargs -0 -n1 jq -r '.. | objects | (.product_version_range?, .version?, .lessThan?, .lessThanOrEqual?) | strings' \
    > "$tmp" 2>/dev/null || true
sort -u "$tmp" | sed -n '1,400p' | while IFS= read -r r; do printf '%s' "$r" > "$out/vers/doc-$((n++))"; done
rm -f "$tmp"

# Versions: first byte = scheme index (semver, intdot, ontap, eseries, dothill, hitachi, 3par,
# megaraid, opaque), then up to three versions separated by newlines.
v=0
ver() { mkdir -p "$out/versions"; printf "\\x$(printf %02x "$1")%s" "$2" > "$out/versions/s$1-$((v++))"; }
ver 0 $'6.5.8\n6.5.10-rc.1+build.5\n1.0.0'
ver 1 $'5.1.2.0.5.007\n5.1.2.0.5.009\n5978.711.711'
ver 1 $'6.10.30.00\n6.10.30\n2.72'
ver 2 $'9.8\n9.8P3\n9.8P16'
ver 2 $'9.9.1RC1\n9.9.1\n9.12.1P2'
ver 2 $'7.3.5.1P5\n9.8P3X1\n9.8D2'
ver 3 $'08.74.02.00\n11.50.3R1\n11.50.3R1P4'
ver 3 $'11.70.4R1\n11.90.R4\n12.00GA'
ver 3 $'08.74.02.00.005-LEN\n08.74.02.00\n08.74.02.00.006-LEN'
ver 4 $'GL225P002-02\nGT280R011-01\nGT280R008-04'
ver 4 $'GL225P002\nGL225R002-02\nGL226P001-01'
ver 5 $'88-06-02/10\n88-08-02-60/00\n90-08-01'
ver 6 $'3.3.1.648 (MU5)\n3.3.1.652 (MU6)\n3.3.1 (MU5)+P126,P132'
ver 6 $'Release version 3.3.1.648 (MU5)\n4.2.0\n3.3.1.648 (MU5)+P126'
ver 7 $'24.21.0-0014\n24.21.0-0148\n5.230.00-3690'
ver 7 $'FW Package Build = 24.21.0-0014\nFW Version = 3.460.65-6268\nNVDATA 36.00.00.14'
ver 8 $'HPD8\nSD1A\nCC4H'
ver 8 $'GXA7602Q\nHPD7\nHPD8'

# Inventory and plan files: the example estate and the test fixtures.
put inventory "$repo"/inventory/* $(find "$repo/tests/fixtures/inventory" -type f)
put plan "$repo"/tests/fixtures/plans/*.toml
echo "seeded: $(for d in "$out"/*/; do printf '%s=%s ' "$(basename "$d")" "$(ls "$d" | wc -l)"; done)"
