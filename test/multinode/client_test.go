package multinode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre/auth/jwt"
)

// errDialHeld is what a held dialer returns; the client backs off and
// dials again.
var errDialHeld = errors.New("dialer: dialing is held by the test")

// dialer is a centrifuge.Config.NetDialContext that ignores the URL's
// address and picks the node per attempt: it tries the addresses in
// preference order and connects to the first that accepts. So a client
// whose node was killed or shut down (connection refused) lands on the
// next node, and a test can move a client by changing the preference and
// cutting its TCP connection (closing the raw net.Conn: no close frame,
// the client sees a plain connection loss and reconnects by itself).
type dialer struct {
	mu    sync.Mutex
	addrs []string
	held  bool
	conn  net.Conn // the connection dialed last; nil after a cut
	dials []string // the address of every successful dial
}

func (d *dialer) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	d.mu.Lock()
	addrs, held := append([]string(nil), d.addrs...), d.held
	d.mu.Unlock()
	if held {
		return nil, errDialHeld
	}
	var errs []error
	for _, a := range addrs {
		var nd net.Dialer
		c, err := nd.DialContext(ctx, network, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.mu.Lock()
		if d.held {
			// hold() ran while this dial was in flight.
			d.mu.Unlock()
			_ = c.Close()
			return nil, errDialHeld
		}
		d.conn = c
		d.dials = append(d.dials, a)
		d.mu.Unlock()
		return c, nil
	}
	return nil, errors.Join(errs...)
}

// prefer sets the addresses to try, in order.
func (d *dialer) prefer(addrs ...string) {
	d.mu.Lock()
	d.addrs = addrs
	d.mu.Unlock()
}

func (d *dialer) hold() {
	d.mu.Lock()
	d.held = true
	d.mu.Unlock()
}

func (d *dialer) release() {
	d.mu.Lock()
	d.held = false
	d.mu.Unlock()
}

// cut closes the current TCP connection abruptly.
func (d *dialer) cut(t *testing.T) {
	t.Helper()
	d.mu.Lock()
	c := d.conn
	d.conn = nil
	d.mu.Unlock()
	if c == nil {
		t.Fatal("dialer: no connection to cut")
	}
	_ = c.Close()
}

// lastAddr is the address of the last successful dial.
func (d *dialer) lastAddr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.dials) == 0 {
		return ""
	}
	return d.dials[len(d.dials)-1]
}

// tclient is a centrifuge-go client whose connection events the test can
// wait for.
type tclient struct {
	name string
	c    *centrifuge.Client
	d    *dialer

	connected  chan centrifuge.ConnectedEvent
	connecting chan centrifuge.ConnectingEvent

	mu sync.Mutex
	id string // client ID of the current connection
}

func signToken(t *testing.T, user string) string {
	t.Helper()
	tok, err := jwt.SignHMAC(testSecret, map[string]any{"sub": user, "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newClient creates a client of user that dials addrs in preference order
// (the first one is also the URL's host). protobuf selects the Protobuf
// protocol instead of JSON.
func newClient(t *testing.T, name, user string, protobuf bool, addrs ...string) *tclient {
	t.Helper()
	d := &dialer{addrs: addrs}
	cfg := centrifuge.Config{
		Token:             signToken(t, user),
		NetDialContext:    d.dial,
		MinReconnectDelay: 5 * time.Millisecond,
		MaxReconnectDelay: 100 * time.Millisecond,
	}
	url := "ws://" + addrs[0] + "/connection/websocket"
	var c *centrifuge.Client
	if protobuf {
		c = centrifuge.NewProtobufClient(url, cfg)
	} else {
		c = centrifuge.NewJsonClient(url, cfg)
	}
	tc := &tclient{
		name: name, c: c, d: d,
		connected:  make(chan centrifuge.ConnectedEvent, 100),
		connecting: make(chan centrifuge.ConnectingEvent, 100),
	}
	c.OnConnected(func(e centrifuge.ConnectedEvent) {
		tc.mu.Lock()
		tc.id = e.ClientID
		tc.mu.Unlock()
		select {
		case tc.connected <- e:
		default:
		}
	})
	c.OnConnecting(func(e centrifuge.ConnectingEvent) {
		select {
		case tc.connecting <- e:
		default:
		}
	})
	t.Cleanup(c.Close)
	return tc
}

// connect connects and waits for the connected event (the initial
// connecting event is consumed).
func (tc *tclient) connect(t *testing.T) {
	t.Helper()
	if err := tc.c.Connect(); err != nil {
		t.Fatalf("%s: connect: %v", tc.name, err)
	}
	waitFor(t, tc.connected, tc.name+" connected")
	waitFor(t, tc.connecting, tc.name+" initial connecting event")
}

func (tc *tclient) clientID() string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.id
}

// msg is the data of every test publication: its source and its sequence
// number at that source.
type msg struct {
	Src string `json:"src"`
	N   int    `json:"n"`
}

func msgData(src string, n int) []byte {
	b, _ := json.Marshal(msg{Src: src, N: n})
	return b
}

// received is one publication as a subscriber saw it, with the epoch the
// subscription was in when it arrived.
type received struct {
	offset uint64
	epoch  string
	msg    msg
}

// jump is an explicit "you missed something" signal: a resubscribe with
// WasRecovering && !Recovered that moved the subscriber from (fromEpoch,
// fromNext) to the stream position (toEpoch, toOffset).
type jump struct {
	fromEpoch string
	fromNext  uint64
	toEpoch   string
	toOffset  uint64
}

// stream is a subscription with a checker. For a positioned channel
// (positioned=true) every publication must carry the next offset of the
// current epoch, unless a non-recovered resubscribe (an explicit signal)
// came in between: then the position starts over from the subscribed
// event's. For every channel each source's sequence numbers must increase
// (contiguously while nothing was missed explicitly).
type stream struct {
	name       string
	ch         string
	positioned bool
	sub        *centrifuge.Subscription

	subscribed chan centrifuge.SubscribedEvent
	joins      chan centrifuge.JoinEvent
	leaves     chan centrifuge.LeaveEvent
	progress   chan struct{}

	mu         sync.Mutex
	epoch      string
	next       uint64 // next expected offset in epoch
	lastN      map[string]int
	got        []received
	gotSet     map[pubResult]bool
	jumps      []jump
	events     []string // subscribe-side events, for failure messages
	errs       []string
	subs       int // subscribed events
	recovered  int // subscribed events with WasRecovering && Recovered
	unsubCodes []uint32
}

// subscribe subscribes tc to ch and waits for the subscribed event.
func (tc *tclient) subscribe(t *testing.T, ch string, positioned bool) *stream {
	t.Helper()
	s := &stream{
		name: tc.name, ch: ch, positioned: positioned,
		subscribed: make(chan centrifuge.SubscribedEvent, 100),
		joins:      make(chan centrifuge.JoinEvent, 100),
		leaves:     make(chan centrifuge.LeaveEvent, 100),
		progress:   make(chan struct{}, 1),
		lastN:      map[string]int{},
		gotSet:     map[pubResult]bool{},
	}
	sub, err := tc.c.NewSubscription(ch, centrifuge.SubscriptionConfig{
		MinResubscribeDelay: 5 * time.Millisecond,
		MaxResubscribeDelay: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.sub = sub
	sub.OnSubscribed(s.onSubscribed)
	sub.OnPublication(s.onPublication)
	sub.OnSubscribing(func(e centrifuge.SubscribingEvent) {
		s.note("subscribing %d %s", e.Code, e.Reason)
		if e.Code != 0 {
			s.mu.Lock()
			s.unsubCodes = append(s.unsubCodes, e.Code)
			s.mu.Unlock()
		}
	})
	sub.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) { s.note("unsubscribed %d %s", e.Code, e.Reason) })
	sub.OnError(func(e centrifuge.SubscriptionErrorEvent) { s.note("error %v", e.Error) })
	sub.OnJoin(func(e centrifuge.JoinEvent) { s.joins <- e })
	sub.OnLeave(func(e centrifuge.LeaveEvent) { s.leaves <- e })
	if err := sub.Subscribe(); err != nil {
		t.Fatalf("%s: subscribe %s: %v", tc.name, ch, err)
	}
	ev := waitFor(t, s.subscribed, tc.name+" subscribed to "+ch)
	if positioned && (ev.StreamPosition == nil || !ev.Recoverable) {
		t.Fatalf("%s: subscribed to %s without recovery: %+v", tc.name, ch, ev)
	}
	return s
}

func (s *stream) note(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) < 50 {
		s.events = append(s.events, fmt.Sprintf(format, args...))
	}
}

func (s *stream) failf(format string, args ...any) {
	if len(s.errs) < 10 {
		s.errs = append(s.errs, fmt.Sprintf("%s on %s: ", s.name, s.ch)+fmt.Sprintf(format, args...))
	}
}

func (s *stream) onSubscribed(ev centrifuge.SubscribedEvent) {
	s.mu.Lock()
	s.subs++
	if len(s.events) < 50 {
		pos := "-"
		if ev.StreamPosition != nil {
			pos = fmt.Sprintf("%d@%s", ev.StreamPosition.Offset, ev.StreamPosition.Epoch)
		}
		s.events = append(s.events, fmt.Sprintf("subscribed wasRecovering=%v recovered=%v position=%s",
			ev.WasRecovering, ev.Recovered, pos))
	}
	if s.positioned {
		switch {
		case ev.StreamPosition == nil:
			s.failf("subscribed without a stream position: %+v", ev)
		case !ev.WasRecovering:
			if s.subs > 1 {
				s.failf("resubscribe #%d did not try to recover: %+v", s.subs, ev)
			}
			s.epoch, s.next = ev.StreamPosition.Epoch, ev.StreamPosition.Offset+1
		case ev.Recovered:
			s.recovered++
			if ev.StreamPosition.Epoch != s.epoch {
				s.failf("recovered=true but the epoch changed from %q to %q", s.epoch, ev.StreamPosition.Epoch)
			}
			if ev.StreamPosition.Offset+1 < s.next {
				s.failf("recovered=true at offset %d, behind the last received %d", ev.StreamPosition.Offset, s.next-1)
			}
			// The recovered publications follow through onPublication.
		default:
			// The explicit signal: what was missed is gone.
			s.jumps = append(s.jumps, jump{s.epoch, s.next, ev.StreamPosition.Epoch, ev.StreamPosition.Offset})
			s.epoch, s.next = ev.StreamPosition.Epoch, ev.StreamPosition.Offset+1
			s.lastN = map[string]int{}
		}
	}
	s.mu.Unlock()
	s.subscribed <- ev
}

func (s *stream) onPublication(e centrifuge.PublicationEvent) {
	var m msg
	s.mu.Lock()
	if err := json.Unmarshal(e.Data, &m); err != nil {
		s.failf("publication data %q: %v", e.Data, err)
	}
	if s.positioned {
		if e.Offset != s.next {
			what := "gap"
			if e.Offset < s.next {
				what = "duplicate or reorder"
			}
			s.failf("%s: offset %d in epoch %s, want %d", what, e.Offset, s.epoch, s.next)
		}
		s.next = max(s.next, e.Offset+1)
		key := pubResult{e.Offset, s.epoch}
		if s.gotSet[key] {
			s.failf("offset %d in epoch %s received twice", e.Offset, s.epoch)
		}
		s.gotSet[key] = true
	} else if e.Offset != 0 {
		s.failf("publication with offset %d in a channel without history", e.Offset)
	}
	if last, ok := s.lastN[m.Src]; ok && m.N <= last {
		s.failf("from %s: n=%d after n=%d (duplicate or reorder)", m.Src, m.N, last)
	}
	s.lastN[m.Src] = m.N
	s.got = append(s.got, received{e.Offset, s.epoch, m})
	s.mu.Unlock()
	select {
	case s.progress <- struct{}{}:
	default:
	}
}

// snapshot returns what the checker saw so far.
func (s *stream) snapshot() (got []received, jumps []jump, errs []string, events []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...), append([]jump(nil), s.jumps...),
		append([]string(nil), s.errs...), append([]string(nil), s.events...)
}

// position returns the epoch and the last offset received (or positioned
// at).
func (s *stream) position() pubResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pubResult{Offset: s.next - 1, Epoch: s.epoch}
}

func (s *stream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// check fails the test if the checker found a violation.
func (s *stream) check(t *testing.T) {
	t.Helper()
	_, _, errs, events := s.snapshot()
	if len(errs) > 0 {
		t.Errorf("%s\nsubscription events: %s", strings.Join(errs, "\n"), strings.Join(events, "; "))
	}
}

// waitPosition waits until the subscriber has received the publication at
// top (same epoch, offset reached).
func (s *stream) waitPosition(t *testing.T, top pubResult) {
	t.Helper()
	eventually(t, waitTimeout, s.name+" to reach "+fmt.Sprint(top), func() (bool, string) {
		p := s.position()
		_, _, errs, events := s.snapshot()
		return p.Epoch == top.Epoch && p.Offset >= top.Offset,
			fmt.Sprintf("at %d@%s; errors %v; events %v", p.Offset, p.Epoch, errs, events)
	})
}

// waitCount waits until n publications have arrived.
func (s *stream) waitCount(t *testing.T, n int) {
	t.Helper()
	eventually(t, waitTimeout, fmt.Sprintf("%s to receive %d publications", s.name, n), func() (bool, string) {
		got := s.count()
		return got >= n, fmt.Sprintf("has %d", got)
	})
}

// publisher publishes {"src":src,"n":k} for k = 1, 2, … through a node's
// HTTP API, one request at a time, paced by a ticker, until stopped. It
// records the stream position of every publish the server acknowledged;
// a publish that returned an error counts as not published.
type publisher struct {
	src    string
	ch     string
	node   *gyreNode
	stopCh chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	ok     []pubResult
	failed []string
	n      int
	tick   chan struct{} // one token per publish attempt, coalesced
}

func startPublisher(t *testing.T, node *gyreNode, ch, src string, every time.Duration) *publisher {
	p := &publisher{src: src, ch: ch, node: node, stopCh: make(chan struct{}), done: make(chan struct{}), tick: make(chan struct{}, 1)}
	go p.run(every)
	t.Cleanup(p.stop)
	return p
}

func (p *publisher) run(every time.Duration) {
	defer close(p.done)
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case <-tk.C:
		}
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		r, err := p.node.publish(ctx, p.ch, json.RawMessage(msgData(p.src, n)))
		cancel()
		p.mu.Lock()
		if err != nil {
			if len(p.failed) < 1000 {
				p.failed = append(p.failed, fmt.Sprintf("n=%d: %v", n, err))
			}
		} else {
			p.ok = append(p.ok, r)
		}
		p.mu.Unlock()
		select {
		case p.tick <- struct{}{}:
		default:
		}
	}
}

// stop stops the publisher and waits for the publish in flight.
func (p *publisher) stop() {
	select {
	case <-p.stopCh:
	default:
		close(p.stopCh)
	}
	<-p.done
}

// results returns the acknowledged publishes and the failures.
func (p *publisher) results() (ok []pubResult, failed []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pubResult(nil), p.ok...), append([]string(nil), p.failed...)
}

// waitPublished waits until at least n more publishes were acknowledged.
func (p *publisher) waitPublished(t *testing.T, n int) {
	t.Helper()
	p.mu.Lock()
	want := len(p.ok) + n
	p.mu.Unlock()
	eventually(t, waitTimeout, fmt.Sprintf("%d acknowledged publishes", n), func() (bool, string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.ok) >= want, fmt.Sprintf("%d of %d acknowledged, %d failed", len(p.ok), want, len(p.failed))
	})
}

// lastOK returns the position of the last acknowledged publish.
func (p *publisher) lastOK() pubResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ok) == 0 {
		return pubResult{}
	}
	return p.ok[len(p.ok)-1]
}
