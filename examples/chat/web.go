package main

import (
	"net/http"
)

// pageConfig is GET /config.json: where the page finds Gyre's WebSocket
// endpoint. Embedded mode gives the port and path (the page uses its own
// host name, so both localhost and 127.0.0.1 work); split mode a full URL.
type pageConfig struct {
	WebSocket     string `json:"websocket,omitempty"`
	WebSocketPort int    `json:"websocket_port,omitempty"`
	WebSocketPath string `json:"websocket_path,omitempty"`
}

// webHandler serves the page (static files from dir), POST /login,
// GET /config.json and GET /telemetry (the Telemetry interceptor's counts).
func webHandler(dir string, app *App, page pageConfig) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", app.tokens.loginHandler)
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("GET /telemetry", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, app.telemetry.snapshot())
	})
	static := http.FileServer(http.Dir(dir))
	mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Always revalidate: the page is edited while the demo runs.
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	}))
	return mux
}
