#!/usr/bin/env bash
# The main job, end to end: build rtlink, link samples/hello.c with it, run the program with
# the bootstrap trace on, and inspect the binary; then build the goroutines sample straight
# from its source and run it (goroutines on every P).
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo build --release --quiet
rtlink=target/x86_64-unknown-linux-gnu/release/rtlink
out=target/demo
mkdir -p "$out"

echo "\$ cc \$(rtlink cflags) -O2 -c samples/hello.c -o $out/hello.o"
cc $("$rtlink" cflags) -O2 -c samples/hello.c -o "$out/hello.o"
echo "\$ rtlink build $out/hello.o -o $out/hello"
"$rtlink" build "$out/hello.o" -o "$out/hello"
echo "\$ GODEBUG=inittrace=1 $out/hello"
GODEBUG=inittrace=1 "$out/hello"
echo "\$ rtlink inspect $out/hello"
"$rtlink" inspect "$out/hello"
echo "\$ rtlink build samples/goroutines.c -o $out/goroutines    # a source straight in"
"$rtlink" build samples/goroutines.c -o "$out/goroutines"
echo "\$ $out/goroutines"
"$out/goroutines"
