package app

import "net/http"

// mountAPI serves the HTTP server API on mux.
func (a *App) mountAPI(mux *http.ServeMux) error {
	return nil
}
