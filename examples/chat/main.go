// Command chat is a chat application on the Gyre bridge.
//
// Embedded mode (default): one process runs Gyre (memory engine) with the
// bridge in-process (proxies with endpoint "embedded"), and serves the web
// page and /login:
//
//	go run ./examples/chat            # from the repository root; needs `npm ci` in examples/chat once
//
// Split mode: Gyre runs as its own process and calls the bridge over gRPC,
// the way Centrifugo calls RoadRunner's centrifuge plugin:
//
//	bin/gyre --config examples/chat/gyre-split.json
//	go run ./examples/chat -split     # bridge on proxy_address from examples/chat/bridge.yaml
//
// See examples/chat/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/apiclient"
	"github.com/gyrehq/gyre/bridge/bridgegrpc"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

type options struct {
	addr         string
	webDir       string
	gyreConfig   string
	gyreAddr     string
	split        bool
	bridgeConfig string
	websocketURL string
	secret       string
	sessionTTL   time.Duration
	logLevel     string
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:3000", "address of the chat's HTTP server (page, /login, /config.json, /telemetry)")
	flag.StringVar(&o.webDir, "web", "examples/chat/web", "directory with the page (index.html, app.js, vendor/centrifuge.js)")
	flag.StringVar(&o.gyreConfig, "config", "examples/chat/gyre.json", "embedded mode: Gyre's config file")
	flag.StringVar(&o.gyreAddr, "gyre-addr", "", "embedded mode: Gyre's client address host:port, overriding http_server.address/port (port 0: any free port)")
	flag.BoolVar(&o.split, "split", false, "split mode: serve the bridge over gRPC for a separate Gyre process")
	flag.StringVar(&o.bridgeConfig, "bridge-config", "examples/chat/bridge.yaml", "split mode: bridge config (the seed's .rr.yaml centrifuge: section)")
	flag.StringVar(&o.websocketURL, "websocket-url", "ws://127.0.0.1:8000/connection/websocket", "split mode: Gyre's WebSocket URL as the page should use it")
	flag.StringVar(&o.secret, "secret", envOr("CHAT_SECRET", "gyre-chat-demo-secret"), "HMAC secret of the demo login tokens (env CHAT_SECRET)")
	flag.DurationVar(&o.sessionTTL, "session-ttl", 10*time.Minute, "connection lifetime before Gyre asks the Refresh service to extend it (0: never expires)")
	flag.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "chat: -log-level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, o options, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(o.webDir, "index.html")); err != nil {
		return fmt.Errorf("web directory %q: %w (run from the repository root or pass -web)", o.webDir, err)
	}
	if _, err := os.Stat(filepath.Join(o.webDir, "vendor", "centrifuge.js")); err != nil {
		log.Warn("vendor/centrifuge.js is missing: run `npm ci` in examples/chat", "web", o.webDir)
	}
	app := &App{
		tokens:     Tokens{secret: []byte(o.secret)},
		sessionTTL: o.sessionTTL,
		api:        &serverAPI{},
		log:        log,
		telemetry:  newTelemetry(log.With("component", "telemetry")),
		now:        time.Now,
	}
	b, err := app.newBridge()
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	backendDone := make(chan error, 1) // Gyre (embedded) or the bridge's gRPC server (split) ended
	var web pageConfig
	var banner string

	if o.split {
		stopBridge, err := startSplit(o, b, app, log, backendDone)
		if err != nil {
			return err
		}
		defer stopBridge()
		web.WebSocket = o.websocketURL
	} else {
		addr, apiKey, err := startEmbedded(ctx, o, b, app, log, backendDone)
		if err != nil {
			return err
		}
		web.WebSocketPort = addr.Port
		web.WebSocketPath = "/connection/websocket"
		banner = embeddedBanner(addr, apiKey, app.tokens)
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: webHandler(o.webDir, app, web), ReadHeaderTimeout: 5 * time.Second}
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Serve(ln) }()

	url := "http://" + ln.Addr().String() + "/"
	mode := "embedded Gyre, memory engine"
	if o.split {
		mode = "split: bridge over gRPC, Gyre at " + o.websocketURL
	}
	// The browser test reads the "Chat:" line.
	fmt.Printf("\n  Gyre chat (%s)\n  Chat: %s\n  Open it in two browser windows, log in with two names. Stop with Ctrl-C.\n%s\n", mode, url, banner)

	backendEnded := false
	select {
	case <-ctx.Done():
	case err = <-httpDone:
	case err = <-backendDone:
		backendEnded = true
		if err == nil {
			err = errors.New("backend stopped")
		}
	}
	cancel()
	shCtx, shCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer shCancel()
	_ = hs.Shutdown(shCtx)
	if !o.split && !backendEnded {
		// Gyre's graceful shutdown: clients get 3001 and reconnect elsewhere.
		select {
		case <-backendDone:
		case <-shCtx.Done():
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// startEmbedded builds Gyre from the config with the bridge in-process and
// runs it until ctx ends.
func startEmbedded(ctx context.Context, o options, b *bridge.Bridge, app *App, log *slog.Logger, done chan error) (*net.TCPAddr, string, error) {
	cfg, warnings, err := config.Load(o.gyreConfig, os.Environ())
	if err != nil {
		return nil, "", err
	}
	for _, w := range warnings {
		log.Warn("gyre config", "warning", w)
	}
	if o.gyreAddr != "" {
		host, port, err := net.SplitHostPort(o.gyreAddr)
		if err != nil {
			return nil, "", fmt.Errorf("-gyre-addr: %w", err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, "", fmt.Errorf("-gyre-addr: %w", err)
		}
		cfg.HTTPServer.Address, cfg.HTTPServer.Port = host, p
	}
	srv, err := server.New(cfg, server.Options{Logger: log.With("component", "gyre"), Bridge: b.ProxyServer()})
	if err != nil {
		return nil, "", err
	}
	app.api.node.Store(srv.Node())
	go func() { done <- srv.Run(ctx) }()
	listening := make(chan net.Addr, 1)
	go func() { listening <- srv.Addr() }() // Addr blocks until Run listens
	select {
	case a := <-listening:
		return a.(*net.TCPAddr), cfg.HTTPAPI.Key, nil
	case err := <-done:
		if err == nil {
			err = errors.New("gyre stopped")
		}
		return nil, "", fmt.Errorf("gyre: %w", err)
	}
}

// startSplit serves the bridge over gRPC on the config's proxy_address and
// talks to Gyre's gRPC server API at grpc_api_address.
func startSplit(o options, b *bridge.Bridge, app *App, log *slog.Logger, done chan<- error) (func(), error) {
	bc, err := bridge.LoadConfig(o.bridgeConfig)
	if err != nil {
		return nil, err
	}
	if err := bc.Validate(); err != nil {
		return nil, err
	}
	client, err := apiclient.FromConfig(bc)
	if err != nil {
		return nil, err
	}
	app.api.client = client
	gs, err := bridgegrpc.FromConfig(b, bc)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	ln, err := bridgegrpc.Listen(bc.ProxyAddress)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	log.Info("bridge listening (gRPC proxy)", "proxy_address", ln.Addr().String(), "grpc_api_address", bc.GRPCAPIAddress)
	go func() { done <- gs.Serve(ln) }()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gs.Shutdown(sctx)
		_ = client.Close()
	}, nil
}

// embeddedBanner tells how to use Gyre directly: any Centrifugo SDK with the
// demo connect data, and the HTTP API for publishing from a backend.
func embeddedBanner(addr *net.TCPAddr, apiKey string, tokens Tokens) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n  WebSocket endpoint:  ws://%s/connection/websocket\n", addr)
	fmt.Fprintf(&sb, "  Connection token for user \"demo-user\" (any Centrifugo SDK, sent as connect data):\n")
	fmt.Fprintf(&sb, "    new Centrifuge(url, {data: {authToken: '%s', name: 'demo-user'}})\n", tokens.Issue("demo-user"))
	if apiKey != "" {
		fmt.Fprintf(&sb, "  Publish into the lobby through the HTTP API:\n")
		fmt.Fprintf(&sb, "    curl -s -H 'X-API-Key: %s' -d '{\"channel\":\"chat:lobby\",\"data\":{\"text\":\"hello from curl\",\"user\":\"api\"}}' \\\n", apiKey)
		fmt.Fprintf(&sb, "      http://%s/api/publish\n", addr)
	}
	return sb.String()
}
