#!/usr/bin/env bash
# Whole-process benchmark: times `build` (directory and PostgreSQL sources) and `validate` on
# synthetic projects, next to `cp -r` of the version directory the build wrote (the disk's speed on
# this machine, in the same run) and `psql \copy` of the same rows (the database's speed). Medians of
# RUNS runs. Prints a Markdown table; docs/performance.md is this output.
#   usage: bash scripts/bench.sh [TEMPLATES...]        (default: 1000 10000; RUNS=3)
#   BIN=path/to/template-sft times another build of the tool (e.g. an older commit's) on the same
#   machine in the same conditions, instead of this checkout's release build.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000 10000}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
runs="${RUNS:-3}"

command -v bc >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q bc; } >/dev/null
if [ -n "${BIN:-}" ]; then
  bin="$(realpath "$BIN")"
else
  cargo build --release --quiet
  bin="$PWD/target/release/template-sft"
fi
work="$(mktemp -d /tmp/template-sft-bench-XXXXXX)"
chmod 755 "$work"

# A throwaway PostgreSQL on a Unix socket (as the postgres user when root, since initdb refuses root).
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgdir="$work/pg"; mkdir -p "$pgdir"; [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgdir"
port=$((20000 + RANDOM % 20000))
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C -N >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 30 \
  -o "-p $port -k $pgdir -c listen_addresses='' -c fsync=off -c shared_buffers=256MB" start >/dev/null
cleanup() { as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
psql_() { psql -q -X -h "$pgdir" -p "$port" -U postgres "$@"; }

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb() { du -sb "$1" | awk '{printf "%.0f", $1/1048576}'; }

echo "| templates | examples | written | build, cold | build, warm | cp -r | cold / cp | warm / cp | peak RSS | PG fetch | psql \\copy | fetch / copy | validate | validate MB/s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  p="$work/p$n"
  "$bin" synth "$p" --templates "$n" --prompts 4 -q
  db="bench$n"
  psql_ -d postgres -c "CREATE DATABASE $db"
  psql_ -d "$db" -f "$p/pg/schema.sql"
  psql_ -d "$db" -c "\\copy public.\"bazaar-vid_templates\" (id, tsx_code) FROM '$p/pg/templates.copy'"
  sed 's/^dir = "templates"/source = "postgres"/; s/^root = "dataset"/root = "pg-dataset"/' "$p/template-sft.toml" > "$p/pg.toml"
  export DATABASE_URL="postgresql:///$db?host=$pgdir&port=$port&user=postgres"

  cold=(); warm=(); copies=(); fetches=(); copies_pg=(); validates=(); rss=()
  for r in $(seq "$runs"); do
    rm -rf "$p/dataset" "$p/pg-dataset" "$work/copy"
    sync
    # Cold: no gate cache, every template parsed and tokenized.
    t0=$(now); out=$("$bin" build -v -c "$p/template-sft.toml" 2>&1); t1=$(now)
    cold+=("$(echo "$t1 - $t0" | bc)")
    rss+=("$(echo "$out" | grep -o 'peak memory: [0-9]*' | grep -o '[0-9]*$')")
    t0=$(now); cp -r "$p/dataset/v1" "$work/copy"; sync; t1=$(now)
    copies+=("$(echo "$t1 - $t0" | bc)")
    # Warm: a rebuild, the gate's verdicts for unchanged code reused.
    sync
    t0=$(now); "$bin" build -q -c "$p/template-sft.toml" >/dev/null; t1=$(now)
    warm+=("$(echo "$t1 - $t0" | bc)")
    rm -rf "$p/dataset/v1-1"
    t0=$(now); "$bin" validate "$p/dataset/v1" >/dev/null; t1=$(now)
    validates+=("$(echo "$t1 - $t0" | bc)")
    # PostgreSQL: the fetch stage as the build reports it, next to psql \copy of the same rows.
    out=$("$bin" build -v --no-cache -c "$p/pg.toml" 2>&1)
    fetches+=("$(echo "$out" | grep 'code fetched from' | grep -o '^ *[0-9.]*' | tr -d ' ')")
    t0=$(now); psql_ -d "$db" -c "\\copy (SELECT id::text, tsx_code FROM public.\"bazaar-vid_templates\") TO '/dev/null'"; t1=$(now)
    copies_pg+=("$(echo "$t1 - $t0" | bc)")
  done
  written=$(mb "$p/dataset/v1")
  examples=$(grep -o '"all": [0-9]*' "$p/dataset/v1/stats.json" | head -1 | grep -o '[0-9]*$')
  c=$(printf '%s\n' "${cold[@]}" | median); w=$(printf '%s\n' "${warm[@]}" | median)
  cp_=$(printf '%s\n' "${copies[@]}" | median); f=$(printf '%s\n' "${fetches[@]}" | median)
  q=$(printf '%s\n' "${copies_pg[@]}" | median); v=$(printf '%s\n' "${validates[@]}" | median)
  m=$(printf '%s\n' "${rss[@]}" | median)
  printf "| %s | %s | %s MB | %.2f s | %.2f s | %.2f s | %.2f | %.2f | %s MiB | %.2f s | %.2f s | %.2f | %.2f s | %.0f |\n" \
    "$n" "$examples" "$written" "$c" "$w" "$cp_" "$(echo "$c / $cp_" | bc -l)" "$(echo "$w / $cp_" | bc -l)" "$m" \
    "$f" "$q" "$(echo "$f / $q" | bc -l)" "$v" "$(echo "$written / $v" | bc -l)"
done
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, Linux $(uname -r); medians of $runs runs."
