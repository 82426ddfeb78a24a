package main

// soak: a long run against Gyre only (docs/reliability.md). Steady
// connections, a fan-out channel, connection churn (close frames, abrupt TCP
// closes, resets, slow readers that stop reading) at fixed rates for
// -soak-duration; a sample of the server's resources every -soak-interval;
// then a quiet period and a report: baseline vs peak vs after the load, and a
// verdict. Every loop is bounded in count and time.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	soakDuration  = flag.Duration("soak-duration", 10*time.Minute, "soak: how long the load runs")
	soakQuiet     = flag.Duration("soak-quiet", 150*time.Second, "soak: quiet period after the load (Go forces a GC every 2 min)")
	soakInterval  = flag.Duration("soak-interval", 10*time.Second, "soak: sampling interval")
	soakSteady    = flag.Int("soak-steady", 1000, "soak: steady connections, each on its own channel")
	soakFanSubs   = flag.Int("soak-fanout-subs", 1000, "soak: subscribers of the fan-out channel")
	soakFanRate   = flag.Float64("soak-fanout-rate", 20, "soak: HTTP API publications/s to the fan-out channel")
	soakTrickle   = flag.Float64("soak-steady-rate", 10, "soak: HTTP API publications/s to random steady channels")
	soakChurnRate = flag.Float64("soak-churn-rate", 50, "soak: new churn connections per second")
	soakChurnLife = flag.Duration("soak-churn-life", 10*time.Second, "soak: mean lifetime of a churn connection (uniform 0.5×…1.5×)")
	soakSlowEvery = flag.Int("soak-slow-every", 50, "soak: every N-th churn connection is a slow reader")
	soakSlowPause = flag.Duration("soak-slow-pause", 8*time.Second, "soak: how long a slow reader stops reading")
	soakFeedRate  = flag.Float64("soak-slowfeed-rate", 100, "soak: publications/s of 32 KiB to the slow readers' channel")
)

const (
	soakFanChannel  = "bench:soakfan"
	soakSlowChannel = "bench:soakslow"
	soakRooms       = 20 // chat:soak0..19, history on
	soakFeedSize    = 32 << 10
)

// ---- connections with a recorded tail and a read gate ----

// soakNetConn wraps the client's TCP connection: it keeps the last bytes read
// (the server's close frame, when there is one, is the last thing on the
// wire) and can stop reading for a while (a slow reader).
type soakNetConn struct {
	net.Conn
	tail []byte
	gate atomic.Pointer[chan struct{}]
}

func (s *soakNetConn) Read(p []byte) (int, error) {
	if g := s.gate.Load(); g != nil {
		<-*g
	}
	n, err := s.Conn.Read(p)
	if n > 0 {
		if n >= 160 {
			s.tail = append(s.tail[:0], p[n-160:n]...)
		} else {
			s.tail = append(s.tail, p[:n]...)
			if len(s.tail) > 160 {
				s.tail = append(s.tail[:0], s.tail[len(s.tail)-160:]...)
			}
		}
	}
	return n, err
}

// pause stops reading for d (the reader blocks before its next read).
func (s *soakNetConn) pause(d time.Duration) {
	ch := make(chan struct{})
	s.gate.Store(&ch)
	time.AfterFunc(d, func() { s.gate.Store(nil); close(ch) })
}

// closeCode returns the code of the close frame at the end of what was read
// (server frames are unmasked: 0x88, length < 126, code, reason). Only valid
// after the read loop ended.
func (s *soakNetConn) closeCode() (int, bool) {
	t := s.tail
	for i := len(t) - 2; i >= 0 && i >= len(t)-127; i-- {
		if t[i] == 0x88 && int(t[i+1]) == len(t)-i-2 {
			if len(t)-i-2 >= 2 {
				return int(binary.BigEndian.Uint16(t[i+2:])), true
			}
			return 1005, true
		}
	}
	return 0, false
}

type soakConn struct {
	*conn
	nc   *soakNetConn
	kind string
	byUs atomic.Bool
}

// end closes the connection from the generator's side: "frame" sends a close
// frame 1000 first, "fin" closes the socket without a close frame, "rst" resets it.
func (c *soakConn) end(how string) {
	c.byUs.Store(true)
	switch how {
	case "frame":
		c.writeControl(0x8, []byte{0x03, 0xe8})
	case "rst":
		if tc, ok := c.nc.Conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	c.close()
}

// soakDial is dial() with the wrapper and an optional small receive buffer.
func soakDial(srv *server, idx int, proto bool, rcvbuf int) (*soakConn, error) {
	d := net.Dialer{LocalAddr: localAddr(idx), Timeout: 10 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
		}
	}
	raw, err := d.Dial("tcp", srv.addr)
	if err != nil {
		return nil, err
	}
	nc := &soakNetConn{Conn: raw}
	path := "/connection/websocket"
	if proto {
		path += "?format=protobuf"
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + srv.addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := raw.Write([]byte(req)); err != nil {
		raw.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, readBufSize)
	line, err := br.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
		raw.Close()
		if err == nil {
			err = fmt.Errorf("%w: %q", errHandshake, bytes.TrimSpace(line))
		}
		return nil, err
	}
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			raw.Close()
			return nil, err
		}
		if len(line) <= 2 {
			break
		}
	}
	_ = raw.SetDeadline(time.Time{})
	c := &conn{nc: nc, br: br, proto: proto, idx: idx, replies: make(chan reply, 4), done: make(chan struct{})}
	go c.readLoop()
	return &soakConn{conn: c, nc: nc}, nil
}

// ---- the run ----

type soakRun struct {
	srv     *server
	idx     atomic.Int64 // source address / user index
	loadEnd time.Time

	mu         sync.Mutex
	unexpected map[string]map[string]int // kind → close code ("none": no close frame) → count
	errors     map[string]int            // what failed → count
	started    map[string]int            // churn kind → started
	slowDrop   int                       // slow readers the server dropped
	slowStuck  int                       // slow readers still connected after the pause and 10 s
	slowCodes  map[string]int            // what a dropped slow reader saw
	live       sync.WaitGroup            // churn connections not yet ended

	fanSent, steadySent, feedSent, churnPubs atomic.Int64
	fanRecs                                  []*recorder
	fanCur                                   *recorder
	steadyRec, churnRec                      *recorder
	fanConns, steadyConns                    []*soakConn
}

func (r *soakRun) countErr(what string, err error) {
	r.mu.Lock()
	r.errors[what]++
	if r.errors[what] <= 3 {
		logf("  soak: %s: %v", what, err)
	}
	r.mu.Unlock()
}

// watch records how a connection ended when the generator did not end it.
func (r *soakRun) watch(c *soakConn, onEnd func(code string, byUs bool)) {
	go func() {
		<-c.done
		code := "none"
		if k, ok := c.nc.closeCode(); ok {
			code = strconv.Itoa(k)
		}
		byUs := c.byUs.Load()
		if !byUs && c.kind != "slow" {
			r.mu.Lock()
			if r.unexpected[c.kind] == nil {
				r.unexpected[c.kind] = map[string]int{}
			}
			r.unexpected[c.kind][code]++
			r.mu.Unlock()
		}
		if onEnd != nil {
			onEnd(code, byUs)
		}
	}()
}

// open connects, subscribes and starts watching; kind names the population.
func (r *soakRun) open(kind string, proto bool, channel string, rec *recorder, rcvbuf int) (*soakConn, error) {
	i := int(r.idx.Add(1))
	c, err := soakDial(r.srv, i, proto, rcvbuf)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c.kind = kind
	if rec != nil {
		c.rec.Store(rec)
	}
	fail := func(step string, err error) (*soakConn, error) {
		c.byUs.Store(true)
		c.close()
		return nil, fmt.Errorf("%s: %w", step, err)
	}
	if err := c.writeFrame(connectCmd(proto, makeToken("s"+strconv.Itoa(i)))); err != nil {
		return fail("connect", err)
	}
	if err := c.await(1, 10*time.Second); err != nil {
		return fail("connect", err)
	}
	if err := c.writeFrame(subscribeCmd(proto, 2, channel)); err != nil {
		return fail("subscribe", err)
	}
	if err := c.await(2, 10*time.Second); err != nil {
		return fail("subscribe", err)
	}
	return c, nil
}

// openMany opens n connections with bounded concurrency.
func (r *soakRun) openMany(kind string, n int, proto func(int) bool, channel func(int) string, rec *recorder) ([]*soakConn, error) {
	out := make([]*soakConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = r.open(kind, proto(i), channel(i), rec, 0)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			for _, c := range out {
				if c != nil {
					c.end("fin")
				}
			}
			return nil, fmt.Errorf("%s conn %d: %w", kind, i, err)
		}
	}
	for _, c := range out {
		r.watch(c, nil)
	}
	return out, nil
}

// churnOne is one churn connection's life: connect, subscribe, publish a
// little, live for a while, go away (close frame, FIN, RST), or stop reading.
func (r *soakRun) churnOne(i int) error {
	// no new slow reader once the slow feed would end before it overflows
	slowOK := time.Until(r.loadEnd) > *soakSlowPause+5*time.Second
	if *soakSlowEvery > 0 && i%*soakSlowEvery == 0 && slowOK {
		return r.slowOne()
	}
	how := [...]string{"frame", "fin", "rst", "frame"}[i%4]
	proto := i%2 == 1
	room := "chat:soak" + strconv.Itoa(i%soakRooms)
	c, err := r.open("churn", proto, room, r.churnRec, 0)
	if err != nil {
		r.countErr("churn handshake", err)
		return err
	}
	r.mu.Lock()
	r.started[how]++
	r.mu.Unlock()
	if err := c.writeFrame(publishCmd(proto, firstPublishID+1, room, payload(uint64(i)+1, 16))); err != nil {
		r.countErr("churn publish", err)
	} else {
		r.churnPubs.Add(1)
	}
	life := time.Duration(float64(*soakChurnLife) * (0.5 + rand.Float64()))
	r.live.Add(1)
	r.watch(c, nil)
	time.AfterFunc(life, func() {
		defer r.live.Done()
		c.end(how)
	})
	return nil
}

// slowOne subscribes to the slow channel (32 KiB publications) with a small
// receive buffer and stops reading: the server must drop it (3008 when the
// queue passes client.queue_max_size). After the pause it reads what is left
// to see how the connection ended.
func (r *soakRun) slowOne() error {
	c, err := r.open("slow", false, soakSlowChannel, nil, 16<<10)
	if err != nil {
		r.countErr("slow handshake", err)
		return err
	}
	r.mu.Lock()
	r.started["slow"]++
	r.mu.Unlock()
	c.nc.pause(*soakSlowPause)
	r.live.Add(1)
	r.watch(c, nil)
	go func() {
		defer r.live.Done()
		t := time.NewTimer(*soakSlowPause + 10*time.Second)
		defer t.Stop()
		select {
		case <-c.done:
			code := "none"
			if k, ok := c.nc.closeCode(); ok {
				code = strconv.Itoa(k)
			}
			r.mu.Lock()
			r.slowDrop++
			r.slowCodes[code]++
			r.mu.Unlock()
		case <-t.C:
			r.mu.Lock()
			r.slowStuck++
			r.mu.Unlock()
			c.end("fin")
		}
	}()
	return nil
}

// ---- sampling ----

type soakSample struct {
	T        float64 `json:"t_s"`
	Phase    string  `json:"phase"`
	RSSMiB   float64 `json:"rss_mib"`
	HeapMiB  float64 `json:"heap_inuse_mib"` // -1: not exported
	Gor      float64 `json:"goroutines"`     // -1: not exported
	Threads  float64 `json:"threads"`
	FDs      float64 `json:"fds"`
	Clients  float64 `json:"clients"`
	Subs     float64 `json:"subscriptions"`
	SrvCPU   float64 `json:"server_cpu_pct"`
	GenCPU   float64 `json:"gen_cpu_pct"`
	FanDel   float64 `json:"fanout_delivered"`
	FanP99   float64 `json:"fanout_p99_ms"`
	FanMax   float64 `json:"fanout_max_ms"`
	Pending  float64 `json:"fanout_pending"` // expected − unique received so far (in flight + lost)
	Discon   string  `json:"server_disconnects"`
	Others   float64 `json:"others_cpu_pct"`
	scrapeOK bool
}

func procStatusField(pid int, key string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	i := bytes.Index(b, []byte(key+":"))
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+len(key)+1:])
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(string(f[0]), 64)
	return v
}

func procFDs(pid int) float64 {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return float64(len(ents))
}

var scrapeClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// scrape reads the Prometheus text format into name{labels} → value.
func scrape(addr string) (map[string]float64, error) {
	resp, err := scrapeClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("/metrics: %d", resp.StatusCode)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, nil
}

func disconnectCodes(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	const p = `gyre_client_num_server_disconnects{code="`
	for k, v := range m {
		if strings.HasPrefix(k, p) {
			out[strings.TrimSuffix(k[len(p):], `"}`)] = v
		}
	}
	return out
}

func fmtCodes(m map[string]float64) string {
	if len(m) == 0 {
		return "–"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%.0f", k, m[k]))
	}
	return strings.Join(parts, " ")
}

type sampler struct {
	r       *soakRun
	t0      time.Time
	cpu     cpuMeter
	last    map[string]float64
	samples []soakSample
	runtime bool // go_goroutines is exported
}

func (s *sampler) take(phase string) soakSample {
	pid := s.r.srv.pid
	srvCPU, genCPU, wall := s.cpu.stop()
	others := lastOthers
	s.cpu = startCPU(pid)
	smp := soakSample{
		T: time.Since(s.t0).Seconds(), Phase: phase,
		RSSMiB:  procStatusField(pid, "VmRSS") / 1024,
		Threads: procStatusField(pid, "Threads"),
		FDs:     procFDs(pid),
		SrvCPU:  100 * srvCPU / wall, GenCPU: 100 * genCPU / wall, Others: others,
		HeapMiB: -1, Gor: -1, Clients: -1, Subs: -1,
	}
	if m, err := scrape(s.r.srv.addr); err != nil {
		logf("  soak: scrape: %v", err)
	} else {
		smp.scrapeOK = true
		s.last = m
		if v, ok := m["go_goroutines"]; ok {
			smp.Gor = v
			s.runtime = true
		}
		if v, ok := m["go_memstats_heap_inuse_bytes"]; ok {
			smp.HeapMiB = v / (1 << 20)
		}
		smp.Clients = m["gyre_node_num_clients"]
		smp.Subs = m["gyre_node_num_subscriptions"]
		smp.Discon = fmtCodes(disconnectCodes(m))
	}
	// the fan-out window: swap the recorder, read the old one
	if r := s.r; len(r.fanConns) > 0 && phase != "baseline" {
		old := r.fanCur
		nr := &recorder{}
		r.mu.Lock()
		r.fanRecs = append(r.fanRecs, nr)
		r.fanCur = nr
		r.mu.Unlock()
		for _, c := range r.fanConns {
			c.rec.Store(nr)
		}
		smp.FanDel = float64(old.received.Load())
		smp.FanP99 = old.lat.quantile(0.99) / 1000
		smp.FanMax = old.lat.quantile(1) / 1000
		got, _ := r.fanReceived()
		smp.Pending = float64(r.fanSent.Load()*int64(len(r.fanConns)) - got)
	}
	s.samples = append(s.samples, smp)
	logf("  soak %6.0fs %-8s rss %6.1f MiB heap %6.1f MiB gor %5.0f thr %3.0f fds %5.0f clients %5.0f subs %5.0f srv %3.0f%% gen %3.0f%% others %3.0f%% fan p99 %6.1f ms pending %5.0f disc %s",
		smp.T, phase, smp.RSSMiB, smp.HeapMiB, smp.Gor, smp.Threads, smp.FDs, smp.Clients, smp.Subs, smp.SrvCPU, smp.GenCPU, smp.Others, smp.FanP99, smp.Pending, smp.Discon)
	return smp
}

// fanReceived returns the unique publications received by fan-out subscribers, and duplicates.
func (r *soakRun) fanReceived() (uniq, dups int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.fanRecs {
		uniq += rec.received.Load() - rec.dups.Load()
		dups += rec.dups.Load()
	}
	return uniq, dups
}

// soakConfig is the benchmark config with Prometheus on.
func soakConfig(port int) []byte {
	var cfg map[string]any
	_ = json.Unmarshal(gyreConfig(port, 25*time.Second), &cfg)
	cfg["prometheus"] = map[string]any{"enabled": true}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return b
}

func startSoakServer(opt *options) (*server, error) {
	// a port the kernel says is free (other people run benchmarks on this machine too)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfgPath := filepath.Join(opt.outDir, "soak-config.json")
	if err := os.WriteFile(cfgPath, soakConfig(port), 0o644); err != nil {
		return nil, err
	}
	args := []string{opt.gyreBin, "--config", cfgPath}
	if opt.taskset != "" {
		args = append([]string{opt.taskset, "-c", opt.serverCPU}, args...)
	}
	lf, err := os.OpenFile(filepath.Join(opt.outDir, "gyre-soak.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{kind: kindGyre, addr: addr, cmd: cmd, pid: cmd.Process.Pid, log: lf}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			time.Sleep(300 * time.Millisecond)
			// make sure the listener is ours: our server is still running
			if st, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat"); err != nil || bytes.Contains(st, []byte(") Z ")) {
				s.stop()
				return nil, fmt.Errorf("gyre exited right after start (see %s)", lf.Name())
			}
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("gyre did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runSoak is `gyrebench -only soak`.
func runSoak(opt *options) error {
	srv, err := startSoakServer(opt)
	if err != nil {
		return err
	}
	defer srv.stop()
	r := &soakRun{srv: srv, unexpected: map[string]map[string]int{}, errors: map[string]int{},
		started: map[string]int{}, slowCodes: map[string]int{},
		steadyRec: &recorder{}, churnRec: &recorder{}}
	r.fanCur = &recorder{}
	r.fanRecs = []*recorder{r.fanCur}
	s := &sampler{r: r, t0: time.Now(), cpu: startCPU(srv.pid)}
	logf("soak: gyre pid %d on %s, load %v, quiet %v, sample every %v", srv.pid, srv.addr, *soakDuration, *soakQuiet, *soakInterval)

	time.Sleep(5 * time.Second)
	base := s.take("baseline")
	if !base.scrapeOK {
		return fmt.Errorf("no /metrics: is prometheus.enabled honoured?")
	}

	// steady population
	r.steadyConns, err = r.openMany("steady", *soakSteady, func(i int) bool { return i%4 == 3 },
		func(i int) string { return "bench:soaksteady" + strconv.Itoa(i) }, r.steadyRec)
	if err != nil {
		return err
	}
	r.fanConns, err = r.openMany("fanout", *soakFanSubs, func(i int) bool { return i%4 == 3 },
		func(int) string { return soakFanChannel }, r.fanCur)
	if err != nil {
		return err
	}
	s.take("ramp")

	fan := newPublisher(srv, 8)
	feed := newPublisher(srv, 8)
	trickle := newPublisher(srv, 4)
	feedBody := payload(0, soakFeedSize)
	dur := soakDuration.Seconds()
	var wg sync.WaitGroup
	loadStart := time.Now()
	r.loadEnd = loadStart.Add(*soakDuration)
	type stream struct {
		name    string
		rate    float64
		workers int
		fn      func(i int) error
	}
	var fanSeq, steadySeq atomic.Uint64
	streams := []stream{
		{"fanout publish", *soakFanRate, 8, func(int) error {
			if err := fan.publish(soakFanChannel, payload(fanSeq.Add(1), 64)); err != nil {
				r.countErr("fanout publish", err)
				return err
			}
			r.fanSent.Add(1)
			return nil
		}},
		{"steady publish", *soakTrickle, 4, func(int) error {
			ch := "bench:soaksteady" + strconv.Itoa(rand.IntN(*soakSteady))
			if err := trickle.publish(ch, payload(steadySeq.Add(1), 32)); err != nil {
				r.countErr("steady publish", err)
				return err
			}
			r.steadySent.Add(1)
			return nil
		}},
		{"slow feed", *soakFeedRate, 8, func(int) error {
			if err := feed.publish(soakSlowChannel, feedBody); err != nil {
				r.countErr("slow feed publish", err)
				return err
			}
			r.feedSent.Add(1)
			return nil
		}},
		{"churn", *soakChurnRate, 128, r.churnOne},
	}
	lates := make([]int64, len(streams))
	for k, st := range streams {
		if st.rate <= 0 || (st.name == "steady publish" && *soakSteady == 0) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, lates[k] = pace(st.rate, int(st.rate*dur), st.workers, st.fn)
		}()
	}
	loadDone := make(chan struct{})
	go func() { wg.Wait(); close(loadDone) }()
	tick := time.NewTicker(*soakInterval)
	for running := true; running; {
		select {
		case <-tick.C:
			s.take("load")
		case <-loadDone:
			running = false
		case <-time.After(*soakDuration + time.Minute): // bound: pace ends on its own
			running = false
		}
	}
	tick.Stop()
	loadWall := time.Since(loadStart)
	logf("soak: load ended after %v; waiting for the last churn connections", loadWall.Round(time.Second))

	// every churn connection ends by its timer (≤ 1.5× life) or slow-reader deadline
	lastDone := make(chan struct{})
	go func() { r.live.Wait(); close(lastDone) }()
	select {
	case <-lastDone:
	case <-time.After(2**soakChurnLife + *soakSlowPause + 20*time.Second):
		r.countErr("churn wait", fmt.Errorf("churn connections still alive"))
	}
	// fan-out: wait for the last publications
	want := r.fanSent.Load() * int64(len(r.fanConns))
	for dl := time.Now().Add(10 * time.Second); time.Now().Before(dl); time.Sleep(50 * time.Millisecond) {
		if got, _ := r.fanReceived(); got >= want {
			break
		}
	}
	fanUniq, fanDups := r.fanReceived()
	steadyUniq := r.steadyRec.received.Load() - r.steadyRec.dups.Load()
	for _, c := range r.fanConns {
		c.end("frame")
	}
	for _, c := range r.steadyConns {
		c.end("fin")
	}
	for _, c := range append(append([]*soakConn{}, r.fanConns...), r.steadyConns...) {
		<-c.done
	}
	fan.close()
	feed.close()
	trickle.close()
	s.take("unload")

	quietEnd := time.Now().Add(*soakQuiet)
	for time.Now().Before(quietEnd) {
		time.Sleep(min(*soakInterval, time.Until(quietEnd)))
		s.take("quiet")
	}
	after := s.samples[len(s.samples)-1]
	srvCodes := disconnectCodes(s.last)

	rep := r.report(s, base, after, loadWall, want, fanUniq, fanDups, steadyUniq, srvCodes, lates)
	fmt.Print(rep.text)
	_ = os.WriteFile(filepath.Join(opt.outDir, "soak.md"), []byte(rep.text), 0o644)
	raw, _ := json.MarshalIndent(map[string]any{"samples": s.samples, "summary": rep.summary}, "", " ")
	_ = os.WriteFile(filepath.Join(opt.outDir, "soak.json"), raw, 0o644)
	if !rep.pass {
		return fmt.Errorf("soak failed (see the verdict)")
	}
	return nil
}

type soakReport struct {
	text    string
	summary map[string]any
	pass    bool
}
