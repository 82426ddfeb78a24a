package node

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

type subFlags uint8

const (
	flagPositioned subFlags = 1 << iota
	flagRecoverable
	flagPushJoinLeave
	flagServerSide
	flagPresence
	flagJoinLeave
)

// maxBufferedEvents bounds what a subscriber buffers while its subscribe is
// in progress; past it the session is disconnected as slow.
const maxBufferedEvents = 10000

// subscriber is one session's subscription to one channel.
type subscriber struct {
	s        *Session
	channel  string
	flags    subFlags
	chanInfo []byte

	mu        sync.Mutex
	buffering bool
	buffer    []event
	offset    uint64
	epoch     string
	expireAt  int64 // Unix seconds; 0 = never
	timer     *time.Timer
	// refreshProxy extends the subscription at expiry (sub_refresh proxy).
	refreshProxy gyre.SubRefreshProxy
	// suspect is a stream top seen ahead of the tracked offset by the last
	// position check; still ahead at the next check means a lost publication.
	suspect uint64
	// metaTTL is the namespace's history meta TTL (for position checks).
	metaTTL time.Duration
}

type event struct {
	pub   *gyre.Publication
	sp    gyre.StreamPosition
	join  *gyre.ClientInfo
	leave *gyre.ClientInfo
}

// encodedOnce encodes one push per protocol at most once per fan-out.
type encodedOnce struct {
	build func() *protocol.Reply
	data  [2][]byte
	state [2]uint8 // 0 not yet, 1 ok, 2 failed
}

// pushEncodes counts push encodings (one per fan-out and protocol in use),
// so tests and metrics can show that fan-out does not encode per subscriber.
var pushEncodes atomic.Uint64

func (e *encodedOnce) get(proto protocol.Type) ([]byte, bool) {
	i := 0
	if proto == protocol.TypeProtobuf {
		i = 1
	}
	if e.state[i] == 0 {
		pushEncodes.Add(1)
		b, err := protocol.GetReplyEncoder(proto).Encode(e.build())
		if err != nil {
			e.state[i] = 2
		} else {
			e.data[i], e.state[i] = b, 1
		}
	}
	return e.data[i], e.state[i] == 1
}

type advance uint8

const (
	advDeliver advance = iota
	advDuplicate
	advGap
)

// advanceLocked applies positioning to a publication at sp.
func (sub *subscriber) advanceLocked(sp gyre.StreamPosition) advance {
	if sub.flags&flagPositioned == 0 || sp.Offset == 0 {
		return advDeliver
	}
	if sp.Epoch != sub.epoch {
		return advGap
	}
	if sp.Offset <= sub.offset {
		return advDuplicate
	}
	if sp.Offset > sub.offset+1 {
		return advGap
	}
	sub.offset = sp.Offset
	return advDeliver
}

// deliver sends (or buffers) one event to the subscriber. Called with the
// hub shard read lock held: it must not block.
func (sub *subscriber) deliver(ev event, enc *encodedOnce, fb *flushBatch) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.buffering {
		if len(sub.buffer) >= maxBufferedEvents {
			go sub.s.Disconnect(gyre.DisconnectSlow)
			return
		}
		sub.buffer = append(sub.buffer, ev)
		return
	}
	sub.sendLocked(ev, enc, fb)
}

// sendLocked queues ev for the session; fb (may be nil) collects the
// session when it needs a flush (see Session.enqueueTo).
func (sub *subscriber) sendLocked(ev event, enc *encodedOnce, fb *flushBatch) {
	kind := "publication"
	if ev.pub != nil {
		switch sub.advanceLocked(ev.sp) {
		case advDuplicate:
			return
		case advGap:
			go sub.s.insufficientState(sub.channel)
			return
		}
	} else {
		if sub.flags&flagPushJoinLeave == 0 {
			return
		}
		kind = "join"
		if ev.leave != nil {
			kind = "leave"
		}
	}
	if enc == nil {
		enc = &encodedOnce{build: func() *protocol.Reply { return pushReply(sub.channel, ev) }}
	}
	data, ok := enc.get(sub.s.transport.Protocol())
	if !ok {
		go sub.s.Disconnect(gyre.DisconnectInappropriateProtocol)
		return
	}
	sub.s.node.metrics.IncMessagesSent(kind, 1)
	sub.s.enqueueTo(data, fb)
}

// goLive flushes what was buffered during subscribe and turns the subscriber
// live. It runs after the subscribe reply was queued.
func (sub *subscriber) goLiveLocked() {
	buf := sub.buffer
	sub.buffer = nil
	sub.buffering = false
	for _, ev := range buf {
		sub.sendLocked(ev, nil, nil)
	}
}

func pushReply(ch string, ev event) *protocol.Reply {
	push := &protocol.Push{Channel: ch}
	switch {
	case ev.pub != nil:
		push.Pub = toProtoPub(ev.pub)
	case ev.join != nil:
		push.Join = &protocol.Join{Info: toProtoInfo(ev.join)}
	case ev.leave != nil:
		push.Leave = &protocol.Leave{Info: toProtoInfo(ev.leave)}
	}
	return &protocol.Reply{Push: push}
}

func toProtoPub(p *gyre.Publication) *protocol.Publication {
	return &protocol.Publication{Data: p.Data, Info: toProtoInfo(p.Info), Offset: p.Offset, Tags: p.Tags}
}

func toProtoInfo(i *gyre.ClientInfo) *protocol.ClientInfo {
	if i == nil {
		return nil
	}
	return &protocol.ClientInfo{User: i.UserID, Client: i.ClientID, ConnInfo: i.ConnInfo, ChanInfo: i.ChanInfo}
}
