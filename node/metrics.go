package node

import "time"

// Metrics receives the engine's counters and timings. Gauges (connections,
// users, channels, subscriptions) are read from Node.Stats instead.
// Implementations must be safe for concurrent use and must not block.
type Metrics interface {
	// ObserveCommand records a handled client command and its duration.
	ObserveCommand(method string, d time.Duration)
	// IncReplyError counts an error reply to a client command.
	IncReplyError(method string, code uint32)
	// IncMessagesSent counts messages queued to clients by kind
	// (publication, join, leave, unsubscribe, subscribe, refresh, reply).
	IncMessagesSent(kind string, n int)
	// IncMessagesReceived counts commands received by method.
	IncMessagesReceived(method string)
	// IncDisconnect counts server-side disconnects by code.
	IncDisconnect(code uint32)
	// IncConnectionsAccepted counts successful connects.
	IncConnectionsAccepted()
	// IncProxyError counts failed proxy calls (down, timeout, garbage) by
	// event.
	IncProxyError(event string)
}

type nopMetrics struct{}

func (nopMetrics) ObserveCommand(string, time.Duration) {}
func (nopMetrics) IncReplyError(string, uint32)         {}
func (nopMetrics) IncMessagesSent(string, int)          {}
func (nopMetrics) IncMessagesReceived(string)           {}
func (nopMetrics) IncDisconnect(uint32)                 {}
func (nopMetrics) IncConnectionsAccepted()              {}
func (nopMetrics) IncProxyError(string)                 {}
