//go:build linux

package netpoll

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gyrehq/gyre/internal/rawsock"
)

// Poller waits for readability of registered sockets on a few epoll
// instances (shards), each served by one goroutine while it has sockets.
type Poller struct {
	shards []*shard

	// Callback goroutines are reused: one that finished waits on work for
	// the next ready socket (at most maxIdleWorkers wait), so a burst does
	// not start a goroutine per event, and a reused goroutine keeps the stack
	// it grew in earlier callbacks instead of growing (copying) it again.
	// Idle ones exit when the poller has no sockets left.
	work    chan *Desc // unbuffered: a send succeeds only to a waiting worker
	idle    atomic.Int32
	active  atomic.Int64 // registered sockets, all shards
	quitMu  sync.Mutex
	quitRef atomic.Pointer[chan struct{}] // closed (and replaced) when active drops to 0
}

// maxIdleWorkers bounds the callback goroutines kept waiting for work.
const maxIdleWorkers = 8

// start runs d's callback on an idle worker, or on a new one.
func (d *Desc) start() {
	p := d.s.p
	select {
	case p.work <- d:
	default:
		go p.worker(d)
	}
}

// worker runs callbacks: d first, then whatever is handed over while it
// waits. It exits when too many are idle already or the poller is empty.
func (p *Poller) worker(d *Desc) {
	for {
		d.run()
		q := *p.quitRef.Load()
		if p.active.Load() == 0 {
			return
		}
		if p.idle.Add(1) > maxIdleWorkers {
			p.idle.Add(-1)
			return
		}
		select {
		case d = <-p.work:
			p.idle.Add(-1)
		case <-q:
			p.idle.Add(-1)
			return
		}
	}
}

// socketGone counts a removed socket; the last one wakes idle workers so
// that they exit.
func (p *Poller) socketGone() {
	if p.active.Add(-1) != 0 {
		return
	}
	p.quitMu.Lock()
	old := p.quitRef.Load()
	q := make(chan struct{})
	p.quitRef.Store(&q)
	close(*old)
	p.quitMu.Unlock()
}

// shard is one epoll instance and the sockets registered with it.
type shard struct {
	p      *Poller
	epfd   int
	wakefd int // eventfd that wakes the goroutine when the last socket goes
	// epf wraps epfd so that the shard's goroutine waits for events in the
	// Go runtime's netpoller (the epoll fd is itself pollable) instead of
	// blocking an OS thread in epoll_wait: with few Ps, a thread blocked in
	// a raw syscall has to win a P back after every wake-up, which showed up
	// as tail latency for everyone under load.
	epf  *os.File
	eprc syscall.RawConn

	mu      sync.RWMutex
	descs   []*Desc // indexed by descriptor number
	count   int     // registered sockets
	gen     uint32  // last registration number handed out
	running bool    // the shard's goroutine exists
}

// Desc is a socket registered with a Poller.
type Desc struct {
	s       *shard
	rc      syscall.RawConn
	fn      func(*Desc)
	fd      int32
	gen     uint32 // registration number, carried by its epoll events
	state   atomic.Int32
	removed atomic.Bool
}

// New creates a poller with n shards (n < 1 means 1). Its goroutines start
// with the first Add and end when the last socket is removed.
func New(n int) (*Poller, error) {
	p := &Poller{work: make(chan *Desc)}
	q := make(chan struct{})
	p.quitRef.Store(&q)
	for range max(n, 1) {
		s, err := newShard()
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		s.p = p
		p.shards = append(p.shards, s)
	}
	return p, nil
}

// newShard creates an epoll instance with its wake-up eventfd.
func newShard() (*shard, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	// Registration number 0 marks the eventfd (sockets get 1 and up).
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := epollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	epf := os.NewFile(uintptr(epfd), "epoll")
	rc, err := epf.SyscallConn()
	if err != nil {
		epf.Close()
		unix.Close(wfd)
		return nil, err
	}
	return &shard{epfd: epfd, wakefd: wfd, epf: epf, eprc: rc}, nil
}

// Close releases the epoll instances. It fails with ErrPollerBusy while
// sockets are registered. The process-wide Default poller is never closed.
func (p *Poller) Close() error {
	for _, s := range p.shards {
		s.mu.Lock()
		busy := s.count > 0 || s.running
		s.mu.Unlock()
		if busy {
			return ErrPollerBusy
		}
	}
	for _, s := range p.shards {
		_ = s.epf.Close()
		unix.Close(s.wakefd)
	}
	p.shards = nil
	return nil
}

// Add registers the socket of c (typically a *net.TCPConn) and returns its
// Desc. fn runs, with the Desc, on a goroutine of the poller's whenever the
// socket becomes readable, reports an error or hang-up, or Trigger is
// called; it never runs concurrently with itself. Data that is already
// waiting when Add is called produces an event too, so fn may run before
// Add returns. The caller must not call Read on c afterwards (use
// Desc.Read) and must call Remove before closing c.
func (p *Poller) Add(c syscall.Conn, fn func(*Desc)) (*Desc, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return nil, err
	}
	s := p.shards[fd%len(p.shards)]
	d := &Desc{s: s, rc: rc, fn: fn, fd: int32(fd)}

	s.mu.Lock()
	s.gen++
	if s.gen == 0 {
		s.gen = 1
	}
	d.gen = s.gen
	if fd >= len(s.descs) {
		s.descs = append(s.descs, make([]*Desc, fd+1-len(s.descs)+len(s.descs)/2)...)
	}
	if s.descs[fd] == nil {
		s.count++
		p.active.Add(1)
	}
	// A leftover entry belongs to a socket closed without Remove; the
	// kernel dropped its registration with the descriptor.
	s.descs[fd] = d
	if !s.running {
		s.running = true
		go s.loop()
	}
	s.mu.Unlock()

	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd), Pad: int32(d.gen)}
	var cerr error
	if err := rc.Control(func(f uintptr) { cerr = epollCtl(s.epfd, unix.EPOLL_CTL_ADD, int(f), &ev) }); err != nil {
		cerr = err
	}
	if cerr != nil {
		d.forget()
		return nil, os.NewSyscallError("epoll_ctl", cerr)
	}
	return d, nil
}

// Remove deregisters the socket; its callback is not started for later
// readiness (a call already running or scheduled still runs, and Trigger
// still works). Call it before closing the connection. Calls after the
// first return nil.
func (d *Desc) Remove() error {
	if !d.removed.CompareAndSwap(false, true) {
		return nil
	}
	var cerr error
	// On a connection that is already closed Control fails, and the kernel
	// has dropped the registration together with the descriptor.
	_ = d.rc.Control(func(f uintptr) { cerr = epollCtl(d.s.epfd, unix.EPOLL_CTL_DEL, int(f), nil) })
	d.forget()
	if cerr != nil {
		return os.NewSyscallError("epoll_ctl", cerr)
	}
	return nil
}

// forget drops d from its shard's table and wakes the shard's goroutine
// when it was the last socket, so that it exits.
func (d *Desc) forget() {
	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(d.fd) < len(s.descs) && s.descs[d.fd] == d {
		s.descs[d.fd] = nil
		s.count--
		s.p.socketGone()
		if s.count == 0 && s.running {
			one := [8]byte{1}
			_, _ = unix.Write(s.wakefd, one[:]) // native endianness: 1 on little-endian; any non-zero value wakes
		}
	}
}

// loop is the shard's goroutine: it waits for events and schedules the
// callbacks of readable sockets. It exits when no socket is registered.
func (s *shard) loop() {
	events := make([]unix.EpollEvent, 128)
	for {
		var (
			n    int
			werr error
		)
		// Take ready events without blocking; when there are none, park in
		// the runtime's netpoller until the epoll fd becomes readable.
		err := s.eprc.Read(func(fd uintptr) bool {
			n, werr = epollWaitNow(fd, events)
			if werr == unix.EINTR {
				n, werr = 0, nil
			}
			return n > 0 || werr != nil
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			// Only EBADF/EFAULT/EINVAL are possible: a bug. Stop
			// rather than spin; registered sockets get no more events.
			s.mu.Lock()
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.RLock()
		for _, ev := range events[:max(n, 0)] {
			if ev.Pad == 0 {
				var b [8]byte
				_, _ = unix.Read(s.wakefd, b[:])
				continue
			}
			if int(ev.Fd) < len(s.descs) {
				if d := s.descs[ev.Fd]; d != nil && d.gen == uint32(ev.Pad) {
					d.schedule()
				}
			}
		}
		s.mu.RUnlock()
		s.mu.Lock()
		if s.count == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// Read reads from the socket without blocking. It returns ErrWouldBlock
// when no data is available, io.EOF when the peer closed its side, and
// net.ErrClosed (wrapped) once the connection was closed; it is safe to
// call concurrently with closing the connection.
func (d *Desc) Read(p []byte) (int, error) {
	var (
		n    int
		rerr error
	)
	if err := d.rc.Control(func(f uintptr) {
		for {
			n, rerr = rawRead(f, p)
			if rerr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return 0, err
	}
	switch {
	case rerr == unix.EAGAIN:
		return 0, ErrWouldBlock
	case rerr != nil:
		return 0, os.NewSyscallError("read", rerr)
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// rawRead, epollWaitNow and epollCtl make their system calls without the
// runtime's bookkeeping (rawsock.ReadFD, syscall.RawSyscall): on a
// non-blocking socket and with a zero timeout they never block, and skipping
// the bookkeeping keeps them from waking the scheduler's monitor thread
// (which then polls every 20 µs for a while) or handing the P to another
// thread. See package rawsock.
func rawRead(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, e := rawsock.ReadFD(fd, p)
	if e != 0 {
		return 0, e
	}
	return n, nil
}

func epollWaitNow(epfd uintptr, events []unix.EpollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// epollCtl is unix.EpollCtl with a raw system call (it never blocks).
func epollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
