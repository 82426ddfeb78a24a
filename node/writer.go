package node

import (
	"encoding/binary"
	"runtime"
	"sync"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// maxFrameBytes caps how much queued data goes into one transport frame.
const maxFrameBytes = 64 << 10

// writer is a session's byte-bounded outbound queue. Messages are encoded
// once and shared between sessions; the writer frames them (JSON: joined by
// '\n'; Protobuf: varint length prefixes) when it flushes. One writer at a
// time holds the flush (flushing): the reader for command replies, a fan-out
// or batch writer (flushTry), or a flush goroutine, which exists only while a
// socket is full or the transport cannot write without waiting.
type writer struct {
	mu       sync.Mutex
	queue    [][]byte
	queued   int
	flushing bool
	closed   bool
	// corked holds the flush while a frame's commands are handled, so that
	// their replies share one write.
	corked bool
	// held: a command reply is queued for the reader to write (releaseHeld).
	held bool
	// idle, when set, is closed by the flush goroutine as it exits, so that
	// closing waits for an in-flight write before writing what is left.
	idle chan struct{}
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// enqueue adds a message. A session whose queue would exceed its limit is
// disconnected as slow (3008). A flush goroutine writes it.
func (s *Session) enqueue(msg []byte) { s.enqueueHeld(msg, false, nil) }

// enqueueTo adds a message from a fan-out. When the session needs a flush
// and its transport can write without waiting, the session goes into fb
// (with the flush claimed) and fb.run writes it; otherwise as enqueue.
func (s *Session) enqueueTo(msg []byte, fb *flushBatch) { s.enqueueHeld(msg, false, fb) }

// enqueueReply adds a command reply. It starts no flush goroutine: the
// reader that handles the command writes it when HandleFrame returns
// (releaseHeld), with no lock held, which saves starting and scheduling a
// goroutine per reply. A push queued meanwhile starts the flush as usual, and
// the reply goes out with it.
func (s *Session) enqueueReply(msg []byte) { s.enqueueHeld(msg, true, nil) }

func (s *Session) enqueueHeld(msg []byte, hold bool, fb *flushBatch) {
	w := &s.w
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if w.queued+len(msg) > s.node.cfg.Client.QueueMaxSize {
		w.mu.Unlock()
		s.node.log.Debug("client queue overflow", "client", s.id, "user", s.user)
		go s.Disconnect(gyre.DisconnectSlow)
		return
	}
	w.queue = append(w.queue, msg)
	w.queued += len(msg)
	start := !w.flushing && !w.corked
	if start && hold {
		w.held, start = true, false
	}
	if start {
		w.flushing = true
	}
	w.mu.Unlock()
	switch {
	case !start:
	case fb != nil && s.tw != nil:
		fb.sessions = append(fb.sessions, s)
	default:
		go s.flush()
	}
}

// releaseHeld writes replies held by enqueueReply on the calling goroutine
// (the connection's reader, at the end of HandleFrame).
func (s *Session) releaseHeld() {
	w := &s.w
	w.mu.Lock()
	if !w.held {
		w.mu.Unlock()
		return
	}
	w.held = false
	start := !w.flushing && !w.corked && !w.closed && len(w.queue) > 0
	if start {
		w.flushing = true
	}
	w.mu.Unlock()
	if start {
		s.flushNow()
	}
}

// flushNow writes the queue on the calling goroutine (which holds the
// flush) without waiting for a full socket when the transport allows it.
func (s *Session) flushNow() {
	if s.tw != nil {
		s.flushTry()
	} else {
		s.flush()
	}
}

// cork holds flushing until uncork.
func (s *Session) cork() {
	s.w.mu.Lock()
	s.w.corked = true
	s.w.mu.Unlock()
}

// uncork releases the flush and writes what was queued meanwhile, on the
// calling goroutine (the transport's reader), which saves starting a flush
// goroutine.
func (s *Session) uncork() {
	w := &s.w
	w.mu.Lock()
	w.corked, w.held = false, false
	start := !w.flushing && !w.closed && len(w.queue) > 0
	if start {
		w.flushing = true
	}
	w.mu.Unlock()
	if start {
		s.flushNow()
	}
}

// takeFrame moves messages from the head of the queue into one frame (at
// most maxFrameBytes unless a single message is larger). Called with w.mu.
func (s *Session) takeFrameLocked(frame []byte) []byte {
	w := &s.w
	isJSON := s.transport.Protocol() == protocol.TypeJSON
	n := 0
	for n < len(w.queue) && (n == 0 || len(frame)+len(w.queue[n]) <= maxFrameBytes) {
		msg := w.queue[n]
		if isJSON {
			if n > 0 {
				frame = append(frame, '\n')
			}
		} else {
			frame = binary.AppendUvarint(frame, uint64(len(msg)))
		}
		frame = append(frame, msg...)
		w.queued -= len(msg)
		w.queue[n] = nil
		n++
	}
	w.queue = w.queue[n:]
	if len(w.queue) == 0 {
		w.queue = nil
	}
	return frame
}

// stopFlushingLocked marks the flush goroutine gone and wakes a closer
// waiting for it. Called with w.mu.
func (w *writer) stopFlushingLocked() {
	w.flushing = false
	if w.idle != nil {
		close(w.idle)
		w.idle = nil
	}
}

// flush writes everything queued, batching messages into frames, and exits
// when the queue is empty or the writer is closed.
func (s *Session) flush() {
	w := &s.w
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	for {
		w.mu.Lock()
		if w.closed || len(w.queue) == 0 {
			w.stopFlushingLocked()
			w.mu.Unlock()
			return
		}
		frame := s.takeFrameLocked((*bp)[:0])
		w.mu.Unlock()
		*bp = frame[:0]
		if err := s.transport.Write(frame); err != nil {
			s.node.log.Debug("client write failed", "client", s.id, "error", err)
			w.mu.Lock()
			w.stopFlushingLocked()
			w.mu.Unlock()
			s.closeWith(gyre.DisconnectWriteError, false)
			return
		}
	}
}

// flushBatchInline is the largest batch fb.run writes on the calling
// goroutine; larger ones go to the node's writers, so that a big fan-out does
// not hold up its caller (an API publish, say).
const flushBatchInline = 8

// flushBatch collects the sessions of one fan-out that need a flush (each
// with the flush claimed), so that they are written after the hub walk.
type flushBatch struct{ sessions []*Session }

var flushBatchPool = sync.Pool{New: func() any { return new(flushBatch) }}

func getFlushBatch() *flushBatch { return flushBatchPool.Get().(*flushBatch) }

// run writes the collected sessions, or hands them to the node's writers,
// and returns fb to its pool.
func (fb *flushBatch) run(n *Node) {
	if len(fb.sessions) <= flushBatchInline {
		for _, s := range fb.sessions {
			s.flushTry()
		}
	} else {
		for _, s := range fb.sessions {
			n.writers[s.writer%uint32(len(n.writers))].add(s)
		}
		for i := range n.writers {
			n.writers[i].kick()
		}
	}
	clear(fb.sessions)
	fb.sessions = fb.sessions[:0]
	flushBatchPool.Put(fb)
}

// batchWriter writes sessions handed over by fan-outs, in arrival order, on
// one goroutine that runs while there is work (one writer per P). A session
// is on the list at most once (it holds the flush until written), so when
// publications come faster than they can be written a connection's messages
// pile up in its queue and go out several per write: the cost per delivery
// falls as the load rises, instead of the backlog growing.
type batchWriter struct {
	mu      sync.Mutex
	pending []*Session
	spare   []*Session
	running bool
}

// writerYieldEvery is how many sessions a batch writer writes between
// yields.
const writerYieldEvery = 32

func (bw *batchWriter) add(s *Session) {
	bw.mu.Lock()
	bw.pending = append(bw.pending, s)
	bw.mu.Unlock()
}

// kick starts the writer goroutine when there is work and none runs.
func (bw *batchWriter) kick() {
	bw.mu.Lock()
	start := !bw.running && len(bw.pending) > 0
	if start {
		bw.running = true
	}
	bw.mu.Unlock()
	if start {
		go bw.loop()
	}
}

func (bw *batchWriter) loop() {
	for {
		bw.mu.Lock()
		if len(bw.pending) == 0 {
			bw.running = false
			bw.mu.Unlock()
			return
		}
		batch := bw.pending
		bw.pending, bw.spare = bw.spare[:0], nil
		bw.mu.Unlock()
		for i, s := range batch {
			s.flushTry()
			batch[i] = nil
			if i%writerYieldEvery == writerYieldEvery-1 {
				// Raw writes never enter the scheduler: yield now and then so
				// that publishers (and readers) get the CPU while a long round
				// is written. Their messages then join the queues of sessions
				// still waiting in this round, which is what lets a saturated
				// node write several messages per system call.
				runtime.Gosched()
			}
		}
		bw.mu.Lock()
		bw.spare = batch[:0]
		bw.mu.Unlock()
	}
}

// flushTry writes the queue with non-blocking writes (the session holds the
// flush). When the socket fills up, the transport keeps the rest and a flush
// goroutine takes over, so the caller never waits for a slow client.
func (s *Session) flushTry() {
	w := &s.w
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	for {
		w.mu.Lock()
		if w.closed || len(w.queue) == 0 {
			w.stopFlushingLocked()
			w.mu.Unlock()
			return
		}
		frame := s.takeFrameLocked((*bp)[:0])
		w.mu.Unlock()
		*bp = frame[:0]
		done, err := s.tw.TryWrite(frame)
		if err != nil {
			s.writeFailed(err)
			return
		}
		if !done {
			go s.flushKept()
			return
		}
	}
}

// flushKept waits until the transport sent what TryWrite kept, then goes on
// as the flush goroutine.
func (s *Session) flushKept() {
	if err := s.tw.Flush(); err != nil {
		s.writeFailed(err)
		return
	}
	s.flush()
}

// writeFailed ends the flush after a write error and closes the session.
func (s *Session) writeFailed(err error) {
	s.node.log.Debug("client write failed", "client", s.id, "error", err)
	w := &s.w
	w.mu.Lock()
	w.stopFlushingLocked()
	w.mu.Unlock()
	go s.closeWith(gyre.DisconnectWriteError, false)
}

// closeWriter closes the queue. With drain, it waits for an in-flight write
// and then writes what is still queued (so that, say, an error reply reaches
// the client before the close frame); otherwise queued messages are dropped.
func (s *Session) closeWriter(drain bool) {
	w := &s.w
	w.mu.Lock()
	w.closed = true
	var wait chan struct{}
	if drain && w.flushing {
		w.idle = make(chan struct{})
		wait = w.idle
	}
	w.mu.Unlock()
	if wait != nil {
		<-wait // bounded by the transport's write timeout
	}
	w.mu.Lock()
	var frames [][]byte
	for drain && len(w.queue) > 0 {
		frames = append(frames, s.takeFrameLocked(nil))
	}
	w.queue, w.queued = nil, 0
	w.mu.Unlock()
	for _, f := range frames {
		if s.transport.Write(f) != nil {
			return
		}
	}
}
