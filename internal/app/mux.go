package app

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/transport/websocket"
)

// buildMux assembles the external (client) and internal (API, metrics,
// health) handlers. When internal_port is unset or equals port, everything
// is served by the external handler.
func (a *App) buildMux() error {
	cfg := a.cfg
	ext := http.NewServeMux()
	in := ext
	split := cfg.HTTPServer.InternalPort != 0 && (cfg.HTTPServer.InternalPort != cfg.HTTPServer.Port || cfg.HTTPServer.EffectiveInternalAddress() != cfg.HTTPServer.Address)
	if split {
		in = http.NewServeMux()
		a.internal = in
	}
	a.external = ext

	if !cfg.WebSocket.Disabled {
		wsh, err := websocket.New(a.node, websocket.Config{
			AllowedOrigins:               cfg.Client.AllowedOrigins,
			Compression:                  cfg.WebSocket.Compression,
			CompressionLevel:             cfg.WebSocket.CompressionLevel,
			CompressionMinSize:           cfg.WebSocket.CompressionMinSize,
			MessageSizeLimit:             int64(cfg.WebSocket.MessageSizeLimit),
			DecompressedMessageSizeLimit: int64(cfg.WebSocket.DecompressedMessageSizeLimit),
			WriteTimeout:                 cfg.WebSocket.WriteTimeout.D(),
			ReadMode:                     cfg.WebSocket.ReadMode,
			KeepHeaders:                  keptHeaders(cfg),
			Logger:                       a.log,
		})
		if err != nil {
			return err
		}
		ext.Handle(exact(cfg.WebSocket.HandlerPrefix), a.connLimit(wsh))
		a.waiters = append(a.waiters, wsh)
	}
	if !cfg.HTTPAPI.Disabled {
		target := in
		if cfg.HTTPAPI.External {
			target = ext
		}
		if err := a.mountAPI(target); err != nil {
			return err
		}
	}
	if cfg.Health.Enabled {
		in.HandleFunc(exact(cfg.Health.HandlerPrefix), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		})
	}
	if cfg.Debug.Enabled {
		a.mountDebug(in)
	}
	if cfg.Prometheus.Enabled {
		in.Handle(exact(cfg.Prometheus.HandlerPrefix), promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	}
	return nil
}

// exact turns a path prefix into an exact ServeMux pattern.
func exact(p string) string {
	p = "/" + strings.Trim(p, "/")
	if p == "/" {
		return "/{$}"
	}
	return p
}

// connLimit answers 503 before the upgrade when client.connection_limit or
// client.connection_rate_limit is exceeded.
func (a *App) connLimit(next http.Handler) http.Handler {
	limit := a.cfg.Client.ConnectionLimit
	rate := a.cfg.Client.ConnectionRateLimit
	if limit <= 0 && rate <= 0 {
		return next
	}
	var (
		mu     sync.Mutex
		tokens = float64(rate)
		last   = time.Now()
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limit > 0 && a.node.NumSessions() >= limit {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		if rate > 0 {
			mu.Lock()
			now := time.Now()
			tokens = min(float64(rate), tokens+now.Sub(last).Seconds()*float64(rate))
			last = now
			ok := tokens >= 1
			if ok {
				tokens--
			}
			mu.Unlock()
			if !ok {
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// keptHeaders lists the request headers sessions need later: the user ID
// header and every header a proxy forwards.
func keptHeaders(cfg *config.Config) []string {
	var out []string
	if cfg.Client.UserIDHTTPHeader != "" {
		out = append(out, cfg.Client.UserIDHTTPHeader)
	}
	for _, p := range allProxies(cfg) {
		out = append(out, p.HTTPHeaders...)
	}
	return out
}
