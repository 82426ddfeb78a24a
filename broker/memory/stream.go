package memory

import (
	"math/rand/v2"

	"github.com/gyrehq/gyre"
)

// stream is one channel's publication stream. It is guarded by its shard's
// mutex. Times are Unix nanoseconds of the broker's clock.
type stream struct {
	timer // position in the shard's expiry heap

	channel string
	epoch   string
	top     uint64
	items   ring

	// itemsExpireAt is when the items are dropped (meaningful while
	// items.n > 0); metaExpireAt is when the whole stream is forgotten. The
	// broker keeps metaExpireAt >= itemsExpireAt.
	itemsExpireAt int64
	metaExpireAt  int64
}

// deadline returns the next instant at which something in s expires.
func (s *stream) deadline() int64 {
	if s.items.n > 0 && s.itemsExpireAt < s.metaExpireAt {
		return s.itemsExpireAt
	}
	return s.metaExpireAt
}

// position returns the stream top.
func (s *stream) position() gyre.StreamPosition {
	return gyre.StreamPosition{Offset: s.top, Epoch: s.epoch}
}

// collect returns copies of the publications that f selects. The items
// always hold the contiguous offsets top-n+1 … top.
func (s *stream) collect(f gyre.HistoryFilter) []*gyre.Publication {
	n := s.items.n
	if f.Limit == 0 || n == 0 {
		return nil
	}
	first := s.top - uint64(n) + 1
	// [from, to) is the selected index range in ascending offset order.
	from, to := 0, n
	if f.Since != nil {
		since := f.Since.Offset
		if !f.Reverse {
			// Offsets after since; an offset older than the oldest item
			// starts from the oldest one (the caller sees the gap).
			if since >= s.top {
				return nil
			}
			if since >= first {
				from = int(since - first + 1)
			}
		} else {
			// Offsets before since, newest first.
			if since <= first {
				return nil
			}
			if since <= s.top {
				to = int(since - first)
			}
		}
	}
	if f.Limit > 0 && to-from > f.Limit {
		if f.Reverse {
			from = to - f.Limit
		} else {
			to = from + f.Limit
		}
	}
	k := to - from
	vals := make([]gyre.Publication, k)
	out := make([]*gyre.Publication, k)
	for i := range k {
		idx := from + i
		if f.Reverse {
			idx = to - 1 - i
		}
		vals[i] = *s.items.at(idx)
		out[i] = &vals[i]
	}
	return out
}

// ring is a FIFO of publications stored by value. Its zero value is empty.
type ring struct {
	buf   []gyre.Publication
	start int
	n     int
}

// minRingCap is the first allocation of a ring.
const minRingCap = 8

// push appends p, first dropping the oldest items so that at most limit
// remain. limit must be positive.
func (r *ring) push(p gyre.Publication, limit int) {
	for r.n >= limit {
		r.dropOldest()
	}
	switch {
	case r.n == len(r.buf):
		r.resize(min(max(2*len(r.buf), minRingCap), limit))
	case len(r.buf) > 2*limit && len(r.buf) > minRingCap:
		// HistorySize went down a lot: give the memory back.
		r.resize(max(limit, minRingCap))
	}
	i := r.start + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = p
	r.n++
}

// resize moves the items into a new buffer of capacity c >= r.n.
func (r *ring) resize(c int) {
	nb := make([]gyre.Publication, c)
	for i := range r.n {
		nb[i] = *r.at(i)
	}
	r.buf, r.start = nb, 0
}

// dropOldest removes the oldest item, releasing what it references.
func (r *ring) dropOldest() {
	r.buf[r.start] = gyre.Publication{}
	r.start++
	if r.start == len(r.buf) {
		r.start = 0
	}
	r.n--
}

// at returns the i-th oldest item.
func (r *ring) at(i int) *gyre.Publication {
	i += r.start
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	return &r.buf[i]
}

// reset drops every item and the buffer.
func (r *ring) reset() { *r = ring{} }

// epochLetters are the characters of an epoch.
const epochLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newEpoch returns 8 random letters. math/rand/v2's top-level functions use
// a per-thread generator, so this takes no global lock.
func newEpoch() string {
	var b [8]byte
	for i := range b {
		b[i] = epochLetters[rand.IntN(len(epochLetters))]
	}
	return string(b[:])
}
