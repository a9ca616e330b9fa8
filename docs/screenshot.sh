#!/usr/bin/env bash
# Regenerates docs/report.png, the README's picture of the weekly report: the demo organisation's
# stored run plus eleven earlier weekly runs added to its store (so the chart has a trend; their
# figures are made up, climbing to the demo's), rendered by `report --html` and headless Chromium.
#   bash docs/screenshot.sh            (needs a built seatwarden, python3 and Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${SEATWARDEN_BIN:-target/debug/seatwarden}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" demo --dir "$work/demo" -q
python3 - "$work/demo/demo/seatwarden-demo.db" <<'PY'
import sqlite3, sys, json, datetime
db = sqlite3.connect(sys.argv[1])
(rid, finished, summary) = db.execute("SELECT id, finished_at, summary FROM runs").fetchone()
end = datetime.datetime.fromisoformat(finished.replace("Z", "+00:00"))
for i, consumed in enumerate([25, 26, 26, 27, 28, 28, 29, 30, 31, 31, 31]):
    at = (end - datetime.timedelta(days=7 * (11 - i))).isoformat()
    s = json.loads(summary)
    s["run"]["id"] = f"earlier-{i}"
    s["run"]["started_at"] = s["run"]["finished_at"] = at
    s["usage"]["consumed_after"] = consumed
    s["usage"]["overage"] = max(0, consumed - 28)
    db.execute(
        "INSERT INTO runs (id, started_at, finished_at, status, licenses_purchased, consumed, overage,"
        " duplicates, recommendations, summary) VALUES (?, ?, ?, 'ok', 28, ?, ?, 4, 12, ?)",
        (f"earlier-{i}", at, at, consumed, max(0, consumed - 28), json.dumps(s)))
db.commit()
PY
"$bin" --config "$work/demo/demo.toml" report --html "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size=680,2180 --screenshot="$work/full.png" "file://$work/report.html" 2>/dev/null
cp "$work/full.png" docs/report.png
echo "docs/report.png written"
