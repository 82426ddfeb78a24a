package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

// configFlag registers -c and --config on fs.
func configFlag(fs *flag.FlagSet) *string {
	p := fs.String("config", "config.json", "config file (JSON, YAML or TOML)")
	fs.StringVar(p, "c", "config.json", "shorthand for --config")
	return p
}

// loadConfig loads and validates a config; a missing default config.json
// means defaults plus environment.
func loadConfig(env *runEnv, path string, explicit bool) (*config.Config, error) {
	if !explicit {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			path = ""
		}
	}
	cfg, warnings, err := config.Load(path, env.environ)
	if err != nil {
		return nil, &exitError{code: 1, err: err}
	}
	for _, w := range warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w.String())
	}
	if err := cfg.Validate(); err != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, nil
}

func flagSet(name string, env *runEnv) *flag.FlagSet {
	fs := flag.NewFlagSet("gyre "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

func explicitlySet(fs *flag.FlagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = true
			}
		}
	})
	return set
}

func runServe(ctx context.Context, env *runEnv, args []string) error {
	fs := flagSet("serve", env)
	path := configFlag(fs)
	port := fs.Int("port", 0, "override http_server.port")
	fs.IntVar(port, "p", 0, "shorthand for --port")
	level := fs.String("log.level", "", "override log.level")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	cfg, err := loadConfig(env, *path, explicitlySet(fs, "config", "c"))
	if err != nil {
		return err
	}
	if *port != 0 {
		cfg.HTTPServer.Port = *port
	}
	if *level != "" {
		cfg.Log.Level = *level
	}
	logger, closeLog, err := newLogger(cfg, env.stderr)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer closeLog()
	if cfg.PIDFile != "" {
		if err := os.WriteFile(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("pid_file: %w", err)}
		}
		defer os.Remove(cfg.PIDFile)
	}
	srv, err := server.New(cfg, server.Options{Logger: logger})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	return srv.Run(ctx)
}

// newLogger builds the slog logger from log.level and log.file.
func newLogger(cfg *config.Config, stderr io.Writer) (*slog.Logger, func(), error) {
	var lvl slog.Level
	switch strings.ToLower(cfg.Log.Level) {
	case "none":
		return slog.New(slog.DiscardHandler), func() {}, nil
	case "trace", "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	out, closeFn := stderr, func() {}
	if cfg.Log.File != "" {
		f, err := os.OpenFile(cfg.Log.File, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("log.file: %w", err)
		}
		out, closeFn = f, func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lvl})), closeFn, nil
}

func runVersion(_ context.Context, env *runEnv, _ []string) error {
	fmt.Fprintf(env.stdout, "gyre %s\n", server.Version)
	return nil
}
