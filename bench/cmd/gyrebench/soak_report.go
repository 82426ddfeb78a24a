package main

// soak: a long run against Gyre only (docs/reliability.md). Steady
// connections, a fan-out channel, connection churn (close frames, abrupt TCP
// closes, resets, slow readers that stop reading) at fixed rates for
// -soak-duration; a sample of the server's resources every -soak-interval;
// then a quiet period and a report: baseline vs peak vs after the load, and a
// verdict. Every loop is bounded in count and time.

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (r *soakRun) report(s *sampler, base, after soakSample, loadWall time.Duration, fanWant, fanUniq, fanDups, steadyUniq int64,
	srvCodes map[string]float64, lates []int64) soakReport {
	var b strings.Builder
	peak := base
	for _, x := range s.samples {
		if x.Phase != "load" && x.Phase != "ramp" {
			continue
		}
		peak.RSSMiB = math.Max(peak.RSSMiB, x.RSSMiB)
		peak.HeapMiB = math.Max(peak.HeapMiB, x.HeapMiB)
		peak.Gor = math.Max(peak.Gor, x.Gor)
		peak.Threads = math.Max(peak.Threads, x.Threads)
		peak.FDs = math.Max(peak.FDs, x.FDs)
		peak.Clients = math.Max(peak.Clients, x.Clients)
		peak.Subs = math.Max(peak.Subs, x.Subs)
		peak.FanP99 = math.Max(peak.FanP99, x.FanP99)
		peak.FanMax = math.Max(peak.FanMax, x.FanMax)
		peak.SrvCPU = math.Max(peak.SrvCPU, x.SrvCPU)
	}
	fmt.Fprintf(&b, "\n## Soak: Gyre, %v of load, %v quiet, sample every %v\n\n", loadWall.Round(time.Second), *soakQuiet, *soakInterval)
	fmt.Fprintf(&b, "Load: %d steady connections (own channel each, %.0f pub/s to random ones), %d fan-out subscribers at %.0f pub/s,\n"+
		"churn %.0f connections/s living %v on average (1 in %d a slow reader on a %.0f × 32 KiB/s channel, stopping reading for %v).\n"+
		"Generator GOMAXPROCS %d.\n\n",
		*soakSteady, *soakTrickle, *soakFanSubs, *soakFanRate, *soakChurnRate, *soakChurnLife, *soakSlowEvery, *soakFeedRate, *soakSlowPause, runtime.GOMAXPROCS(0))

	b.WriteString("### Samples\n\n| t, s | phase | RSS MiB | heap in-use MiB | goroutines | threads | fds | clients | subs | server CPU % | gen CPU % | others CPU % | fan-out p99 ms | fan-out max ms | fan-out pending | server disconnects (cumulative) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range s.samples {
		fmt.Fprintf(&b, "| %.0f | %s | %.1f | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s | %s | %s | %s |\n",
			x.T, x.Phase, x.RSSMiB, optNum(x.HeapMiB, "%.1f"), optNum(x.Gor, "%.0f"), x.Threads, x.FDs, x.Clients, x.Subs, x.SrvCPU, x.GenCPU, x.Others,
			dash(x.Phase == "load", x.FanP99), dash(x.Phase == "load", x.FanMax), dash(x.Phase == "load", x.Pending), x.Discon)
	}

	b.WriteString("\n### Baseline / peak / after\n\n| Metric | Baseline | Peak (load) | After (end of quiet) |\n|---|---|---|---|\n")
	row := func(name, f string, a, p, c float64) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, optNum(a, f), optNum(p, f), optNum(c, f))
	}
	row("RSS, MiB", "%.1f", base.RSSMiB, peak.RSSMiB, after.RSSMiB)
	row("Go heap in use, MiB", "%.1f", base.HeapMiB, peak.HeapMiB, after.HeapMiB)
	row("goroutines (go_goroutines)", "%.0f", base.Gor, peak.Gor, after.Gor)
	row("OS threads", "%.0f", base.Threads, peak.Threads, after.Threads)
	row("open fds", "%.0f", base.FDs, peak.FDs, after.FDs)
	row("gyre_node_num_clients", "%.0f", base.Clients, peak.Clients, after.Clients)
	row("gyre_node_num_subscriptions", "%.0f", base.Subs, peak.Subs, after.Subs)
	fmt.Fprintf(&b, "| fan-out p99 / max, ms (worst 10 s window) | – | %.1f / %.1f | – |\n", peak.FanP99, peak.FanMax)

	r.mu.Lock()
	defer r.mu.Unlock()
	fanLoss := fanWant - fanUniq
	steadyLoss := r.steadySent.Load() - steadyUniq
	fmt.Fprintf(&b, "\n### Traffic and disconnects\n\n")
	fmt.Fprintf(&b, "- fan-out: %d publications × %d subscribers = %d expected, %d received, **loss %d**, duplicates %d\n",
		r.fanSent.Load(), len(r.fanConns), fanWant, fanUniq, fanLoss, fanDups)
	fmt.Fprintf(&b, "- steady channels: %d publications, %d received, **loss %d**\n", r.steadySent.Load(), steadyUniq, steadyLoss)
	fmt.Fprintf(&b, "- slow feed: %d publications of 32 KiB; churn: %d client publishes into %d chat rooms (history on), %d publication pushes received, %d publish errors\n",
		r.feedSent.Load(), r.churnPubs.Load(), soakRooms, r.churnRec.received.Load(), r.churnRec.pubErrors.Load())
	total := 0
	for _, v := range r.started {
		total += v
	}
	fmt.Fprintf(&b, "- churn connections: %d (close frame %d, FIN without close frame %d, RST %d, slow readers %d)\n",
		total, r.started["frame"], r.started["fin"], r.started["rst"], r.started["slow"])
	fmt.Fprintf(&b, "- slow readers: %d dropped by the server (what they saw: %s), %d not dropped within pause + 10 s\n",
		r.slowDrop, fmtIntCodes(r.slowCodes), r.slowStuck)
	fmt.Fprintf(&b, "- server-counted disconnects (gyre_client_num_server_disconnects): %s\n", fmtCodes(srvCodes))
	unexp := 0
	var ul []string
	for kind, m := range r.unexpected {
		for code, n := range m {
			unexp += n
			ul = append(ul, fmt.Sprintf("%s/%s×%d", kind, code, n))
		}
	}
	sort.Strings(ul)
	fmt.Fprintf(&b, "- unexpected disconnects seen by the generator (connections it did not end): %d %s\n", unexp, strings.Join(ul, " "))
	errTotal := 0
	var el []string
	for k, v := range r.errors {
		errTotal += v
		el = append(el, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(el)
	fmt.Fprintf(&b, "- generator errors: %d %s; late pacing (>50 ms) per stream: fan-out %d, steady %d, feed %d, churn %d\n",
		errTotal, strings.Join(el, " "), lates[0], lates[1], lates[2], lates[3])

	// verdict
	type check struct {
		name string
		ok   bool
		info string
	}
	rssBound := 16 + 0.25*(peak.RSSMiB-base.RSSMiB)
	var cs []check
	if s.runtime {
		cs = append(cs, check{"goroutines back to baseline (≤ +5)", after.Gor <= base.Gor+5, fmt.Sprintf("%.0f → %.0f → %.0f", base.Gor, peak.Gor, after.Gor)})
	} else {
		cs = append(cs, check{"no go_goroutines (Gyre exports no Go runtime metrics): threads not above peak and clients 0", after.Threads <= peak.Threads && after.Clients == 0,
			fmt.Sprintf("threads %.0f → %.0f → %.0f", base.Threads, peak.Threads, after.Threads)})
	}
	cs = append(cs,
		check{"open fds back to baseline (≤ +2)", after.FDs <= base.FDs+2, fmt.Sprintf("%.0f → %.0f → %.0f", base.FDs, peak.FDs, after.FDs)},
		check{"clients and subscriptions back to 0", after.Clients == 0 && after.Subs == 0, fmt.Sprintf("%.0f/%.0f", after.Clients, after.Subs)},
		check{"RSS within baseline + 16 MiB + 25% of the load's growth", after.RSSMiB <= base.RSSMiB+rssBound,
			fmt.Sprintf("%.1f → %.1f → %.1f MiB (bound %.1f)", base.RSSMiB, peak.RSSMiB, after.RSSMiB, base.RSSMiB+rssBound)},
	)
	if after.HeapMiB >= 0 {
		cs = append(cs, check{"Go heap in use within baseline + 8 MiB", after.HeapMiB <= base.HeapMiB+8,
			fmt.Sprintf("%.1f → %.1f → %.1f MiB", base.HeapMiB, peak.HeapMiB, after.HeapMiB)})
	}
	cs = append(cs,
		check{"no unexpected disconnects", unexp == 0, strconv.Itoa(unexp)},
		check{"every slow reader dropped by the server", r.slowStuck == 0 && r.slowDrop == r.started["slow"], fmt.Sprintf("%d of %d", r.slowDrop, r.started["slow"])},
		check{"server disconnect codes: only 3008, one per slow reader", len(srvCodes) <= 1 && srvCodes["3008"] == float64(r.started["slow"]), fmtCodes(srvCodes)},
		check{"no loss, no duplicates on the fan-out channel", fanLoss == 0 && fanDups == 0, fmt.Sprintf("loss %d dups %d", fanLoss, fanDups)},
		check{"no loss on steady channels", steadyLoss == 0, strconv.FormatInt(steadyLoss, 10)},
		check{"no generator errors", errTotal == 0, strconv.Itoa(errTotal)},
	)
	b.WriteString("\n### Verdict\n\n| Check | Result | Observed |\n|---|---|---|\n")
	pass := true
	for _, c := range cs {
		res := "pass"
		if !c.ok {
			res, pass = "**FAIL**", false
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.name, res, c.info)
	}
	if pass {
		b.WriteString("\nVerdict: **PASS**\n")
	} else {
		b.WriteString("\nVerdict: **FAIL**\n")
	}
	return soakReport{text: b.String(), pass: pass, summary: map[string]any{
		"baseline": base, "peak": peak, "after": after, "fanout_loss": fanLoss, "fanout_dups": fanDups,
		"steady_loss": steadyLoss, "unexpected": r.unexpected, "errors": r.errors, "started": r.started,
		"slow_dropped": r.slowDrop, "slow_stuck": r.slowStuck, "slow_codes": r.slowCodes,
		"server_disconnects": srvCodes, "pass": pass, "go_runtime_metrics": s.runtime,
	}}
}

func optNum(v float64, f string) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf(f, v)
}

func dash(show bool, v float64) string {
	if !show {
		return "–"
	}
	return num(v)
}

func fmtIntCodes(m map[string]int) string {
	f := map[string]float64{}
	for k, v := range m {
		f[k] = float64(v)
	}
	return fmtCodes(f)
}
