#!/usr/bin/env bash
# rtlink's benchmarks, one command: bash benches/run.sh
#
# Builds hello, world five ways (a raw-asm floor, C with musl static, Go, and rtlink's
# samples/hello.c as an executable and as a static-PIE), strips them, and prints one table: stripped size, start-up time as a ratio
# to the floor measured in the same hyperfine run (pinned to CPU 0), user-space instructions
# (valgrind/callgrind), syscalls including execve (strace -f), minor page faults
# (/usr/bin/time), threads created. Then `rtlink build` of hello against the bare linker call it
# makes, `rtlink inspect` against nm and readelf on a large unstripped binary (rtlink's own
# debug build), the scheduler against Go's (benches/sched.c and sched.go), and the allocator
# against glibc's and musl's (benches/malloc.c), side by side. Last, link time: hello and a
# synthetic 200-unit C program (benches/gen_program.py) linked by `rtlink build --ld internal`
# and by GNU ld, gold, lld and mold, in one hyperfine run per program, with output sizes.
#
# `bash benches/run.sh link` runs only that last section (a few minutes).
# Installs what it needs (Debian packages, through scripts/install-deps.sh) when it is missing.
# Environment: RUNS (hyperfine runs per program, default 1000), LINK_RUNS (hyperfine runs per
# link command, default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/benches/out
runs=${RUNS:-1000}
link_runs=${LINK_RUNS:-50}

fail() { echo "benches/run.sh: $*" >&2; exit 1; }

mode=${1:-all}
case $mode in all | link) ;; *) fail "usage: bash benches/run.sh [link]" ;; esac

bash scripts/install-deps.sh hyperfine valgrind strace time musl-tools python3

rm -rf "$out" && mkdir -p "$out"
cargo build --release --quiet || fail "cargo build --release failed"
rtlink=$root/target/x86_64-unknown-linux-gnu/release/rtlink
read -ra cflags <<<"$("$rtlink" cflags)"
cc "${cflags[@]}" -O2 -c samples/hello.c -o "$out/hello.o"

# bare_call LD OUT INPUT...: links INPUT... into OUT with `rtlink build --ld LD`, keeping the exact
# linker arguments (--save-temps OUT.temps writes them to link.rsp: the command -v prints, with
# the final output path), and prints the bare linker call that repeats the link.
bare_call() {
  local ld=$1 dest=$2 bin=ld.$1
  shift 2
  [ "$ld" = mold ] && bin=mold
  "$rtlink" build "$@" -o "$dest" --ld "$ld" --save-temps "$dest.temps" || fail "rtlink build --ld $ld -o $dest failed"
  echo "$bin @$dest.temps/link.rsp"
}

# link_program NAME INPUT...: links INPUT... every way into $out/link/NAME.WAY, checks that every
# result prints what GNU ld's does, then times all the links in one hyperfine run
# ($out/link/NAME.json, each command named by its WAY) and strips each result (NAME.WAY.stripped).
# The ways: internal (`rtlink build --ld internal`), and for each external linker LD, LD
# (`rtlink build --ld LD`) and bare-LD (its bare call).
link_program() {
  local name=$1 dir=$out/link ld way
  shift
  local ways=(internal) cmds=("$rtlink build $* -o $dir/$name.internal --ld internal") named=()
  "$rtlink" build "$@" -o "$dir/$name.internal" --ld internal || fail "rtlink build --ld internal failed on $name"
  for ld in bfd gold lld mold; do
    ways+=("bare-$ld" "$ld")
    cmds+=("$(bare_call "$ld" "$dir/$name.bare-$ld" "$@")" "$rtlink build $* -o $dir/$name.$ld --ld $ld")
    "$rtlink" build "$@" -o "$dir/$name.$ld" --ld "$ld" || fail "rtlink build --ld $ld failed on $name"
  done
  "$dir/$name.bare-bfd" >"$dir/$name.stdout" || fail "$name linked by GNU ld exited with status $?"
  for way in "${ways[@]}"; do
    "$dir/$name.$way" >"$dir/$name.$way.stdout" || fail "$name linked by $way exited with status $?"
    diff -u "$dir/$name.stdout" "$dir/$name.$way.stdout" >&2 ||
      fail "$name linked by $way prints something else than linked by GNU ld (diff above): a wrong link"
  done
  for i in "${!ways[@]}"; do
    named+=(-n "${ways[$i]}" "${cmds[$i]}")
  done
  hyperfine -N --warmup 5 --runs "$link_runs" --output=null --export-json "$dir/$name.json" "${named[@]}" \
    >/dev/null 2>&1 || fail "hyperfine (link, $name) failed"
  for way in "${ways[@]}"; do
    strip -o "$dir/$name.$way.stripped" "$dir/$name.$way"
  done
}

# Link time (issue 8): hello.o, and the synthetic program of benches/gen_program.py (200 units,
# about 56,000 lines), compiled here, untimed: main.o and units 1-159 as objects, then
# libsynth.a holding units 160-199 (some unreferenced, so extraction must be lazy). The report
# gives each way's median time as a ratio to the bare GNU ld call of the same run, its mean CPU
# time (user + system: steadier than wall time on a busy machine), and the output sizes.
link_section() {
  local synth=$out/link/synth
  mkdir -p "$out/link"
  python3 benches/gen_program.py "$synth" || fail "gen_program.py failed"
  (cd "$synth" && printf '%s\n' *.c | xargs -P "$(nproc)" -n 10 cc "${cflags[@]}" -O2 -c) ||
    fail "compiling the synthetic program failed"
  ar rcs "$synth/libsynth.a" "$synth"/u1[6-9][0-9].o
  link_program hello "$out/hello.o"
  link_program synth "$synth/main.o" "$synth"/u0[0-9][0-9].o "$synth"/u1[0-5][0-9].o "$synth/libsynth.a"
  python3 - "$out/link" <<'EOF'
import glob, json, os, sys
d = sys.argv[1]
progs = ("hello", "synth")
results = {p: json.load(open(f"{d}/{p}.json"))["results"] for p in progs}
med = {p: {r["command"]: r["median"] for r in results[p]} for p in progs}
cpu = {p: {r["command"]: r["user"] + r["system"] for r in results[p]} for p in progs}
lines = sum(open(f).read().count("\n") for f in glob.glob(f"{d}/synth/*.[ch]"))
rows = [("internal", "rtlink build --ld internal")]
for ld in ("bfd", "gold", "lld", "mold"):
    bare = "mold" if ld == "mold" else f"ld.{ld}"
    rows += [(f"bare-{ld}", f"`{bare} @link.rsp`{' (bare GNU ld)' if ld == 'bfd' else ''}"),
             (ld, f"rtlink build --ld {ld}")]
print(f"| link time (median of {len(results['hello'][0]['times'])}), vs the bare GNU ld call | hello.o | CPU "
      f"| synthetic: 160 objects + a 40-member archive, {lines:,} lines | CPU |")
print("| --- | ---: | ---: | ---: | ---: |")
for way, label in rows:
    cells = [f"{med[p][way] / med[p]['bare-bfd']:.2f}x ({med[p][way] * 1e3:.2f} ms) | {cpu[p][way] * 1e3:.2f} ms"
             for p in progs]
    print(f"| {label} | " + " | ".join(cells) + " |")
size = lambda p, way, ext="": os.path.getsize(f"{d}/{p}.{way}{ext}")
print()
print("| output bytes, unstripped / stripped | hello | synthetic |")
print("| --- | ---: | ---: |")
for way, label in rows:
    if not way.startswith("bare-"):
        print(f"| {label} | " + " | ".join(f"{size(p, way):,} / {size(p, way, '.stripped'):,}" for p in progs) + " |")
print()
verdict = lambda ok: "met" if ok else "MISSED"
h, s = med["hello"], med["synth"]
fastest = min(("bare-gold", "bare-lld", "bare-mold"), key=lambda w: h[w])
print("Targets (issue 8), rtlink build --ld internal against the bare calls:")
print(f"- hello <= 0.5x GNU ld: {h['internal'] / h['bare-bfd']:.2f}x, {verdict(h['internal'] <= 0.5 * h['bare-bfd'])}")
print(f"- hello faster than gold, lld and mold: {h['internal'] * 1e3:.2f} ms against {h[fastest] * 1e3:.2f} ms "
      f"for the fastest of them ({fastest[5:]}), {verdict(h['internal'] < h[fastest])}")
print(f"- synthetic <= lld: {s['internal'] / s['bare-lld']:.2f}x lld, {verdict(s['internal'] <= s['bare-lld'])}")
for p in progs:
    ok = size(p, "internal") <= size(p, "bfd") and size(p, "internal", ".stripped") <= size(p, "bfd", ".stripped")
    print(f"- {p} no larger than GNU ld's, unstripped and stripped: {verdict(ok)}")
EOF
}

if [ "$mode" = link ]; then
  link_section
  exit 0
fi

# The five programs, each stripped.
as --64 -o "$out/floor.o" benches/hello_floor.S
ld -static -z noexecstack -o "$out/floor.full" "$out/floor.o"
musl-gcc -static -Os -o "$out/musl.full" benches/hello_musl.c
(cd "$out" && GOCACHE=$out/gocache GOPATH=$out/gopath GO111MODULE=off GOTOOLCHAIN=local \
  go build -trimpath -o "$out/go.full" "$root/benches/hello.go") || fail "go build failed"
"$rtlink" build "$out/hello.o" -o "$out/rtlink.full"
cc $("$rtlink" cflags --static-pie) -O2 -c samples/hello.c -o "$out/hello-pie.o"
"$rtlink" build --static-pie "$out/hello-pie.o" -o "$out/rtlink-pie.full"
progs=(floor musl go rtlink rtlink-pie)
for p in "${progs[@]}"; do
  strip -o "$out/$p" "$out/$p.full"
  [ "$("$out/$p")" = "hello, world" ] || fail "$p does not print hello, world"
done

# Start-up: all five in one hyperfine run on CPU 0, so the ratios share one machine state.
taskset -c 0 hyperfine -N --warmup 100 --runs "$runs" --output=null \
  --export-json "$out/startup.json" "${progs[@]/#/$out/}" >/dev/null 2>&1 || fail "hyperfine failed"

for p in "${progs[@]}"; do
  bin=$out/$p
  # User-space instructions from exec to exit.
  if valgrind --tool=callgrind --callgrind-out-file="$out/$p.callgrind" "$bin" >/dev/null 2>"$out/$p.vg"; then
    awk '/^(summary|totals):/ {print $2; exit}' "$out/$p.callgrind" >"$out/$p.instr"
  else
    echo n/a >"$out/$p.instr"
  fi
  # Syscalls, execve included, all threads; and the threads created.
  strace -f -o "$out/$p.strace" "$bin" >/dev/null
  grep -Ev '^[0-9]+ +(\+\+\+|---)' "$out/$p.strace" | grep -c . >"$out/$p.sys"
  grep -cE '^[0-9]+ +clone3?\(' "$out/$p.strace" >"$out/$p.threads" || true
  # Minor page faults: the least of five runs (the kernel's read-ahead varies a little).
  for _ in 1 2 3 4 5; do /usr/bin/time -f %R "$bin" 2>&1 >/dev/null; done | sort -n | head -1 >"$out/$p.faults"
done

# rtlink build vs the bare linker call it makes, for each linker: --save-temps records the
# exact arguments (link.rsp), which the bare linker then reads. A few-ms process is at the mercy
# of a shared VM's neighbours, so each linker gets 10 rounds of 30 runs of each command, the
# rounds alternating, and the report takes the median of the rounds' median ratios.
for ld in bfd gold lld mold; do
  bare=$(bare_call "$ld" "$out/built-$ld" "$out/hello.o")
  for round in 0 1 2 3 4 5 6 7 8 9; do
    hyperfine -N --warmup 5 --runs 30 --output=null --export-json "$out/build-$ld-$round.json" \
      "$rtlink build $out/hello.o -o $out/built-$ld --ld $ld" "$bare" >/dev/null 2>&1 ||
      fail "hyperfine (build, $ld) failed"
  done
done
# A source straight in, against compiling it with cc -c and linking the object.
cc $("$rtlink" cflags) -c samples/hello.c -o "$out/hello-cc.o"
hyperfine -N --warmup 10 --runs 100 --output=null --export-json "$out/source.json" \
  "$rtlink build samples/hello.c -o $out/from-source" \
  "cc $("$rtlink" cflags) -c samples/hello.c -o $out/hello-cc.o" \
  "$rtlink build $out/hello-cc.o -o $out/from-object" >/dev/null 2>&1 || fail "hyperfine (source) failed"

# inspect on a large unstripped binary: the symbol listing against nm -n, the summary against
# readelf -h -l -S plus nm -n (what a user would otherwise run), one hyperfine run.
cargo build --quiet || fail "cargo build (debug) failed"
big=$out/big
cp target/x86_64-unknown-linux-gnu/debug/rtlink "$big"
hyperfine -N --warmup 3 --runs 30 --output=null --export-json "$out/inspect.json" \
  "$rtlink inspect --nm -n $big" "nm -n $big" "$rtlink inspect $big" "readelf -h -l -S $big" >/dev/null 2>&1 ||
  fail "hyperfine (inspect) failed"
nm "$big" | wc -l >"$out/big.syms"

# The scheduler against Go's on the same machine: benches/sched.c (rtlink) and benches/sched.go
# run the same operations and print ns per operation (ms in total for cpu); 5 runs of each at
# each GOMAXPROCS, the report takes the medians.
CFLAGS=-O2 "$rtlink" build benches/sched.c -o "$out/sched-rtlink" || fail "rtlink build sched.c failed"
(cd "$out" && GOCACHE=$out/gocache GOPATH=$out/gopath GO111MODULE=off GOTOOLCHAIN=local \
  go build -trimpath -o "$out/sched-go" "$root/benches/sched.go") || fail "go build sched.go failed"
for impl in rtlink go; do
  for bench in "spawn 100000" "spawn 1000000" "gosched 1000000" "pingpong 200000" "cpu 200000" \
    "alive 1000000" "handoff 2000"; do
    for procs in 1 2; do
      for _ in 1 2 3 4 5; do
        GOMAXPROCS=$procs timeout 60 "$out/sched-$impl" $bench || fail "sched-$impl $bench failed"
      done >"$out/sched-$impl-${bench// /-}-$procs"
    done
  done
done

# The allocator against glibc's and musl's (both static) on the same machine: benches/malloc.c
# built three ways. 5 rounds, each running every build once per workload (so the three share
# the machine's state), the report takes medians; each run's peak RSS comes from GNU time.
gcc -O2 -static -o "$out/malloc-glibc" benches/malloc.c -lpthread || fail "gcc malloc.c failed"
musl-gcc -O2 -static -o "$out/malloc-musl" benches/malloc.c || fail "musl-gcc malloc.c failed"
CFLAGS="-O2 -DRTLINK" "$rtlink" build benches/malloc.c -o "$out/malloc-rtlink" || fail "rtlink build malloc.c failed"
for _ in 1 2 3 4 5; do
  for bench in "single 10000000" "threads 10000000" "window 10000000"; do
    for impl in glibc musl rtlink; do
      key="$out/malloc-$impl-${bench// /-}"
      GOMAXPROCS=2 /usr/bin/time -f %M -o "$key.rss1" timeout 120 "$out/malloc-$impl" $bench >>"$key" ||
        fail "malloc-$impl $bench failed"
      cat "$key.rss1" >>"$key.rss"
    done
  done
done
for impl in glibc musl rtlink; do
  "$out/malloc-$impl" release 200 >"$out/malloc-$impl-release" || fail "malloc-$impl release failed"
done

python3 - "$out" "${progs[@]}" <<'EOF'
import json, os, statistics, sys
out, progs = sys.argv[1], sys.argv[2:]
runs = json.load(open(f"{out}/startup.json"))["results"]
mean = {os.path.basename(r["command"]): r["mean"] for r in runs}
sd = {os.path.basename(r["command"]): r["stddev"] for r in runs}
floor = mean["floor"]
read = lambda p, k: open(f"{out}/{p}.{k}").read().strip()
print("| hello, world | stripped bytes | start-up vs floor | user instructions | syscalls | page faults | threads |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for p in progs:
    size = os.path.getsize(f"{out}/{p}")
    instr = read(p, "instr")
    instr = f"{int(instr):,}" if instr.isdigit() else instr
    threads = int(read(p, "threads")) + 1
    print(f"| {p} | {size:,} | {mean[p] / floor:.2f}x ± {sd[p] / floor:.2f} | {instr} | {read(p, 'sys')} | {read(p, 'faults')} | {threads} |")
print()
print(f"floor: {floor * 1e6:.1f} µs mean over {runs[0]['times'].__len__()} runs, pinned to CPU 0 "
      "(absolute times vary by machine; compare the ratios)")
print()
print("| rtlink build hello.o | vs the bare linker call (same arguments) | rounds' range |")
print("| --- | ---: | ---: |")
for ld in ("bfd", "gold", "lld", "mold"):
    rounds = [json.load(open(f"{out}/build-{ld}-{r}.json"))["results"] for r in range(10)]
    ratios = sorted(r[0]["median"] / r[1]["median"] for r in rounds)
    ours = statistics.median(r[0]["median"] for r in rounds)
    bare = statistics.median(r[1]["median"] for r in rounds)
    print(f"| --ld {ld} | {statistics.median(ratios):.2f}x ({ours * 1e3:.2f} ms vs {bare * 1e3:.2f} ms) "
          f"| {ratios[0]:.2f}x to {ratios[-1]:.2f}x |")
src = [r["mean"] for r in json.load(open(f"{out}/source.json"))["results"]]
print()
print(f"rtlink build hello.c: {src[0] / (src[1] + src[2]):.2f}x cc -c plus rtlink build of the object "
      f"({src[0] * 1e3:.2f} ms vs {(src[1] + src[2]) * 1e3:.2f} ms)")
i = [r["mean"] for r in json.load(open(f"{out}/inspect.json"))["results"]]
size = os.path.getsize(f"{out}/big") / 1e6
syms = int(open(f"{out}/big.syms").read())
print()
print(f"inspect, {size:.0f} MB unstripped binary with {syms:,} symbols and DWARF:")
print(f"  rtlink inspect --nm -n: {i[0] / i[1]:.2f}x nm -n ({i[0] * 1e3:.1f} ms vs {i[1] * 1e3:.1f} ms)")
print(f"  rtlink inspect (summary): {i[2] / (i[1] + i[3]):.2f}x readelf -h -l -S plus nm -n "
      f"({i[2] * 1e3:.1f} ms vs {(i[1] + i[3]) * 1e3:.1f} ms)")


def sched(impl, bench, procs):
    return statistics.median(int(v) for v in open(f"{out}/sched-{impl}-{bench}-{procs}").read().split())


print()
print("| scheduler (median of 5) | GOMAXPROCS | rtlink | Go | rtlink / Go | target |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
rows = [
    ("spawn-100000", "spawn + run + exit, per goroutine (100,000)", "ns", "<= 200 ns", (1, 2)),
    ("spawn-1000000", "spawn + run + exit, per goroutine (1,000,000)", "ns", "<= 200 ns", (1, 2)),
    ("gosched-1000000", "rt_gosched, two goroutines", "ns", "<= 35 ns (1 P)", (1, 2)),
    ("pingpong-200000", "unbuffered channel round trip", "ns", "<= 160 ns", (1, 2)),
    ("alive-1000000", "1,000,000 goroutines blocked at once: RSS each", "B", "<= 4,608 B", (1, 2)),
    ("handoff-2000", "blocked in read(2) until another goroutine runs", "ns", "(sysmon retake)", (1,)),
]
for key, label, unit, target, procs_list in rows:
    for procs in procs_list:
        r, g = sched("rtlink", key, procs), sched("go", key, procs)
        print(f"| {label} | {procs} | {r:,.0f} {unit} | {g:,.0f} {unit} | {r / g:.2f}x | {target} |")
print()
print("| CPU-bound work, 4 goroutines (median of 5) | 1 P | 2 Ps | 2 Ps faster by | target |")
print("| --- | ---: | ---: | ---: | ---: |")
for impl in ("rtlink", "go"):
    one, two = sched(impl, "cpu-200000", 1), sched(impl, "cpu-200000", 2)
    print(f"| {impl} | {one:.0f} ms | {two:.0f} ms | {one / two:.2f}x | >= 1.8x |")


def malloc(impl, bench, ext=""):
    return statistics.median(float(v) for v in open(f"{out}/malloc-{impl}-{bench}{ext}").read().split())


print()
print("| allocator, ns per operation (median of 5) | glibc | musl | rtlink | rtlink / glibc | target |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
rows = [
    ("single-10000000", "malloc+free, random 16-256 B, 1 thread", "<= 1.0x"),
    ("threads-10000000", "the same on 2 threads (goroutines on 2 Ps), wall time per pair", "<= 0.6x"),
    ("window-10000000", "1,000 live blocks, random replacement", "<= 1.0x"),
]
for key, label, target in rows:
    g, m, r = (malloc(i, key) for i in ("glibc", "musl", "rtlink"))
    print(f"| {label} | {g:.1f} | {m:.1f} | {r:.1f} | {r / g:.2f}x | {target} |")
print()
print("| peak RSS, KiB (median of 5) | glibc | musl | rtlink |")
print("| --- | ---: | ---: | ---: |")
for key, label, _ in rows:
    print(f"| {label} | " + " | ".join(f"{malloc(i, key, '.rss'):,.0f}" for i in ("glibc", "musl", "rtlink")) + " |")
print()
print("| 200 MiB in blocks of 16-4,096 B, all freed: RSS in KiB | at peak | right after free | 1 s later | released within 1 s |")
print("| --- | ---: | ---: | ---: | ---: |")
for impl in ("glibc", "musl", "rtlink"):
    peak, after, later = (int(v) for v in open(f"{out}/malloc-{impl}-release").readline().split())
    print(f"| {impl} | {peak:,} | {after:,} | {later:,} | {100 * (peak - later) / peak:.0f}% |")
EOF

link_section
