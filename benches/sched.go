// Scheduler micro-benchmarks for Go, the twin of sched.c (same modes, same output: the
// nanoseconds one operation takes, or milliseconds in total for cpu).
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rssKiB is VmRSS from /proc/self/status, as sched.c reads it.
func rssKiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	i := bytes.Index(b, []byte("VmRSS:"))
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+6:])
	v, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return v
}

var sink uint64

func crunch(n uint64, wg *sync.WaitGroup) {
	x := uint64(88172645463325252)
	for i := uint64(0); i < n*1000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink += x
	wg.Done()
}

func main() {
	if len(os.Args) < 3 {
		os.Exit(2)
	}
	n, _ := strconv.ParseInt(os.Args[2], 10, 64)
	var wg sync.WaitGroup
	t0 := time.Now()
	switch os.Args[1] {
	case "spawn":
		for done := int64(0); done < n; done += 1000 {
			wg.Add(1000)
			for i := 0; i < 1000; i++ {
				go func() { wg.Done() }()
			}
			wg.Wait()
		}
	case "gosched":
		wg.Add(2)
		for k := 0; k < 2; k++ {
			go func() {
				for i := int64(0); i < n/2; i++ {
					runtime.Gosched()
				}
				wg.Done()
			}()
		}
		wg.Wait()
	case "pingpong":
		ping, pong := make(chan int64), make(chan int64)
		wg.Add(1)
		go func() {
			for v := range ping {
				pong <- v
			}
			wg.Done()
		}()
		var v int64
		for i := int64(0); i < n; i++ {
			ping <- v
			v = <-pong
		}
		close(ping)
		wg.Wait()
	case "alive":
		var started, release sync.WaitGroup
		before := rssKiB()
		started.Add(int(n))
		release.Add(1)
		wg.Add(int(n))
		for i := int64(0); i < n; i++ {
			go func() {
				started.Done()
				release.Wait()
				wg.Done()
			}()
		}
		started.Wait()
		after := rssKiB()
		release.Done()
		wg.Wait()
		fmt.Println((after - before) * 1024 / n)
		return
	case "handoff":
		// A blocking read(2) on a raw pipe fd (not os.File, which would use the netpoller).
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err != nil {
			os.Exit(1)
		}
		var seq int64
		var tBlock int64
		var mu sync.Mutex
		wg.Add(1)
		go func() {
			buf := make([]byte, 1)
			for i := int64(0); i < n; i++ {
				mu.Lock()
				tBlock = time.Since(t0).Nanoseconds()
				seq = i + 1
				mu.Unlock()
				syscall.Read(fds[0], buf)
			}
			wg.Done()
		}()
		var total int64
		for i := int64(0); i < n; i++ {
			for {
				mu.Lock()
				s := seq
				mu.Unlock()
				if s == i+1 {
					break
				}
				runtime.Gosched()
			}
			mu.Lock()
			total += time.Since(t0).Nanoseconds() - tBlock
			mu.Unlock()
			syscall.Write(fds[1], []byte("x"))
		}
		wg.Wait()
		fmt.Println(total / n)
		return
	case "cpu":
		wg.Add(4)
		for i := 0; i < 4; i++ {
			go crunch(uint64(n), &wg)
		}
		wg.Wait()
		fmt.Println(time.Since(t0).Milliseconds())
		return
	default:
		os.Exit(2)
	}
	fmt.Println(time.Since(t0).Nanoseconds() / n)
}
