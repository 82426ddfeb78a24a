package main

// The crossnode scenario (-only crossnode) measures what a second node
// costs in latency: two Gyre processes, A and B, share a Redis engine (or
// a NATS broker with Redis presence); subscribers on A (cross-node) and on
// B (same node as the publisher) receive what B's HTTP API publishes. Both
// groups see the same publications, so the difference between their
// latencies is the price of the hop. It runs Gyre only (the reference
// server has no Redis) and prints its own table.

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var (
	crossRedis  = flag.String("crossnode.redis", "127.0.0.1:6379", "crossnode: Redis host:port (engine, or presence with -crossnode.nats)")
	crossNATS   = flag.String("crossnode.nats", "", "crossnode: NATS URL; when set, the NATS broker delivers and Redis keeps presence only")
	crossSubs   = flag.Int("crossnode.subs", 500, "crossnode: subscribers on each node")
	crossRate   = flag.Float64("crossnode.rate", 100, "crossnode: publications per second through B's API")
	crossWindow = flag.Duration("crossnode.window", 5*time.Second, "crossnode: measuring window of each step")
)

// crossNodeConfig is gyreConfig on port with the cluster engine.
func crossNodeConfig(port int, prefix string) ([]byte, error) {
	var cfg map[string]any
	if err := json.Unmarshal(gyreConfig(port, 25*time.Second), &cfg); err != nil {
		return nil, err
	}
	redis := map[string]any{"address": "redis://" + *crossRedis, "prefix": prefix}
	// Every round uses a fresh prefix: let its stream metas expire soon
	// instead of after the default 720h.
	cfg["channel"].(map[string]any)["history_meta_ttl"] = "600s"
	if *crossNATS == "" {
		cfg["engine"] = map[string]any{"type": "redis", "redis": redis}
	} else {
		cfg["broker"] = map[string]any{"enabled": true, "type": "nats",
			"nats": map[string]any{"url": *crossNATS, "prefix": prefix}}
		cfg["presence_manager"] = map[string]any{"enabled": true, "type": "redis", "redis": redis}
		// The NATS broker keeps no history: config validation rejects it.
		var ns []any
		for _, n := range cfg["channel"].(map[string]any)["namespaces"].([]any) {
			if _, hist := n.(map[string]any)["history_size"]; !hist {
				ns = append(ns, n)
			}
		}
		cfg["channel"].(map[string]any)["namespaces"] = ns
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// startCrossNode starts one Gyre node of the cluster (pinned like the
// single-node servers) and waits until it accepts connections.
func startCrossNode(name, prefix string, opt *options) (*server, error) {
	portSeq++
	port := portSeq
	addr := "127.0.0.1:" + strconv.Itoa(port)
	b, err := crossNodeConfig(port, prefix)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(opt.outDir, "gyre-crossnode-"+name+".json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return nil, err
	}
	args := []string{opt.gyreBin, "--config", cfgPath}
	if opt.taskset != "" {
		args = append([]string{opt.taskset, "-c", opt.serverCPU}, args...)
	}
	lf, err := os.OpenFile(filepath.Join(opt.outDir, "gyre-crossnode-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("node %s did not listen on %s: %v (log %s)", name, addr, err, lf.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCrossNode runs the crossnode scenario o.rounds times and prints a
// table of both subscriber groups per channel kind.
func runCrossNode(o *options) {
	engine := "redis engine " + *crossRedis
	if *crossNATS != "" {
		engine = "nats broker " + *crossNATS + " + redis presence " + *crossRedis
	}
	logf("crossnode: 2 nodes, %s, %d subscribers per node, %.0f/s for %v", engine, *crossSubs, *crossRate, *crossWindow)
	channels := []string{"bench:cross"}
	if *crossNATS == "" {
		channels = append(channels, "chat:cross") // with history: the Lua publish path
	}
	var rows []string
	for r := 0; r < o.rounds; r++ {
		for _, ch := range channels {
			m, err := crossNodeRound(o, ch, r)
			if err != nil {
				fatal(fmt.Errorf("crossnode %s round %d: %w", ch, r+1, err))
			}
			row := fmt.Sprintf("| %s | %d | %.0f | %.0f / %.0f | %.0f / %.0f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.0f / %.0f |",
				ch, r+1, m["publishes"], m["loss_a"], m["loss_b"], m["dups_a"], m["dups_b"],
				m["p50_a"], m["p50_b"], m["p99_a"], m["p99_b"], m["max_a"], m["max_b"], m["cpu_a"], m["cpu_b"])
			logf("  %s", row)
			rows = append(rows, row)
		}
	}
	table := "| channel | round | publishes | loss A / B | dups A / B | p50 ms A / B | p99 ms A / B | max ms A / B | node CPU % A / B |\n" +
		"|---|---|---|---|---|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n\n" +
		"A: subscribers on the other node than the publishing API (cross-node); B: on the publishing node.\n"
	fmt.Print(table)
	_ = os.WriteFile(filepath.Join(o.outDir, "last-crossnode.md"), []byte(table), 0o644)
}

func crossNodeRound(o *options, ch string, round int) (metrics, error) {
	prefix := fmt.Sprintf("gyrebench%d_%d", time.Now().UnixNano(), round)
	a, err := startCrossNode("A", prefix, o)
	if err != nil {
		return nil, err
	}
	defer a.stop()
	b, err := startCrossNode("B", prefix, o)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	n := *crossSubs
	connsA, err := connectMany(a, n, jsonOnly, func(int) string { return ch }, nil)
	if err != nil {
		return nil, fmt.Errorf("subscribers on A: %w", err)
	}
	defer closeAll(connsA)
	connsB, err := connectMany(b, n, jsonOnly, func(int) string { return ch }, nil)
	if err != nil {
		return nil, fmt.Errorf("subscribers on B: %w", err)
	}
	defer closeAll(connsB)
	pub := newPublisher(b, 16)
	defer pub.close()
	time.Sleep(o.settle)

	recA, recB := &recorder{}, &recorder{}
	setRecorder(connsA, recA)
	setRecorder(connsB, recB)
	total := max(int(*crossRate*crossWindow.Seconds()), 1)
	var seq atomic.Uint64
	mA, mB := startCPU(a.pid), startCPU(b.pid)
	errs, late := pace(*crossRate, total, 16, func(int) error {
		return pub.publish(ch, payload(seq.Add(1), 64))
	})
	sent := int64(total) - errs
	drain(recA, sent*int64(n), 5*time.Second)
	drain(recB, sent*int64(n), 5*time.Second)
	sA, _, w := mA.stop()
	sB, _, _ := mB.stop()
	loss := func(r *recorder) float64 { return float64(sent*int64(n) - (r.received.Load() - r.dups.Load())) }
	return metrics{
		"publishes": float64(sent), "pub_errors": float64(errs), "late": float64(late),
		"loss_a": loss(recA), "loss_b": loss(recB),
		"dups_a": float64(recA.dups.Load()), "dups_b": float64(recB.dups.Load()),
		"p50_a": recA.lat.quantile(0.5) / 1000, "p50_b": recB.lat.quantile(0.5) / 1000,
		"p99_a": recA.lat.quantile(0.99) / 1000, "p99_b": recB.lat.quantile(0.99) / 1000,
		"max_a": recA.lat.quantile(1) / 1000, "max_b": recB.lat.quantile(1) / 1000,
		"cpu_a": 100 * sA / w, "cpu_b": 100 * sB / w,
	}, nil
}
