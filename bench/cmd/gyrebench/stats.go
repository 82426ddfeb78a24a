package main

import (
	"bytes"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// recorder collects what the subscribers of one measurement see.
type recorder struct {
	received  atomic.Int64
	dups      atomic.Int64
	pubErrors atomic.Int64
	lat       hist // microseconds, send time in the payload → receipt
}

// hist is a log-linear histogram of microseconds (~3% precision) with atomic
// counters: the generator runs on one P, so the atomics are uncontended.
type hist struct {
	b   [64 + 40*32]atomic.Uint32
	max atomic.Uint64
	n   atomic.Uint64
}

func histIndex(v uint64) int {
	if v < 64 {
		return int(v)
	}
	k := bits.Len64(v) - 1 // v in [2^k, 2^(k+1)), k >= 6
	if k > 45 {
		k = 45
	}
	return 64 + (k-6)*32 + int((v>>(k-5))&31)
}

func histLower(i int) uint64 {
	if i < 64 {
		return uint64(i)
	}
	k := (i-64)/32 + 6
	sub := uint64((i - 64) % 32)
	return (1 << k) + sub<<(k-5)
}

func (h *hist) add(v uint64) {
	h.b[histIndex(v)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// quantile returns the q-quantile in microseconds (upper edge of its bucket).
func (h *hist) quantile(q float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	target := uint64(q*float64(n) + 0.5)
	if target < 1 {
		target = 1
	}
	var acc uint64
	for i := range h.b {
		acc += uint64(h.b[i].Load())
		if acc >= target {
			if i+1 < len(h.b) {
				return float64(min(histLower(i+1), h.max.Load()))
			}
			return float64(h.max.Load())
		}
	}
	return float64(h.max.Load())
}

// procCPU returns utime+stime of a process in seconds (from /proc/<pid>/stat).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+2:])
	// after ")": state(3) ppid(4) ... utime is field 14, stime 15 (1-based in proc(5)).
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(string(f[11]), 10, 64)
	s, _ := strconv.ParseUint(string(f[12]), 10, 64)
	return float64(u+s) / clkTck
}

const clkTck = 100.0

// procCPUPrecise returns the summed run time of the process's live threads in
// seconds (/proc/<pid>/task/*/schedstat, nanoseconds): used for the idle window,
// where the CPU spent is below the 10 ms resolution of /proc/<pid>/stat.
func procCPUPrecise(pid int) float64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var ns uint64
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := bytes.Fields(b); len(f) > 0 {
			v, _ := strconv.ParseUint(string(f[0]), 10, 64)
			ns += v
		}
	}
	return float64(ns) / 1e9
} // sysconf(_SC_CLK_TCK) on Linux

// procRSS returns VmRSS in bytes.
func procRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("VmRSS:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+6:])
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return kb * 1024
}

// cpuMeter measures the CPU of the server and of this generator over a window.
type cpuMeter struct {
	pid              int
	t0               time.Time
	srv0, gen0, sys0 float64
}

func startCPU(pid int) cpuMeter {
	return cpuMeter{pid: pid, t0: time.Now(), srv0: procCPU(pid), gen0: procCPU(os.Getpid()), sys0: systemBusy()}
}

// lastOthers is the CPU (% of one core) that other processes used during the
// last measured window: the noise from whoever else shares the machine.
var lastOthers float64

// stop returns the server CPU seconds, generator CPU seconds and wall seconds.
func (m cpuMeter) stop() (srv, gen, wall float64) {
	srv, gen, wall = procCPU(m.pid)-m.srv0, procCPU(os.Getpid())-m.gen0, time.Since(m.t0).Seconds()
	lastOthers = max(0, 100*(systemBusy()-m.sys0-srv-gen)/wall)
	return srv, gen, wall
}

// systemBusy returns the busy CPU seconds of the whole machine (/proc/stat).
func systemBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	var t uint64
	for i, x := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		v, _ := strconv.ParseUint(string(x), 10, 64)
		t += v
	}
	return float64(t) / clkTck
}

func raiseNoFile() {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
		}
	}
}

func noFileLimit() uint64 {
	var rl syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	return rl.Cur
}
