package node

import (
	"encoding/binary"
	"sync"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// maxFrameBytes caps how much queued data goes into one transport frame.
const maxFrameBytes = 64 << 10

// writer is a session's byte-bounded outbound queue. Messages are encoded
// once and shared between sessions; the writer frames them (JSON: joined by
// '\n'; Protobuf: varint length prefixes) when it flushes. A flush goroutine
// exists only while the queue is non-empty.
type writer struct {
	mu       sync.Mutex
	queue    [][]byte
	queued   int
	flushing bool
	closed   bool
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// enqueue adds a message. It returns false when the session is closed, and
// a slow-consumer disconnect when the queue would exceed its limit.
func (s *Session) enqueue(msg []byte) {
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
	start := !w.flushing
	w.flushing = true
	w.mu.Unlock()
	if start {
		go s.flush()
	}
}

// flush writes everything queued, batching messages into frames, and exits
// when the queue is empty.
func (s *Session) flush() {
	w := &s.w
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	isJSON := s.transport.Protocol() == protocol.TypeJSON
	for {
		w.mu.Lock()
		if w.closed || len(w.queue) == 0 {
			w.flushing = false
			w.queue = nil
			w.mu.Unlock()
			return
		}
		frame := (*bp)[:0]
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
		w.mu.Unlock()
		*bp = frame[:0]
		if err := s.transport.Write(frame); err != nil {
			s.node.log.Debug("client write failed", "client", s.id, "error", err)
			s.closeWith(gyre.DisconnectWriteError, false)
			return
		}
	}
}

// closeWriter marks the queue closed; queued messages are dropped.
func (s *Session) closeWriter() {
	s.w.mu.Lock()
	s.w.closed = true
	s.w.queue = nil
	s.w.queued = 0
	s.w.mu.Unlock()
}
