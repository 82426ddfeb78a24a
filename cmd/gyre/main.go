// Command gyre runs the Gyre real-time messaging server and its helper
// subcommands (genconfig, gentoken, gensubtoken, checktoken, checksubtoken,
// checkconfig, version). See `gyre help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *runEnv, args []string) error
}

// runEnv is what subcommands read and write instead of globals.
type runEnv struct {
	environ        []string
	stdout, stderr io.Writer
}

var commands = []command{
	{"serve", "run the server (the default when no subcommand is given)", runServe},
	{"genconfig", "write a minimal working config with fresh random secrets", runGenConfig},
	{"checkconfig", "validate a config file", runCheckConfig},
	{"gentoken", "print a connection JWT signed with client.token.hmac_secret_key", runGenToken},
	{"gensubtoken", "print a subscription JWT for a channel", runGenSubToken},
	{"checktoken", "verify a connection JWT against the config", runCheckToken},
	{"checksubtoken", "verify a subscription JWT against the config", runCheckSubToken},
	{"version", "print the version", runVersion},
}

// run is the testable main: it returns the process exit code.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	env := &runEnv{environ: environ, stdout: stdout, stderr: stderr}
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(ctx, env, args)
			if err == nil {
				return 0
			}
			fmt.Fprintf(stderr, "gyre %s: %v\n", name, err)
			var ee *exitError
			if errors.As(err, &ee) {
				return ee.code
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "gyre: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gyre [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gyre <command> -h' for a command's flags.")
}
