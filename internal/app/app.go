// Package app is Gyre's composition root: it builds the node, broker,
// token verifier, transports, server API and HTTP servers from a
// config.Config, runs them, and shuts them down in order. It is the only
// package that wires concrete implementations together.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/gyrehq/gyre/internal/rawsock"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/auth/jwt"
	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/internal/metrics"
	"github.com/gyrehq/gyre/node"
)

// Options are what the caller provides beside the config.
type Options struct {
	// Logger; nil discards.
	Logger *slog.Logger
	// Version reported to clients and in info.
	Version string
	// Registry for Prometheus metrics; nil creates a fresh one.
	Registry *prometheus.Registry
	// Bridge serves proxies whose endpoint is "embedded", in process.
	Bridge proxypb.CentrifugoProxyServer
}

// App is a built, not yet running, Gyre server.
type App struct {
	cfg        *config.Config
	log        *slog.Logger
	node       *node.Node
	registry   *prometheus.Registry
	metrics    *metrics.Metrics
	external   http.Handler
	internal   http.Handler // nil when served on the external listener
	apiService *api.Service
	waiters    []interface{ Wait(context.Context) error }
	proxies    []anyProxy
	// engineExtra are engine parts the node does not own (closed at shutdown).
	engineExtra []gyre.Closer

	mu        sync.Mutex
	extAddr   net.Addr
	intAddr   net.Addr
	grpcAddr  net.Addr
	listening chan struct{}
}

// Build wires a server from cfg. cfg must be validated.
func Build(cfg *config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, fmt.Errorf("failed to register metrics: %w", err)
	}
	verifier, err := TokenVerifier(cfg)
	if err != nil {
		return nil, err
	}
	broker, presence, engineClosers, err := buildEngine(cfg, log)
	if err != nil {
		return nil, err
	}
	// The node closes its broker and presence manager at shutdown; the app
	// closes the rest (an engine half that broker/presence_manager replaced).
	var extra []gyre.Closer
	for _, c := range engineClosers {
		if c != gyre.Closer(nil) && !sameCloser(c, broker) && !sameCloser(c, presence) {
			extra = append(extra, c)
		}
	}
	ncfg := nodeConfig(cfg, log, opts.Version, verifier, broker, presence, m)
	ncfg.Distributed = cfg.Engine.Type == "redis" || (cfg.Broker.Enabled && cfg.Broker.Type != "memory")
	proxies, closers, err := buildProxies(cfg, opts.Bridge)
	if err != nil {
		closeEngine(engineClosers)
		return nil, err
	}
	ncfg.Proxies = proxies
	n, err := node.New(ncfg)
	if err != nil {
		closeAll(closers)
		closeEngine(engineClosers)
		return nil, err
	}
	if err := metrics.RegisterNodeGauges(reg, n); err != nil {
		return nil, fmt.Errorf("failed to register metrics: %w", err)
	}
	a := &App{cfg: cfg, log: log, node: n, registry: reg, metrics: m, listening: make(chan struct{}), proxies: closers, engineExtra: extra}
	if err := a.buildMux(); err != nil {
		return nil, err
	}
	return a, nil
}

// TokenVerifier builds the JWT verifier the config describes.
func TokenVerifier(cfg *config.Config) (gyre.TokenVerifier, error) {
	key := func(t config.Token) jwt.KeyConfig {
		return jwt.KeyConfig{
			HMACSecretKey:                   t.HMACSecretKey,
			HMACPreviousSecretKey:           t.HMACPreviousSecretKey,
			HMACPreviousSecretKeyValidUntil: t.HMACPreviousSecretKeyValidUntil,
			RSAPublicKey:                    t.RSAPublicKey,
			ECDSAPublicKey:                  t.ECDSAPublicKey,
			JWKSPublicEndpoint:              t.JWKSPublicEndpoint,
			Audience:                        t.Audience,
			AudienceRegex:                   t.AudienceRegex,
			Issuer:                          t.Issuer,
			IssuerRegex:                     t.IssuerRegex,
			UserIDClaim:                     t.UserIDClaim,
		}
	}
	jc := jwt.Config{Token: key(cfg.Client.Token), SkipSignatureVerify: cfg.Client.InsecureSkipTokenSignatureVerify, Leeway: time.Second}
	if cfg.Client.SubscriptionToken.Enabled {
		k := key(cfg.Client.SubscriptionToken.Token)
		jc.SubscriptionToken = &k
	}
	v, err := jwt.New(jc)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func nodeConfig(cfg *config.Config, log *slog.Logger, version string, v gyre.TokenVerifier, b gyre.Broker, p gyre.PresenceManager, m node.Metrics) node.Config {
	c := cfg.Client
	chLimit := c.ChannelLimit
	if chLimit == 0 {
		chLimit = math.MaxInt
	}
	nss := make(map[string]gyre.ChannelOptions, len(cfg.Channel.Namespaces))
	for _, ns := range cfg.Channel.Namespaces {
		nss[ns.Name] = ns.ChannelOptions
	}
	name := cfg.Node.Name
	if name == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "gyre"
		}
		name = host + "_" + strconv.Itoa(cfg.HTTPServer.Port)
	}
	return node.Config{
		Name:          name,
		Version:       version,
		Broker:        b,
		Presence:      p,
		TokenVerifier: v,
		Logger:        log,
		Metrics:       m,
		Client: node.ClientConfig{
			Insecure:                          c.Insecure,
			AllowAnonymousConnectWithoutToken: c.AllowAnonymousConnectWithoutToken,
			DisallowAnonymousConnectionTokens: c.DisallowAnonymousConnectionTokens,
			PingInterval:                      c.PingInterval.D(),
			PongTimeout:                       c.PongTimeout.D(),
			ExpiredCloseDelay:                 c.ExpiredCloseDelay.D(),
			ExpiredSubCloseDelay:              c.ExpiredSubCloseDelay.D(),
			StaleCloseDelay:                   c.StaleCloseDelay.D(),
			ChannelLimit:                      chLimit,
			QueueMaxSize:                      c.QueueMaxSize,
			PresenceUpdateInterval:            c.PresenceUpdateInterval.D(),
			ChannelPositionCheckDelay:         c.ChannelPositionCheckDelay.D(),
			UserConnectionLimit:               c.UserConnectionLimit,
			UserIDHTTPHeader:                  c.UserIDHTTPHeader,
			CommandRateLimit:                  c.CommandRateLimit,
			CommandRateLimitBurst:             c.CommandRateLimitBurst,
			ConnectIncludeServerTime:          c.ConnectIncludeServerTime,
			HistoryMaxPublicationLimit:        c.HistoryMaxPublicationLimit,
			RecoveryMaxPublicationLimit:       c.RecoveryMaxPublicationLimit,
			PersonalChannel: node.PersonalChannelConfig{
				Enabled:          c.SubscribeToUserPersonalChannel.Enabled,
				Namespace:        c.SubscribeToUserPersonalChannel.PersonalChannelNamespace,
				SingleConnection: c.SubscribeToUserPersonalChannel.SingleConnection,
			},
		},
		Channels: node.ChannelConfig{
			WithoutNamespace:      cfg.Channel.WithoutNamespace,
			Namespaces:            nss,
			HistoryMetaTTL:        cfg.Channel.HistoryMetaTTL.D(),
			PublicationDataFormat: cfg.Channel.PublicationDataFormat,
			MaxLength:             cfg.Channel.MaxLength,
			PrivatePrefix:         cfg.Channel.PrivatePrefix,
			NamespaceBoundary:     cfg.Channel.NamespaceBoundary,
			UserBoundary:          cfg.Channel.UserBoundary,
			UserSeparator:         cfg.Channel.UserSeparator,
		},
		RPC: rpcConfig(cfg),
	}
}

// Node returns the engine.
func (a *App) Node() *node.Node { return a.node }

// Addr returns the external listener's address once Run is listening.
func (a *App) Addr() net.Addr {
	<-a.listening
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.extAddr
}

// InternalAddr returns the internal listener's address (the external one
// when both share a port) once Run is listening.
func (a *App) InternalAddr() net.Addr {
	<-a.listening
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.intAddr == nil {
		return a.extAddr
	}
	return a.intAddr
}

// Run listens and serves until ctx is cancelled, then shuts down within
// shutdown.timeout: listeners close first, then clients are disconnected
// with 3001, then the engine stops.
func (a *App) Run(ctx context.Context) error {
	hs := a.cfg.HTTPServer
	tlsCfg, err := hs.TLS.ServerConfig()
	if err != nil {
		return fmt.Errorf("http_server.tls: %w", err)
	}
	extLn, err := listen(hs.Address, hs.Port, tlsCfg)
	if err != nil {
		return fmt.Errorf("failed to listen on http_server.port: %w", err)
	}
	servers := []*http.Server{newHTTPServer(a.external)}
	lns := []net.Listener{extLn}
	a.mu.Lock()
	a.extAddr = extLn.Addr()
	a.mu.Unlock()
	if a.internal != nil {
		intLn, err := listen(hs.EffectiveInternalAddress(), hs.EffectiveInternalPort(), tlsCfg)
		if err != nil {
			_ = extLn.Close()
			return fmt.Errorf("failed to listen on http_server.internal_port: %w", err)
		}
		servers = append(servers, newHTTPServer(a.internal))
		lns = append(lns, intLn)
		a.mu.Lock()
		a.intAddr = intLn.Addr()
		a.mu.Unlock()
	}
	errc := make(chan error, len(servers)+1)
	stopGRPC, err := a.startGRPC(errc)
	if err != nil {
		for _, ln := range lns {
			_ = ln.Close()
		}
		return err
	}
	close(a.listening)
	a.log.Info("gyre is listening", "address", extLn.Addr().String(), "internal", a.InternalAddr().String())

	for i, srv := range servers {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	timeout := a.cfg.Shutdown.Timeout.D()
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	a.log.Info("shutting down", "timeout", timeout.String())
	stopGRPC(sctx)
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("failed to stop HTTP server: %w", err)
		}
	}
	if err := a.node.Shutdown(sctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("failed to shut down the node: %w", err)
	}
	for _, w := range a.waiters {
		if err := w.Wait(sctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("connections did not close in time: %w", err)
		}
	}
	closeAll(a.proxies)
	for _, c := range a.engineExtra {
		_ = c.Close(sctx)
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

func closeAll(ps []anyProxy) {
	for _, p := range ps {
		_ = p.Close()
	}
}

// listen opens a TCP listener, wrapped in TLS when tlsCfg is set.
func listen(addr string, port int, tlsCfg *tls.Config) (net.Listener, error) {
	// No TCP keep-alive probes: clients are pinged at the protocol level and
	// idle HTTP connections time out, and enabling them costs four
	// setsockopt calls per accepted connection.
	lc := net.ListenConfig{Control: listenControl, KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	// Connections read and write with raw non-blocking system calls
	// (internal/rawsock), under net/http and the WebSocket transport alike.
	ln = rawsock.Listener{Listener: ln}
	if tlsCfg == nil {
		return ln, nil
	}
	return tls.NewListener(ln, tlsCfg), nil
}

func sameCloser(c gyre.Closer, v any) bool {
	vc, ok := v.(gyre.Closer)
	return ok && vc == c
}

func closeEngine(cs []gyre.Closer) {
	for _, c := range cs {
		_ = c.Close(context.Background())
	}
}
