#!/usr/bin/env bash
# How Fixtures/processserver-e357c9b.db was made: the server of main at e357c9b (the last commit with the
# hand-written migrations and no model snapshot), built in Release in /tmp/oldmain, driven through the
# README walk-through calls; then the WAL checkpointed and the file vacuumed. Kept for provenance: the
# fixture must stay the one the old release wrote, so do not regenerate it with newer code.
# README's walk-through calls, for the upgrade test.
set -euo pipefail
OUT=${1:?output db}
BIN=/tmp/oldmain/src/ProcessServer.Host/bin/Release/net10.0
WORK=$(mktemp -d)
cp -r $BIN/. $WORK/
cd $WORK
rm -f "$OUT" "$OUT-wal" "$OUT-shm"
Database__ConnectionString="Data Source=$OUT" Urls=http://127.0.0.1:5199 dotnet ProcessServer.Host.dll > $WORK/server.out 2>&1 &
PID=$!
BASE=http://127.0.0.1:5199
for i in $(seq 60); do curl -sf $BASE/health >/dev/null && break; sleep 1; done
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=(new Function("j","return "+process.argv[1]))(JSON.parse(s));console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
complete() {
  local d task ver
  d=$(curl -s "$BASE/api/dossiers/$ID" -H "X-Api-Key: $1")
  task=$(echo "$d" | json "j.currentTasks.find(t=>t.activityId==='$2').id")
  ver=$(echo "$d" | json j.version)
  curl -s -X POST "$BASE/api/tasks/$task/complete" -H "X-Api-Key: $1" -H 'Content-Type: application/json' \
    -H "If-Match: \"$ver\"" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
    -d "{\"outcome\":\"$3\",\"comment\":\"$2: $3\"${4:+,\"data\":$4}}" \
    | json 'j.status+" "+j.nationalStatus.code'
}
receive() {
  curl -s "$BASE/api/dossiers" -H 'X-Api-Key: dev-counter-key' -H 'Content-Type: application/json' -d "{
  \"procedureCode\": \"$1\", \"applicant\": { \"name\": \"$2\", \"idNumber\": \"$3\", \"phone\": \"0905123456\" },
  \"channel\": \"$4\", \"receivingUnit\": \"HCC-BINHSON\" }" | json j.id
}
# A land dossier returned to the applicant.
ID=$(receive land-first-certificate "Nguyễn Văn An" 051090001234 direct)
complete dev-land-key check Done; complete dev-tax-key taxNotice Done; complete dev-commune-key communeConfirm Done
complete dev-counter-key payment Paid; complete dev-land-key prepare Done; complete dev-commune-key sign Done
complete dev-land-key updateRecords Done; complete dev-counter-key returnResult Done
# A land dossier waiting for a supplement.
ID=$(receive land-first-certificate "Trần Văn Bình" 051090002222 online)
complete dev-land-key check RequestSupplement
# A birth registration returned, one stopped.
ID=$(receive birth-registration "Trần Thị Bình" 051190004321 direct)
complete dev-commune-key register Done; complete dev-commune-key sign Done; complete dev-counter-key returnResult Done
ID=$(receive birth-registration "Lê Thị Cúc" 051190005555 postal)
complete dev-commune-key register Reject
# A liaison dossier half-way through its parallel branches, with an apology.
ID=$(receive birth-residence-insurance "Lê Văn Cường" 051095007777 online)
complete dev-commune-key registerBirth Done; complete dev-insurance-key insurance Done
curl -s -X POST "$BASE/api/dossiers/$ID/apology" -H "X-Api-Key: dev-admin-key" -H 'Content-Type: application/json' \
  -d "{\"newDueAt\":\"$(date -u -d '+20 days' +%Y-%m-%dT10:00:00Z)\",\"reason\":\"Chờ xác minh\"}" | json 'j.status ?? j.title'
# A calendar change.
curl -s -X POST "$BASE/api/calendar/days-off" -H 'X-Api-Key: dev-admin-key' -H 'Content-Type: application/json' \
  -d "{\"date\":\"$(date -u -d "+40 days" +%Y-%m-%d)\",\"name\":\"Nghỉ bù\",\"comment\":\"fixture\"}" | json 'j.version ?? j.title'
# A land dossier in flight moved to version 2 by a migration plan.
ID=$(receive land-first-certificate "Phạm Thị Dung" 051080009999 direct)
complete dev-land-key check Done
V1=$(mktemp); V2=$(mktemp)
curl -s "$BASE/api/procedures/land-first-certificate/definition" -H 'X-Api-Key: dev-admin-key' > "$V1"
node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const step = id => d.root.activities.find(a => a.id === id);
  step("check").timeLimitDays.expression.value = 4;
  process.stdout.write(JSON.stringify(d));' < "$V1" > "$V2"
curl -s -X PUT "$BASE/api/procedures/land-first-certificate/draft?publish=true" -H 'X-Api-Key: dev-admin-key' \
  -H 'Content-Type: application/json' --data-binary @"$V2" | json '"version "+j.version+" published: "+j.isPublished'
PLAN=$(curl -s -X POST "$BASE/api/migrations" -H 'X-Api-Key: dev-admin-key' -H 'Content-Type: application/json' -d '{
  "procedureCode": "land-first-certificate", "sourceVersions": [1], "targetVersion": 2, "timePolicy": "KeepElapsed" }' | json j.id)
curl -s -X POST "$BASE/api/migrations/$PLAN/execute" -H 'X-Api-Key: dev-admin-key' | json 'j.status+" migrated "+j.migrated'
sleep 3
kill -TERM $PID; wait $PID || true
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()); c.close()" "$OUT"
rm -f "$OUT-wal" "$OUT-shm"
tail -3 $WORK/server.out
rm -rf $WORK
