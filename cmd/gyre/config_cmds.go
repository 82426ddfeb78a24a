package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gyrehq/gyre/config"
)

func runGenConfig(_ context.Context, env *runEnv, args []string) error {
	fset := flagSet("genconfig", env)
	path := configFlag(fset)
	if err := fset.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fset.NArg() > 0 {
		*path = fset.Arg(0)
	}
	format := strings.TrimPrefix(filepath.Ext(*path), ".")
	if format == "yml" {
		format = "yaml"
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("%s already exists; remove it or choose another file with -c", *path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	data, err := config.Generate(format)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*path, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", *path)
	return nil
}

func runCheckConfig(_ context.Context, env *runEnv, args []string) error {
	fset := flagSet("checkconfig", env)
	path := configFlag(fset)
	strict := fset.Bool("strict", false, "fail on unknown keys")
	fset.BoolVar(strict, "s", false, "shorthand for --strict")
	if err := fset.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fset.NArg() > 0 {
		*path = fset.Arg(0)
	}
	cfg, warnings, err := config.Load(*path, env.environ)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	for _, w := range warnings {
		fmt.Fprintf(env.stderr, "warning: %s\n", w.String())
	}
	if err := cfg.Validate(); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("invalid configuration:\n%w", err)}
	}
	if *strict && len(warnings) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d unknown key(s)", len(warnings))}
	}
	fmt.Fprintf(env.stdout, "%s is valid\n", *path)
	return nil
}
