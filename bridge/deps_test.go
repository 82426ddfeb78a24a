package bridge_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps enforces the module boundary: no package under bridge/ (test
// files excluded) may import github.com/gyrehq/gyre outside
// github.com/gyrehq/gyre/bridge, and only bridgetest may import testing.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module, own = "github.com/gyrehq/gyre", "github.com/gyrehq/gyre/bridge"
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 5 {
		t.Fatalf("go list listed only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		for _, d := range deps {
			if (d == module || strings.HasPrefix(d, module+"/")) && d != own && !strings.HasPrefix(d, own+"/") {
				t.Errorf("%s imports %s: the bridge must not depend on the server", pkg, d)
			}
			if (d == "testing" || d == "net/http/httptest") && pkg != own+"/bridgetest" {
				t.Errorf("%s imports %s outside bridgetest", pkg, d)
			}
		}
	}
}
