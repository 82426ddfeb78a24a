package app

import (
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"strings"
)

// mountDebug serves Go's pprof profiles under prefix, for the holders of the
// HTTP API key only (or anyone with http_api.insecure).
func (a *App) mountDebug(mux *http.ServeMux) {
	prefix := "/" + strings.Trim(a.cfg.Debug.HandlerPrefix, "/")
	inner := http.NewServeMux()
	inner.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		// pprof.Index serves named profiles from the path after /debug/pprof/.
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/debug/pprof/" + strings.TrimPrefix(r.URL.Path, prefix+"/")
		pprof.Index(w, r2)
	})
	inner.HandleFunc(prefix+"/cmdline", pprof.Cmdline)
	inner.HandleFunc(prefix+"/profile", pprof.Profile)
	inner.HandleFunc(prefix+"/symbol", pprof.Symbol)
	inner.HandleFunc(prefix+"/trace", pprof.Trace)
	key := []byte(a.cfg.HTTPAPI.Key)
	insecure := a.cfg.HTTPAPI.Insecure
	mux.Handle(prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !insecure {
			got := r.Header.Get("X-API-Key")
			if got == "" {
				if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "apikey ") {
					got = auth[7:]
				}
			}
			if len(key) == 0 || subtle.ConstantTimeCompare([]byte(got), key) != 1 {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
}
