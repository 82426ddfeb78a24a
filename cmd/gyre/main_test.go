package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := run(ctx, args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if code, _, errs := runCmd(t, "genconfig", "-c", cfg); code != 0 {
		t.Fatalf("genconfig: %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "genconfig", "-c", cfg); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("genconfig over an existing file: %d %s", code, errs)
	}
	code, tok, errs := runCmd(t, "gentoken", "-c", cfg, "-u", "7", "-q")
	if code != 0 {
		t.Fatalf("gentoken: %s", errs)
	}
	tok = strings.TrimSpace(tok)
	code, subTok, _ := runCmd(t, "gensubtoken", "-c", cfg, "-u", "7", "-s", "$secret", "-q")
	if code != 0 {
		t.Fatal("gensubtoken failed")
	}
	subTok = strings.TrimSpace(subTok)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"channel":{"namespaces":[{"name":"x"}]},"client":{"channel_limit":-1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	yamlCfg := filepath.Join(dir, "config.yaml")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   string // substring
		stderr   string // substring
	}{
		{"version", []string{"version"}, 0, "gyre ", ""},
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"checkconfig valid", []string{"checkconfig", cfg}, 0, "is valid", ""},
		{"checkconfig invalid names keys", []string{"checkconfig", bad}, 1, "", "channel.namespaces[0].name"},
		{"checkconfig invalid limit", []string{"checkconfig", "-c", bad}, 1, "", "client.channel_limit"},
		{"checkconfig missing file", []string{"checkconfig", filepath.Join(dir, "nope.json")}, 1, "", "nope.json"},
		{"checktoken valid", []string{"checktoken", "-c", cfg, tok}, 0, `user "7"`, ""},
		{"checktoken garbage", []string{"checktoken", "-c", cfg, "not.a.token"}, 1, "", "not valid"},
		{"checktoken needs token", []string{"checktoken", "-c", cfg}, 2, "", "usage"},
		{"checksubtoken valid", []string{"checksubtoken", "-c", cfg, subTok}, 0, `channel "$secret"`, ""},
		{"checksubtoken with connection token", []string{"checksubtoken", "-c", cfg, tok}, 1, "", "not valid"},
		{"gensubtoken needs channel", []string{"gensubtoken", "-c", cfg, "-u", "1"}, 2, "", "--channel"},
		{"gentoken without secret", []string{"gentoken", "-c", filepath.Join(dir, "missing-default.json")}, 1, "", ""},
		{"genconfig yaml", []string{"genconfig", "-c", yamlCfg}, 0, "wrote", ""},
		{"checkconfig yaml", []string{"checkconfig", yamlCfg}, 0, "is valid", ""},
		{"serve invalid config exits 1", []string{"--config", bad}, 1, "", "invalid configuration"},
		{"bad flag", []string{"gentoken", "--nope"}, 2, "", "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errs)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Fatalf("stdout %q does not contain %q", out, tc.stdout)
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Fatalf("stderr %q does not contain %q", errs, tc.stderr)
			}
		})
	}
}

func TestTTLFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{"3600": time.Hour, "90m": 90 * time.Minute, "-1": -time.Second} {
		var f ttlFlag
		if err := f.Set(in); err != nil || f.d != want {
			t.Fatalf("Set(%q) = %v, %v; want %v", in, f.d, err, want)
		}
	}
	var f ttlFlag
	if err := f.Set("soon"); err == nil {
		t.Fatal("Set(soon) succeeded")
	}
}
