package memory

import (
	"math"
	"time"
)

const (
	// cleanupInterval is how often the cleanup goroutine runs.
	cleanupInterval = 5 * time.Second
	// cleanupBudget bounds the expired entries one tick handles per shard
	// and per kind (streams, idempotency results), so a tick holds each
	// shard's lock only briefly; what is left waits for the next tick (or
	// for a lazy check on access).
	cleanupBudget = 256
)

// timer is an entry's place in an expiryHeap: when it is due and where it
// sits. Embedded in the entries.
type timer struct {
	at  int64
	idx int
}

func (t *timer) slot() *timer { return t }

// timed is what an expiryHeap holds: pointers to structs embedding timer.
type timed interface {
	slot() *timer
}

// expiryHeap is a min-heap of entries ordered by their timer's at. Each
// entry knows its index, so it can be fixed or removed in O(log n) and is
// in the heap exactly once.
type expiryHeap[T timed] struct {
	items []T
}

func (h *expiryHeap[T]) len() int { return len(h.items) }

// min returns the entry due first; the heap must not be empty.
func (h *expiryHeap[T]) min() T { return h.items[0] }

func (h *expiryHeap[T]) push(x T) {
	x.slot().idx = len(h.items)
	h.items = append(h.items, x)
	h.up(len(h.items) - 1)
}

// remove takes the entry at index i out of the heap.
func (h *expiryHeap[T]) remove(i int) {
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	if i != last {
		h.fix(i)
	}
	if cap(h.items) > 64 && len(h.items) < cap(h.items)/4 {
		h.items = append([]T(nil), h.items...)
	}
}

// fix restores the heap order after the at of the entry at index i changed.
func (h *expiryHeap[T]) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *expiryHeap[T]) less(i, j int) bool {
	return h.items[i].slot().at < h.items[j].slot().at
}

func (h *expiryHeap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].slot().idx = i
	h.items[j].slot().idx = j
}

func (h *expiryHeap[T]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down sifts the entry at i towards the leaves and reports whether it moved.
func (h *expiryHeap[T]) down(i int) bool {
	start, n := i, len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if r := child + 1; r < n && h.less(r, child) {
			child = r
		}
		if !h.less(child, i) {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}

// addDur returns now+d, saturating instead of overflowing.
func addDur(now int64, d time.Duration) int64 {
	if d > 0 && now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
}

// expire handles at most budget due streams and budget due idempotency
// results of the shard at instant now. The caller holds sh.mu.
func (sh *shard) expire(now int64, budget int) {
	for range budget {
		if sh.streamTimers.len() == 0 {
			break
		}
		st := sh.streamTimers.min()
		if st.at > now {
			break
		}
		if now >= st.metaExpireAt {
			sh.dropStream(st)
			continue
		}
		if st.items.n > 0 && now >= st.itemsExpireAt {
			st.items.reset()
		}
		// Either the items just expired or the deadline was extended
		// since it was scheduled: wait for the next one.
		st.at = st.deadline()
		sh.streamTimers.fix(st.idx)
	}
	for range budget {
		if sh.resultTimers.len() == 0 {
			break
		}
		r := sh.resultTimers.min()
		if r.at > now {
			break
		}
		sh.resultTimers.remove(r.idx)
		delete(sh.results, r.key)
	}
}

// cleanup runs one tick of expiry over every shard.
func (b *Broker) cleanup(budget int) {
	now := b.cfg.Now().UnixNano()
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		sh.expire(now, budget)
		sh.mu.Unlock()
	}
}

// runCleanup is the cleanup goroutine; it stops when b.stop is closed.
func (b *Broker) runCleanup(interval time.Duration, afterTick func()) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.cleanup(cleanupBudget)
			if afterTick != nil {
				afterTick()
			}
		}
	}
}
