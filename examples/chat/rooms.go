package main

import (
	"context"
	"net/http"
	"time"

	"github.com/gyrehq/gyre/bridge"
)

// Room is one chat room; its channel is chat:<ID>.
type Room struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Topic  string `json:"topic"`
	Online int    `json:"online"`
}

var rooms = []Room{
	{ID: "lobby", Title: "lobby", Topic: "Say hello"},
	{ID: "gyre", Title: "gyre", Topic: "Gyre and Centrifugo talk"},
	{ID: "random", Title: "random", Topic: "Anything else"},
}

func roomByID(id string) (Room, bool) {
	for _, r := range rooms {
		if r.ID == id {
			return r, true
		}
	}
	return Room{}, false
}

// httpRoutes is the application's ordinary net/http router. The RPC service
// routes "verb:uri" methods to it (the seed's RPC → HTTP bridge), so the page's
// centrifuge.rpc("get:rooms", {}) becomes GET /rooms here.
func httpRoutes(api *serverAPI) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rooms", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		out := make([]Room, len(rooms))
		for i, room := range rooms {
			out[i] = room
			if n, err := api.OnlineUsers(ctx, "chat:"+room.ID); err == nil {
				out[i].Online = n
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"rooms": out})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		// The request context is the RPC handler's: the Auth interceptor's actor is in it.
		actor, ok := bridge.ActorAs[*Actor](r.Context())
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no actor"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"user": actor.Name})
	})
	return mux
}
