package ws

import (
	"math/bits"
	"sync"
)

// Buffers are pooled in power-of-two size classes from 1<<minClassShift to
// 1<<maxClassShift bytes. Larger buffers are allocated on demand and left
// to the garbage collector.
const (
	minClassShift = 7  // 128 B
	maxClassShift = 20 // 1 MiB
	numClasses    = maxClassShift - minClassShift + 1
)

var bufPools [numClasses]sync.Pool

// buffer is a pooled byte slice. Its release func value is created once
// per buffer, so handing it to callers of ReadMessage does not allocate.
type buffer struct {
	b       []byte // len(b) == cap(b) == class size
	class   int8   // index into bufPools, or -1 when not pooled
	free    bool   // set while the buffer sits in the pool
	release func()
}

// classOf returns the size class that holds n bytes (n <= 1<<maxClassShift).
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minClassShift
}

// getBuffer returns a buffer with len(b.b) >= n.
func getBuffer(n int) *buffer {
	if n > 1<<maxClassShift {
		bf := &buffer{b: make([]byte, n), class: -1}
		bf.release = bf.put
		return bf
	}
	c := classOf(n)
	if v := bufPools[c].Get(); v != nil {
		bf := v.(*buffer)
		bf.free = false
		return bf
	}
	bf := &buffer{b: make([]byte, 1<<(c+minClassShift)), class: int8(c)}
	bf.release = bf.put
	return bf
}

// put returns the buffer to its pool. Calling it again before the buffer is
// handed out anew is a no-op.
func (bf *buffer) put() {
	if bf.free {
		return
	}
	bf.free = true
	if bf.class < 0 {
		bf.b = nil
		return
	}
	bufPools[bf.class].Put(bf)
}

// growBuffer returns a buffer that holds at least n bytes and starts with
// the first keep bytes of bf, which it releases if it had to be replaced.
func growBuffer(bf *buffer, keep, n int) *buffer {
	if bf == nil {
		return getBuffer(n)
	}
	if n <= len(bf.b) {
		return bf
	}
	if m := 2 * len(bf.b); m > n && m <= 1<<maxClassShift {
		n = m
	}
	nb := getBuffer(n)
	copy(nb.b, bf.b[:keep])
	bf.put()
	return nb
}

// noRelease is the release function returned for empty messages.
func noRelease() {}
