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
package main

import (
	"fmt"
	"sync"
)

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
