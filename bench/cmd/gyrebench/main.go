// Command gyrebench runs the benchmark scenarios against the Gyre binary and
// the centrifuge-based reference server, alternating them (A B A B), with the
// server pinned to one core and this generator expected on the other, and
// prints one table with both servers, the ratio and the targets.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type options struct {
	gyreBin, refBin, outDir string
	taskset, serverCPU      string
	rounds                  int
	quick                   bool
	only                    map[string]bool
	settle                  time.Duration

	// pingInterval is both servers' ping interval; the idle window is one
	// such interval, once every connection has had its first ping.
	pingInterval time.Duration
	idleConns    int

	hsRate   float64
	hsWindow time.Duration

	fanSubs   int
	fanRate   float64
	fanWindow time.Duration
	rampRates []float64
	rampStep  time.Duration

	bigSubs int
	bigPubs int

	chConns  int
	chRate   float64
	chWindow time.Duration

	churnPool   int
	churnRate   float64
	churnWindow time.Duration

	chatRooms, chatRoomSize int
	chatRate                float64
	chatWindow              time.Duration
}

func quickOptions() options {
	return options{
		rounds: 2, settle: time.Second,
		pingInterval: 5 * time.Second, idleConns: 1000,
		hsRate: 200, hsWindow: 4 * time.Second,
		fanSubs: 1000, fanRate: 50, fanWindow: 4 * time.Second,
		rampRates: []float64{25, 50, 100, 150, 200, 300, 400, 600}, rampStep: 2 * time.Second,
	}
}

func fullOptions() options {
	return options{
		rounds: 2, settle: 2 * time.Second,
		pingInterval: 25 * time.Second, idleConns: 10000,
		hsRate: 500, hsWindow: 8 * time.Second,
		fanSubs: 1000, fanRate: 50, fanWindow: 8 * time.Second,
		rampRates: []float64{25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800}, rampStep: 3 * time.Second,
		bigSubs: 10000, bigPubs: 5,
		chConns: 5000, chRate: 1000, chWindow: 8 * time.Second,
		churnPool: 2000, churnRate: 200, churnWindow: 8 * time.Second,
		chatRooms: 100, chatRoomSize: 10, chatRate: 1000, chatWindow: 8 * time.Second,
	}
}

type scenario struct {
	name string
	run  func(*server, *options) (metrics, error)
}

func (o *options) scenarios() []scenario {
	s := []scenario{
		{"idle", scenIdle},
		{"handshake", scenHandshake},
		{"fanout", scenFanout(false)},
		{"channels", scenChannels},
	}
	if o.quick {
		o.chConns, o.chRate, o.chWindow = 1000, 500, 4*time.Second
		return filter(s, o.only)
	}
	s = append(s,
		scenario{"fanout10k", scenFanoutBig},
		scenario{"fanout_pb", scenFanout(true)},
		scenario{"churn", scenChurn},
		scenario{"chat", scenChat},
		scenario{"slowpeer", scenSlowPeer},
	)
	return filter(s, o.only)
}

func filter(s []scenario, only map[string]bool) []scenario {
	if len(only) == 0 {
		return s
	}
	var out []scenario
	for _, x := range s {
		if only[x.name] {
			out = append(out, x)
		}
	}
	return out
}

var logw io.Writer = os.Stderr

func logf(format string, a ...any) { fmt.Fprintf(logw, format+"\n", a...) }

// results[scenario][kind] = one metrics per round
type results map[string]map[serverKind][]metrics

func main() {
	quick := flag.Bool("quick", false, "small N, short windows")
	gyre := flag.String("gyre", "bench/bin/gyre", "Gyre binary")
	ref := flag.String("ref", "bench/bin/reference", "reference binary")
	out := flag.String("out", "bench/results", "directory for configs, server logs and results")
	rounds := flag.Int("rounds", 0, "A B rounds per scenario (0: default for the mode)")
	only := flag.String("only", "", "comma-separated scenarios to run")
	cpu := flag.String("server-cpu", "0", "CPU list the servers are pinned to (taskset -c)")
	servers := flag.String("servers", "gyre,reference", "servers to run, in this order each round")
	flag.Parse()

	o := fullOptions()
	if *quick {
		o = quickOptions()
	}
	o.quick = *quick
	o.gyreBin, o.refBin, o.outDir, o.serverCPU = *gyre, *ref, *out, *cpu
	if *rounds > 0 {
		o.rounds = *rounds
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(s)] = true
		}
	}
	if p, err := exec.LookPath("taskset"); err == nil {
		o.taskset = p
	} else {
		logf("warning: taskset (util-linux) not found: servers are not pinned")
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		fatal(err)
	}
	raiseNoFile()
	logf("gyrebench: mode=%s rounds=%d GOMAXPROCS=%d nofile=%d server cpu=%s", mode(o.quick), o.rounds, runtime.GOMAXPROCS(0), noFileLimit(), o.serverCPU)

	if o.only["crossnode"] { // two Gyre nodes on Redis/NATS, see crossnode.go
		runCrossNode(&o)
		return
	}
	if o.only["soak"] { // Gyre only, its own report (soak.go, docs/reliability.md)
		if err := runSoak(&o); err != nil {
			fatal(err)
		}
		if delete(o.only, "soak"); len(o.only) == 0 {
			return
		}
	}

	start := time.Now()
	res := results{}
	for _, sc := range o.scenarios() {
		res[sc.name] = map[serverKind][]metrics{}
		for r := 0; r < o.rounds; r++ {
			var order []serverKind
			for _, k := range strings.Split(*servers, ",") {
				order = append(order, serverKind(strings.TrimSpace(k)))
			}
			for _, k := range order {
				t0 := time.Now()
				srv, err := startServer(k, &o)
				if err != nil {
					fatal(err)
				}
				m, err := sc.run(srv, &o)
				srv.stop()
				if m != nil {
					m["others_cpu_pct"] = lastOthers
				}
				if err != nil {
					logf("  %-10s %-9s round %d: ERROR %v", sc.name, k, r+1, err)
					m = metrics{"failed": 1}
				} else {
					logf("  %-10s %-9s round %d (%4.1fs): %s", sc.name, k, r+1, time.Since(t0).Seconds(), brief(m))
				}
				res[sc.name][k] = append(res[sc.name][k], m)
			}
		}
	}
	table := renderTable(res, &o)
	fmt.Print(table)
	fmt.Printf("\ntotal %.0fs\n", time.Since(start).Seconds())
	_ = os.WriteFile(filepath.Join(o.outDir, "last-"+mode(o.quick)+".md"), []byte(table), 0o644)
	raw, _ := json.MarshalIndent(res, "", " ")
	_ = os.WriteFile(filepath.Join(o.outDir, "last-"+mode(o.quick)+".json"), raw, 0o644)
}

func mode(q bool) string {
	if q {
		return "quick"
	}
	return "full"
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gyrebench:", err)
	os.Exit(1)
}

func brief(m metrics) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s ", k, num(m[k]))
	}
	return b.String()
}

func num(v float64) string {
	switch a := math.Abs(v); {
	case v == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// row is one line of the report.
type row struct {
	scen, key, label string
	target           string
	check            func(g, r float64) bool // nil: informational
	sum              bool                    // add rounds up (errors, loss) instead of averaging
}

var rows = []row{
	{scen: "idle", key: "rss_kib_per_conn", label: "RSS per idle subscribed conn, KiB", target: "≤ 0.33×", check: ratioLE(0.33)},
	{scen: "idle", key: "idle_cpu_ms_s_per_1k", label: "idle CPU per 1k conns, ms/s", target: "≤ 0.5×", check: ratioLE(0.5)},
	{scen: "idle", key: "idle_cpu_us_per_ping", label: "idle: server CPU per ping+pong, µs"},
	{scen: "idle", key: "pings_per_conn", label: "idle: pings per connection in the window"},
	{scen: "handshake", key: "cpu_us_per_hs", label: "server CPU per connect+subscribe, µs", target: "≤ 0.5×", check: ratioLE(0.5)},
	{scen: "handshake", key: "hs_p99_ms", label: "handshake p99, ms"},
	{scen: "handshake", key: "errors", label: "handshake errors", sum: true},
	{scen: "fanout", key: "cpu_us_per_del", label: "fanout 1k: server CPU per delivery, µs", target: "≤ 0.6×", check: ratioLE(0.6)},
	{scen: "fanout", key: "delivered_per_s", label: "fanout 1k: delivered/s"},
	{scen: "fanout", key: "p50_ms", label: "fanout 1k: latency p50, ms"},
	{scen: "fanout", key: "p99_ms", label: "fanout 1k: latency p99, ms"},
	{scen: "fanout", key: "max_ms", label: "fanout 1k: latency max, ms"},
	{scen: "fanout", key: "loss", label: "fanout 1k: lost deliveries", sum: true},
	{scen: "fanout", key: "dups", label: "fanout 1k: duplicates", sum: true},
	{scen: "fanout", key: "ramp_max_rate", label: "fanout 1k: max pubs/s at p99<200ms, no loss", target: "≥ 2×", check: ratioGE(2)},
	{scen: "fanout", key: "ramp_gen_cpu_pct", label: "  generator CPU at that rate, %"},
	{scen: "fanout10k", key: "p99_ms", label: "fanout 10k: latency p99, ms", target: "Gyre < 200 ms", check: func(g, _ float64) bool { return g < 200 }},
	{scen: "fanout10k", key: "max_ms", label: "fanout 10k: latency max, ms"},
	{scen: "fanout10k", key: "cpu_us_per_del", label: "fanout 10k: server CPU per delivery, µs"},
	{scen: "fanout10k", key: "loss", label: "fanout 10k: lost deliveries", sum: true},
	{scen: "fanout_pb", key: "cpu_us_per_del", label: "fanout 1k Protobuf: server CPU per delivery, µs"},
	{scen: "fanout_pb", key: "p99_ms", label: "fanout 1k Protobuf: latency p99, ms"},
	{scen: "channels", key: "cpu_us_per_pub", label: "channels: server CPU per HTTP publish, µs", target: "≤ 0.33×", check: ratioLE(0.33)},
	{scen: "channels", key: "p50_ms", label: "channels: latency p50, ms"},
	{scen: "channels", key: "p99_ms", label: "channels: latency p99, ms"},
	{scen: "channels", key: "loss", label: "channels: lost deliveries", sum: true},
	{scen: "churn", key: "cpu_us_per_cycle", label: "churn: server CPU per disconnect+connect+subscribe, µs"},
	{scen: "churn", key: "errors", label: "churn: errors", sum: true},
	{scen: "chat", key: "cpu_us_per_del", label: "chat (rooms of 10, history): server CPU per delivery, µs"},
	{scen: "chat", key: "cpu_us_per_pub", label: "chat: server CPU per client publish, µs"},
	{scen: "chat", key: "p99_ms", label: "chat: latency p99, ms"},
	{scen: "chat", key: "loss", label: "chat: lost deliveries", sum: true},
	{scen: "slowpeer", key: "p99_ms_alone", label: "slow peer: fan-out 1k p99 without a slow subscriber, ms"},
	{scen: "slowpeer", key: "p99_ms_with_slow", label: "slow peer: p99 with one subscriber that never reads, ms"},
	{scen: "slowpeer", key: "p99_ratio", label: "slow peer: p99 with / without", target: "Gyre ≤ 1.2", check: func(g, _ float64) bool { return g <= 1.2 }},
	{scen: "slowpeer", key: "loss_with_slow", label: "slow peer: lost deliveries to the others", sum: true},
	{scen: "slowpeer", key: "rss_growth_mib", label: "slow peer: server RSS growth during the slow run, MiB"},
	{scen: "slowpeer", key: "slow_dropped", label: "slow peer: slow subscriber dropped (1 = yes)"},
}

func ratioLE(x float64) func(g, r float64) bool {
	return func(g, r float64) bool { return r > 0 && g/r <= x }
}

func ratioGE(x float64) func(g, r float64) bool {
	return func(g, r float64) bool { return r > 0 && g/r >= x }
}

func aggregate(ms []metrics, key string, sum bool) (float64, string, bool) {
	var vals []float64
	for _, m := range ms {
		if m["failed"] == 1 {
			continue
		}
		if v, ok := m[key]; ok {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return 0, "", false
	}
	t := 0.0
	parts := make([]string, len(vals))
	for i, v := range vals {
		t += v
		parts[i] = num(v)
	}
	if !sum {
		t /= float64(len(vals))
	}
	return t, strings.Join(parts, " / "), true
}

func renderTable(res results, o *options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| Metric | Gyre | Reference | Gyre/Ref | Target | Met |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		sr, ok := res[r.scen]
		if !ok {
			continue
		}
		g, gRuns, okG := aggregate(sr[kindGyre], r.key, r.sum)
		f, fRuns, okF := aggregate(sr[kindRef], r.key, r.sum)
		if !okG && !okF {
			continue
		}
		ratio := "–"
		if okG && okF && f != 0 {
			ratio = fmt.Sprintf("%.2f", g/f)
		}
		met := ""
		if r.check != nil {
			met = "no"
			if okG && okF && r.check(g, f) {
				met = "**yes**"
			}
		}
		cell := func(v float64, runs string, ok bool) string {
			if !ok {
				return "failed"
			}
			if strings.Contains(runs, "/") {
				return fmt.Sprintf("%s (%s)", num(v), runs)
			}
			return num(v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.label, cell(g, gRuns, okG), cell(f, fRuns, okF), ratio, r.target, met)
	}
	// generator load, so a saturated generator shows
	fmt.Fprintf(&b, "\nGenerator CPU (%% of its one core) per scenario, mean over runs — Gyre / reference:")
	for _, sc := range o.scenarios() {
		if sr, ok := res[sc.name]; ok {
			g, _, _ := aggregate(sr[kindGyre], "gen_cpu_pct", false)
			f, _, _ := aggregate(sr[kindRef], "gen_cpu_pct", false)
			fmt.Fprintf(&b, " %s %.0f/%.0f;", sc.name, g, f)
		}
	}
	b.WriteString("\nOther processes' CPU during the measured windows (% of one core, noise), mean Gyre / reference:")
	for _, sc := range o.scenarios() {
		if sr, ok := res[sc.name]; ok {
			g, _, _ := aggregate(sr[kindGyre], "others_cpu_pct", false)
			f, _, _ := aggregate(sr[kindRef], "others_cpu_pct", false)
			fmt.Fprintf(&b, " %s %.0f/%.0f;", sc.name, g, f)
		}
	}
	b.WriteString("\n")
	for name, sr := range res {
		for k, ms := range sr {
			for i, m := range ms {
				if m["gen_cpu_pct"] > 90 {
					fmt.Fprintf(&b, "WARNING: generator saturated (%.0f%% CPU) in %s/%s round %d: that run measures the generator\n", m["gen_cpu_pct"], name, k, i+1)
				}
			}
		}
	}
	return b.String()
}
