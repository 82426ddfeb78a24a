// Package netpoll is a small readiness-based reader for many mostly idle
// sockets: instead of one goroutine blocked in Read per connection, a few
// poller goroutines wait in epoll_wait(2) for all of them and start a
// short-lived goroutine for a connection only when it has data.
//
// Register a connection with Add, giving a callback. The callback runs
// when the socket becomes readable (or reports an error or hang-up); it
// should read with Desc.Read until Read returns ErrWouldBlock, then
// return. Desc.Trigger runs the callback without readiness (to deliver
// bytes buffered elsewhere, or to let the callback notice a state change
// such as a timeout). Remove deregisters the socket; call it before
// closing the connection.
//
// Only Linux is supported (epoll). Elsewhere New and Default return
// ErrUnsupported and callers fall back to blocking reads.
//
// # Readiness model
//
// Sockets are registered edge-triggered (EPOLLIN|EPOLLRDHUP|EPOLLET): the
// kernel reports a transition to readable once, so the callback must read
// until EAGAIN; a new event arrives only for data that arrives after
// that. Edge triggering needs no re-arming syscall per event (unlike
// EPOLLONESHOT) and no poller wake-ups for data the callback is already
// reading (unlike level triggering).
//
// The Go runtime's own netpoller also has the socket registered (every
// net.Conn does). That is harmless as long as nobody calls Read on the
// net.Conn: the runtime merely notes readiness no goroutine waits for.
// Writes through the net.Conn keep working and keep using the runtime's
// poller for EAGAIN on writes.
//
// # Concurrency
//
// A Desc's callback never runs concurrently with itself: each Desc has a
// small atomic state (idle, running, running-with-a-pending-event). An
// event for an idle Desc starts a goroutine that runs the callback; an
// event while it runs only marks it pending, and the goroutine runs the
// callback once more when the current call returns. So a connection's
// callbacks run one at a time, in order, each one happening after the
// previous one (atomics give the happens-before edge). The goroutine is an
// idle worker when one waits (up to eight wait after finishing a callback,
// and they exit when the poller has no sockets), otherwise a new one: a
// callback that blocks (for example a session calling an HTTP proxy) never
// delays other connections, and a burst reuses goroutines whose stacks have
// already grown to what the callbacks need.
//
// Poller goroutines exist only while sockets are registered: the first Add
// on an empty poller starts them, and when the last socket is removed they
// are woken through an eventfd and exit. A process with no connections
// (and a test after its connections ended) has no poller goroutines.
//
// Add, Remove, Trigger and Read are safe for concurrent use.
//
// # Closing and descriptor reuse
//
// Events carry a registration number besides the descriptor, so an event
// still in flight for a removed socket is ignored even if the kernel has
// already reused the descriptor number for a new connection. Read and
// Remove go through syscall.RawConn.Control, which holds a reference on
// the net.Conn's descriptor: a concurrent Close of the connection waits
// until they are done, and after it they fail with net.ErrClosed instead
// of touching whatever file now has that number.
package netpoll
