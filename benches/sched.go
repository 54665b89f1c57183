// Scheduler micro-benchmarks for Go, the twin of sched.c (same modes, same output: the
// nanoseconds one operation takes, or milliseconds in total for cpu).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

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
