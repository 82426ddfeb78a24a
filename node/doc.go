// Package node is Gyre's engine: it owns client sessions, the sharded hub of
// channel subscribers, command handling for client protocol v2, fan-out of
// publications, presence and recovery. It knows no I/O library: transports
// hand it frames and receive framed bytes through the Transport interface,
// and brokers deliver through gyre.BrokerEventHandler.
//
// # Concurrency
//
// A session's commands are handled one at a time, on the goroutine of the
// transport that read them. Everything a session sends goes through its
// byte-bounded queue; a writer goroutine exists only while the queue has data,
// so an idle session parks no goroutine of its own. Fan-out never blocks on a
// session: a session whose queue exceeds the limit is disconnected with 3008.
//
// # Lock order
//
// hub shard lock → subscriber entry lock → session writer lock. The session
// state lock (Session.mu) is never held while taking a hub lock.
package node
