package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type metrics map[string]float64

func jsonOnly(int) bool  { return false }
func protoOnly(int) bool { return true }

func chanEach(prefix string) func(int) string {
	return func(i int) string { return prefix + strconv.Itoa(i) }
}

func genPct(gen, wall float64) float64 { return 100 * gen / wall }

// idle: N connections, each subscribed to its own channel; RSS per connection
// and the server's CPU while nothing happens but pings. The window starts once
// every connection has answered its first ping and lasts one ping interval, so
// each connection is pinged about once in it whatever the servers' first-ping
// schedule (pings_per_conn shows it).
func scenIdle(srv *server, opt *options) (metrics, error) {
	n := opt.idleConns
	base := procRSS(srv.pid)
	conns, err := connectMany(srv, n, jsonOnly, chanEach("bench:idle"), nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	pings := func() (total uint64, unpinged int) {
		for _, c := range conns {
			p := c.pings.Load()
			total += uint64(p)
			if p == 0 {
				unpinged++
			}
		}
		return total, unpinged
	}
	deadline := time.Now().Add(opt.pingInterval + 15*time.Second)
	for {
		_, left := pings()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d connections had no ping within %v", left, n, opt.pingInterval+15*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p0, _ := pings()
	m := startCPU(srv.pid)
	c0 := procCPUPrecise(srv.pid)
	time.Sleep(opt.pingInterval)
	s, g, w := m.stop()
	precise := procCPUPrecise(srv.pid) - c0
	p1, _ := pings()
	rss := procRSS(srv.pid)
	return metrics{
		"conns":                float64(n),
		"rss_kib_per_conn":     float64(rss-base) / float64(n) / 1024,
		"rss_mib":              float64(rss) / (1 << 20),
		"idle_cpu_ms_s_per_1k": 1000 * precise / w / (float64(n) / 1000),
		"idle_cpu_us_per_ping": 1e6 * precise / float64(max(p1-p0, 1)),
		"pings_per_conn":       float64(p1-p0) / float64(n),
		"idle_cpu_stat_ms":     1000 * s,
		"gen_cpu_pct":          genPct(g, w),
	}, nil
}

// handshake: connect+subscribe at a fixed rate (connections stay open).
func scenHandshake(srv *server, opt *options) (metrics, error) {
	n := int(opt.hsRate * opt.hsWindow.Seconds())
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = makeToken("h" + strconv.Itoa(i))
	}
	conns := make([]*conn, n)
	var lat hist
	m := startCPU(srv.pid)
	errs, late := pace(opt.hsRate, n, 256, func(i int) error {
		t0 := time.Now()
		c, err := handshake(srv, i, false, tokens[i], "bench:hs"+strconv.Itoa(i), nil)
		if err != nil {
			return err
		}
		lat.add(uint64(time.Since(t0).Microseconds()))
		conns[i] = c
		return nil
	})
	s, g, w := m.stop()
	closeAll(conns)
	ok := float64(int64(n) - errs)
	return metrics{
		"handshakes":       ok,
		"errors":           float64(errs),
		"late":             float64(late),
		"cpu_us_per_hs":    1e6 * s / ok,
		"hs_p50_ms":        lat.quantile(0.5) / 1000,
		"hs_p99_ms":        lat.quantile(0.99) / 1000,
		"gen_cpu_pct":      genPct(g, w),
		"server_cpu_pct":   100 * s / w,
		"handshakes_per_s": ok / w,
	}, nil
}

// fanoutStep publishes `rate`/s for `dur` to channel ch that `subs` connections
// are subscribed to, and measures the deliveries.
func fanoutStep(srv *server, conns []*conn, pub *publisher, ch string, rate float64, dur time.Duration, pad int) metrics {
	rec := &recorder{}
	setRecorder(conns, rec)
	n := int(rate * dur.Seconds())
	if n < 1 {
		n = 1
	}
	var seq atomic.Uint64
	m := startCPU(srv.pid)
	errs, late := pace(rate, n, 16, func(int) error {
		return pub.publish(ch, payload(seq.Add(1), pad))
	})
	sent := int64(n) - errs
	want := sent * int64(len(conns))
	drain(rec, want, 5*time.Second)
	s, g, w := m.stop()
	got := rec.received.Load()
	uniq := got - rec.dups.Load()
	return metrics{
		"subs":            float64(len(conns)),
		"rate":            rate,
		"publishes":       float64(sent),
		"pub_errors":      float64(errs),
		"late":            float64(late),
		"delivered":       float64(got),
		"delivered_per_s": float64(got) / w,
		"loss":            float64(want - uniq),
		"dups":            float64(rec.dups.Load()),
		"cpu_us_per_del":  1e6 * s / float64(max(got, 1)),
		"p50_ms":          rec.lat.quantile(0.5) / 1000,
		"p99_ms":          rec.lat.quantile(0.99) / 1000,
		"max_ms":          rec.lat.quantile(1) / 1000,
		"gen_cpu_pct":     genPct(g, w),
		"server_cpu_pct":  100 * s / w,
	}
}

// fanout: S subscribers on one channel, P publications/s through the HTTP API;
// then (when ramp steps are configured) the highest rate with p99 < 200 ms and
// no loss.
func scenFanout(proto bool) func(*server, *options) (metrics, error) {
	return func(srv *server, opt *options) (metrics, error) {
		pf := jsonOnly
		if proto {
			pf = protoOnly
		}
		conns, err := connectMany(srv, opt.fanSubs, pf, func(int) string { return "bench:fan" }, nil)
		if err != nil {
			return nil, err
		}
		defer closeAll(conns)
		pub := newPublisher(srv, 16)
		defer pub.close()
		time.Sleep(opt.settle)
		res := fanoutStep(srv, conns, pub, "bench:fan", opt.fanRate, opt.fanWindow, 64)
		if proto || len(opt.rampRates) == 0 {
			return res, nil
		}
		best, bestGen := 0.0, 0.0
		for _, r := range opt.rampRates {
			time.Sleep(300 * time.Millisecond)
			st := fanoutStep(srv, conns, pub, "bench:fan", r, opt.rampStep, 64)
			okStep := st["p99_ms"] < 200 && st["loss"] == 0 && st["pub_errors"] == 0 && st["late"] == 0
			logf("    ramp %s %5.0f/s: delivered %.0f/s p99 %.1f ms loss %.0f late %.0f srv %.0f%% gen %.0f%% %v",
				srv.kind, r, st["delivered_per_s"], st["p99_ms"], st["loss"], st["late"], st["server_cpu_pct"], st["gen_cpu_pct"], okStep)
			if !okStep {
				break
			}
			best, bestGen = r, st["gen_cpu_pct"]
		}
		res["ramp_max_rate"] = best
		res["ramp_max_deliveries_per_s"] = best * float64(len(conns))
		res["ramp_gen_cpu_pct"] = bestGen
		return res, nil
	}
}

// fanout10k: one publication at a time to 10k subscribers.
func scenFanoutBig(srv *server, opt *options) (metrics, error) {
	conns, err := connectMany(srv, opt.bigSubs, jsonOnly, func(int) string { return "bench:big" }, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	pub := newPublisher(srv, 2)
	defer pub.close()
	time.Sleep(opt.settle)
	return fanoutStep(srv, conns, pub, "bench:big", 1, time.Duration(opt.bigPubs)*time.Second, 64), nil
}

// channels: N connections each on its own channel; API publications to random
// channels at a fixed rate.
func scenChannels(srv *server, opt *options) (metrics, error) {
	conns, err := connectMany(srv, opt.chConns, jsonOnly, chanEach("bench:ch"), nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	pub := newPublisher(srv, 16)
	defer pub.close()
	time.Sleep(opt.settle)
	rec := &recorder{}
	setRecorder(conns, rec)
	n := int(opt.chRate * opt.chWindow.Seconds())
	targets := make([]string, n)
	for i := range targets {
		targets[i] = "bench:ch" + strconv.Itoa(rand.IntN(len(conns)))
	}
	var seq atomic.Uint64
	m := startCPU(srv.pid)
	errs, late := pace(opt.chRate, n, 16, func(i int) error {
		return pub.publish(targets[i], payload(seq.Add(1), 64))
	})
	sent := int64(n) - errs
	drain(rec, sent, 5*time.Second)
	s, g, w := m.stop()
	got := rec.received.Load()
	return metrics{
		"conns":          float64(len(conns)),
		"publishes":      float64(sent),
		"pub_errors":     float64(errs),
		"late":           float64(late),
		"loss":           float64(sent - (got - rec.dups.Load())),
		"dups":           float64(rec.dups.Load()),
		"cpu_us_per_pub": 1e6 * s / float64(max(sent, 1)),
		"p50_ms":         rec.lat.quantile(0.5) / 1000,
		"p99_ms":         rec.lat.quantile(0.99) / 1000,
		"max_ms":         rec.lat.quantile(1) / 1000,
		"gen_cpu_pct":    genPct(g, w),
		"server_cpu_pct": 100 * s / w,
	}, nil
}

// churn: a pool of connections; at a fixed rate one is closed (close frame) and
// a new one connects and subscribes.
func scenChurn(srv *server, opt *options) (metrics, error) {
	pool, err := connectMany(srv, opt.churnPool, jsonOnly, chanEach("bench:churn"), nil)
	if err != nil {
		return nil, err
	}
	n := int(opt.churnRate * opt.churnWindow.Seconds())
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = makeToken("c" + strconv.Itoa(i))
	}
	var mu sync.Mutex
	var lat hist
	time.Sleep(opt.settle)
	m := startCPU(srv.pid)
	errs, late := pace(opt.churnRate, n, 256, func(i int) error {
		slot := i % len(pool)
		mu.Lock()
		old := pool[slot]
		pool[slot] = nil
		mu.Unlock()
		if old != nil {
			old.writeControl(0x8, []byte{0x03, 0xe8})
			old.close()
		}
		t0 := time.Now()
		c, err := handshake(srv, len(pool)+i, false, tokens[i], "bench:churn"+strconv.Itoa(slot), nil)
		if err != nil {
			return err
		}
		lat.add(uint64(time.Since(t0).Microseconds()))
		mu.Lock()
		pool[slot] = c
		mu.Unlock()
		return nil
	})
	time.Sleep(200 * time.Millisecond) // let the server finish the last disconnects
	s, g, w := m.stop()
	closeAll(pool)
	ok := float64(int64(n) - errs)
	return metrics{
		"pool":             float64(len(pool)),
		"cycles":           ok,
		"errors":           float64(errs),
		"late":             float64(late),
		"cpu_us_per_cycle": 1e6 * s / ok,
		"hs_p99_ms":        lat.quantile(0.99) / 1000,
		"gen_cpu_pct":      genPct(g, w),
		"server_cpu_pct":   100 * s / w,
	}, nil
}

// chat: rooms of K clients (namespace with history) publishing to each other
// through the client protocol.
func scenChat(srv *server, opt *options) (metrics, error) {
	k := opt.chatRoomSize
	n := opt.chatRooms * k
	room := func(i int) string { return "chat:room" + strconv.Itoa(i/k) }
	conns, err := connectMany(srv, n, func(i int) bool { return i%2 == 1 }, room, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	time.Sleep(opt.settle)
	rec := &recorder{}
	setRecorder(conns, rec)
	total := int(opt.chatRate * opt.chatWindow.Seconds())
	var seq atomic.Uint64
	ids := make([]atomic.Uint32, n)
	m := startCPU(srv.pid)
	errs, late := pace(opt.chatRate, total, 16, func(i int) error {
		ci := (i * 7919) % n // spread publishers over rooms
		c := conns[ci]
		id := firstPublishID + ids[ci].Add(1)
		return c.writeFrame(publishCmd(c.proto, id, room(ci), payload(seq.Add(1), 32)))
	})
	sent := int64(total) - errs
	want := sent * int64(k)
	drain(rec, want, 5*time.Second)
	s, g, w := m.stop()
	got := rec.received.Load()
	pubErr := rec.pubErrors.Load()
	return metrics{
		"conns":          float64(n),
		"room_size":      float64(k),
		"publishes":      float64(sent),
		"pub_errors":     float64(errs + pubErr),
		"late":           float64(late),
		"delivered":      float64(got),
		"loss":           float64(want - (got - rec.dups.Load())),
		"dups":           float64(rec.dups.Load()),
		"cpu_us_per_del": 1e6 * s / float64(max(got, 1)),
		"cpu_us_per_pub": 1e6 * s / float64(max(sent, 1)),
		"p50_ms":         rec.lat.quantile(0.5) / 1000,
		"p99_ms":         rec.lat.quantile(0.99) / 1000,
		"max_ms":         rec.lat.quantile(1) / 1000,
		"gen_cpu_pct":    genPct(g, w),
		"server_cpu_pct": 100 * s / w,
	}, nil
}

var _ = fmt.Sprintf
