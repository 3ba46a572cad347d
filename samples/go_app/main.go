// go_app: a traced Go function whose goroutine stack is copied while its
// frame is live.  main starts 16 goroutines; each calls main.work 8 times;
// work calls deep(), a recursion 2000 levels deep with a 256-byte array in
// every frame, so the goroutine's stack (8 KiB at first) grows and the Go
// runtime copies it, adjusting every return address on it, while work's
// frame is on it.  A return address that is not in a Go function makes the
// runtime die with "fatal error: unknown caller pc".  The output is
//
//	calls: N
//	checksum: C
//
// with N the number of calls of main.work (128) and C the sum of their
// results, deterministic.  Exits 0.
//
// With the argument "-v" it also prints every call's arguments and result
// as the program sees them, for tests to compare a tracer's values with
// (one line per call, in an order the scheduler decides):
//
//	work(id=I, round=R) = V
//	label(name="S", ids=len L) = ("T", N)
//
// label takes a string and a slice and returns two results (a string and
// an int): values Go's register ABI spreads over several registers.
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

//go:noinline
func label(name string, ids []int) (string, int) {
	n := 0
	for _, v := range ids {
		n += v
	}
	return strings.ToUpper(name), n + len(name)
}

//go:noinline
func deep(n int, seed uint64) uint64 {
	var pad [256]byte
	for i := range pad {
		pad[i] = byte(seed) + byte(i)
	}
	if n == 0 {
		return seed
	}
	return deep(n-1, seed*6364136223846793005+1442695040888963407) + uint64(pad[n%256])
}

//go:noinline
func work(id int, round int) uint64 {
	return deep(2000, uint64(id*1000+round)) ^ uint64(round)
}

func main() {
	const goroutines, rounds = 16, 8
	verbose := len(os.Args) > 1 && os.Args[1] == "-v"
	for i, name := range []string{"gopher", "gc"} {
		ids := []int{i + 1, 20, 300}[:2+i]
		t, n := label(name, ids)
		if verbose {
			fmt.Printf("label(name=%q, ids=len %d) = (%q, %d)\n", name, len(ids), t, n)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var calls int
	var sum uint64

	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				v := work(id, r)
				if verbose {
					fmt.Printf("work(id=%d, round=%d) = %d\n", id, r, v)
				}
				mu.Lock()
				calls++
				sum += v
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	fmt.Printf("calls: %d\nchecksum: %d\n", calls, sum)
}
