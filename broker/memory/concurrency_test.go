package memory

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

// orderChecker is a handler that checks each channel's publications arrive
// with offsets 1, 2, 3, … and records the highest offset whose delivery
// began.
type orderChecker struct {
	t         *testing.T
	mu        sync.Mutex
	last      map[string]uint64
	delivered map[string]*atomic.Uint64 // fixed before publishing starts
	plain     atomic.Int64              // publications without history
	joins     atomic.Int64
}

func (c *orderChecker) HandlePublication(ch string, pub *gyre.Publication, sp gyre.StreamPosition) error {
	if pub.Offset == 0 {
		c.plain.Add(1)
		return nil
	}
	c.delivered[ch].Store(pub.Offset)
	c.mu.Lock()
	defer c.mu.Unlock()
	if want := c.last[ch] + 1; pub.Offset != want || sp.Offset != want {
		c.t.Errorf("%s: delivered offset %d (position %+v), want %d", ch, pub.Offset, sp, want)
	}
	c.last[ch] = pub.Offset
	return nil
}

func (c *orderChecker) HandleJoin(string, *gyre.ClientInfo) error  { c.joins.Add(1); return nil }
func (c *orderChecker) HandleLeave(string, *gyre.ClientInfo) error { return nil }

func TestConcurrentPublishKeepsOrder(t *testing.T) {
	const channels, publishers, each, readers, minReads = 4, 8, 200, 2, 300
	b := NewBroker(BrokerConfig{})
	defer closeBroker(t, b)
	checker := &orderChecker{t: t, last: make(map[string]uint64), delivered: make(map[string]*atomic.Uint64)}
	names := make([]string, channels)
	for i := range names {
		names[i] = fmt.Sprint("ch", i)
		checker.delivered[names[i]] = new(atomic.Uint64)
	}
	if err := b.RegisterEventHandler(checker); err != nil {
		t.Fatal(err)
	}

	var publishing, reading sync.WaitGroup
	stop := make(chan struct{})
	for p := range publishers {
		publishing.Go(func() {
			for i := range each {
				ch := names[(p+i)%channels]
				opts := hist(50, time.Minute)
				switch i % 10 {
				case 3:
					opts = gyre.PublishOptions{} // no history: offset 0, no stream change
				case 7:
					if err := b.PublishJoin(ctx, ch, &gyre.ClientInfo{ClientID: "c"}); err != nil {
						t.Error(err)
					}
				}
				if _, _, err := b.Publish(ctx, ch, []byte("x"), opts); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for r := range readers {
		reading.Go(func() {
			ch := names[r%channels]
			for i := 0; ; i++ {
				// Read at least a little, then until the publishers are done,
				// yielding to them on small machines.
				select {
				case <-stop:
					if i >= minReads {
						return
					}
				default:
					runtime.Gosched()
				}
				pubs, top, err := b.History(ctx, ch, gyre.HistoryOptions{Filter: gyre.HistoryFilter{Limit: -1}})
				if err != nil {
					t.Error(err)
					return
				}
				// History never returns what has not begun delivery.
				if d := checker.delivered[ch].Load(); top.Offset > d {
					t.Errorf("%s: History top %d, but only %d delivered", ch, top.Offset, d)
					return
				}
				for i, p := range pubs {
					if p.Offset != top.Offset-uint64(len(pubs)-1-i) {
						t.Errorf("%s: History offsets %v are not contiguous up to %d", ch, offsetsOf(pubs), top.Offset)
						return
					}
				}
			}
		})
	}
	publishing.Wait()
	close(stop)
	reading.Wait()

	var total uint64
	for _, ch := range names {
		total += checker.last[ch]
	}
	const plain = publishers * each / 10
	if want := uint64(publishers*each - plain); total != want {
		t.Errorf("%d publications with history delivered, want %d", total, want)
	}
	if got := checker.plain.Load(); got != plain {
		t.Errorf("%d publications without history delivered, want %d", got, plain)
	}
	if got := checker.joins.Load(); got != publishers*each/10 {
		t.Errorf("%d joins delivered, want %d", got, publishers*each/10)
	}
}
