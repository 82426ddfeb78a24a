// Package multinode runs several real gyre processes against shared Redis
// and NATS servers and checks, with the official centrifuge-go client, what
// docs/scaling.md promises about a cluster: delivery, ordering and offsets
// across nodes, presence and join/leave across nodes, recovery after a
// client moves to another node, a Redis restart under load, and graceful
// shutdown of one node.
//
// The package builds cmd/gyre once in TestMain and starts processes, so it
// is skipped entirely with -short. Redis and NATS are private
// redis-server / nats-server processes on free ports (internal/testservice);
// without the binaries the tests skip, or fail under GYRE_REQUIRE_SERVICES=1.
package multinode

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// gyreBin is the gyre binary built by TestMain ("" in -short mode).
var gyreBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "gyre-multinode-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		gyreBin = filepath.Join(dir, "gyre")
		out, err := exec.Command("go", "build", "-o", gyreBin, "github.com/gyrehq/gyre/cmd/gyre").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build ./cmd/gyre: %v\n%s", err, out)
			return 1
		}
	}
	code := m.Run()
	apiTransport.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(
			// centrifuge-go runs its event handlers on a queue goroutine
			// that ends shortly after Close.
			goleak.IgnoreTopFunction("github.com/centrifugal/centrifuge-go.(*cbQueue).dispatch"),
			goleak.IgnoreTopFunction("github.com/centrifugal/centrifuge-go.(*Client).sendAsync.func1"),
		); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			return 1
		}
	}
	return code
}

// needCluster skips the test in -short mode: every test here starts
// processes.
func needCluster(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("multinode: builds gyre and starts processes (not in -short)")
	}
	if gyreBin == "" {
		t.Fatal("gyre binary was not built")
	}
}
