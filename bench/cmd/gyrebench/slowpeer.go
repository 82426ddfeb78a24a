package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// slowpeer: the fan-out of the fanout scenario measured twice — without and
// then with one subscriber that never reads — so the table shows whether a
// slow consumer costs the others latency (target: p99 within 20%) and
// whether the server's memory stays bounded.
func scenSlowPeer(srv *server, opt *options) (metrics, error) {
	const ch = "bench:slowpeer"
	conns, err := connectMany(srv, opt.fanSubs, jsonOnly, func(int) string { return ch }, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	pub := newPublisher(srv, 16)
	defer pub.close()
	// The fanout scenario's load (the server well below saturation, where a
	// p99 comparison means something); the slow subscriber's tiny receive
	// window makes the server's writes to it block within the window.
	const pad = 1024
	rate := opt.fanRate
	time.Sleep(opt.settle)
	base := fanoutStep(srv, conns, pub, ch, rate, opt.fanWindow, pad)
	rssBase := procRSS(srv.pid)

	var slow net.Conn
	if os.Getenv("SLOWPEER_NONE") == "" {
		slow, err = slowSubscriber(srv, ch)
		if err != nil {
			return nil, fmt.Errorf("slow subscriber: %w", err)
		}
		defer slow.Close()
	}
	with := fanoutStep(srv, conns, pub, ch, rate, opt.fanWindow, pad)
	rssWith := procRSS(srv.pid)
	dropped := 0.0
	if slow != nil {
		_ = slow.SetReadDeadline(time.Now().Add(opt.fanWindow))
		if dropped, err = drainUntilClosed(slow); err != nil {
			return nil, err
		}
	}
	ratio := with["p99_ms"] / max(base["p99_ms"], 0.001)
	return metrics{
		"p99_ms_alone":             base["p99_ms"],
		"p99_ms_with_slow":         with["p99_ms"],
		"p99_ratio":                ratio,
		"loss_with_slow":           with["loss"],
		"rss_growth_mib":           float64(rssWith-rssBase) / (1 << 20),
		"slow_dropped":             dropped,
		"gen_cpu_pct":              with["gen_cpu_pct"],
		"server_cpu_pct":           base["server_cpu_pct"],
		"server_cpu_pct_with_slow": with["server_cpu_pct"],
	}, nil
}

// slowSubscriber connects, subscribes to ch, and then never reads again.
func slowSubscriber(srv *server, ch string) (net.Conn, error) {
	// A small receive buffer, set before connecting so that the TCP window
	// stays small, makes the server (not the kernel) hold what the client
	// does not read.
	d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			rcv := 4096
			if v, err := strconv.Atoi(os.Getenv("SLOWPEER_RCVBUF")); err == nil {
				rcv = v
			}
			if rcv > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcv)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", srv.addr)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(nc, "GET /connection/websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", srv.addr)
	br := bufio.NewReader(nc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			nc.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	cmds := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, makeToken("slowpeer"), ch)
	if _, err := nc.Write(maskedText([]byte(cmds))); err != nil {
		nc.Close()
		return nil, err
	}
	var seen []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(seen, []byte(`"id":2`)) {
		n, err := br.Read(buf)
		if err != nil {
			nc.Close()
			return nil, err
		}
		seen = append(seen, buf[:n]...)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, nil
}

// maskedText frames payload as a client text frame with a zero mask key.
func maskedText(p []byte) []byte {
	var hdr []byte
	switch {
	case len(p) < 126:
		hdr = []byte{0x81, 0x80 | byte(len(p))}
	case len(p) < 1<<16:
		hdr = []byte{0x81, 0x80 | 126, 0, 0}
		binary.BigEndian.PutUint16(hdr[2:], uint16(len(p)))
	default:
		hdr = make([]byte, 10)
		hdr[0], hdr[1] = 0x81, 0x80|127
		binary.BigEndian.PutUint64(hdr[2:], uint64(len(p)))
	}
	return append(append(hdr, 0, 0, 0, 0), p...)
}

// drainUntilClosed reads what the server still sends; it reports 1 when the
// server closed the connection (the slow client was dropped) before the
// deadline, 0 when it was still open.
func drainUntilClosed(nc net.Conn) (float64, error) {
	buf := make([]byte, 64<<10)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return 0, nil
		}
		return 1, nil
	}
}
