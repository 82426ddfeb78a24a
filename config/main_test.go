package config

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// writeConfig writes content to a file called name in a fresh temporary
// directory and returns its path.
func writeConfig(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadString loads content as a file called name with the given environment
// and fails the test on error.
func loadString(t *testing.T, name, content string, env ...string) (*Config, []Warning) {
	t.Helper()
	cfg, warnings, err := Load(writeConfig(t, name, content), env)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return cfg, warnings
}
