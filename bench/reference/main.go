// Command reference is the minimal server Gyre is benchmarked against: the
// centrifuge library (what Centrifugo v6 is built on) with the memory engine,
// HS256 connection tokens, WebSocket at /connection/websocket and an HTTP
// /api/publish endpoint of Centrifugo's JSON shape. It has the same settings as
// the config the benchmark generates for Gyre (see bench/cmd/gyrebench):
//
//	namespace "bench": allow_subscribe_for_client, no history
//	namespace "chat": allow_subscribe_for_client, allow_publish_for_subscriber,
//	                  history_size 100, history_ttl 300s
//	ping 25s (-ping), pong timeout 8s, client queue 1 MiB (library defaults otherwise).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/centrifugal/centrifuge"
)

const (
	chatHistorySize = 100
	chatHistoryTTL  = 300 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "listen address")
	secret := flag.String("secret", "", "HMAC secret for HS256 connection tokens")
	apiKey := flag.String("apikey", "", "X-API-Key for /api/publish")
	ping := flag.Duration("ping", 25*time.Second, "server ping interval (the benchmark's quick mode shortens it)")
	pong := flag.Duration("pong", 8*time.Second, "pong timeout")
	flag.Parse()
	if *secret == "" || *apiKey == "" {
		log.Fatal("-secret and -apikey are required")
	}

	node, err := centrifuge.New(centrifuge.Config{
		LogLevel:           centrifuge.LogLevelError,
		LogHandler:         func(e centrifuge.LogEntry) { log.Printf("%s: %v", e.Message, e.Fields) },
		ClientQueueMaxSize: 1 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	key := []byte(*secret)
	node.OnConnecting(func(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		if e.Token == "" {
			return centrifuge.ConnectReply{}, centrifuge.DisconnectBadRequest
		}
		sub, exp, err := verifyHS256(e.Token, key)
		if err != nil {
			return centrifuge.ConnectReply{}, centrifuge.DisconnectInvalidToken
		}
		if exp > 0 && exp < time.Now().Unix() {
			return centrifuge.ConnectReply{}, centrifuge.ErrorTokenExpired
		}
		return centrifuge.ConnectReply{
			Credentials:       &centrifuge.Credentials{UserID: sub, ExpireAt: exp},
			ClientSideRefresh: true,
		}, nil
	})
	node.OnConnect(func(c *centrifuge.Client) {
		c.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
			switch namespace(e.Channel) {
			case "bench", "chat":
				if c.UserID() == "" {
					cb(centrifuge.SubscribeReply{}, centrifuge.ErrorPermissionDenied)
					return
				}
				cb(centrifuge.SubscribeReply{}, nil)
			default:
				cb(centrifuge.SubscribeReply{}, centrifuge.ErrorUnknownChannel)
			}
		})
		c.OnPublish(func(e centrifuge.PublishEvent, cb centrifuge.PublishCallback) {
			if namespace(e.Channel) != "chat" || !c.IsSubscribed(e.Channel) {
				cb(centrifuge.PublishReply{}, centrifuge.ErrorPermissionDenied)
				return
			}
			cb(centrifuge.PublishReply{Options: centrifuge.PublishOptions{
				HistorySize: chatHistorySize, HistoryTTL: chatHistoryTTL,
			}}, nil)
		})
	})
	if err := node.Run(); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/connection/websocket", centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		// Like Gyre with an empty client.allowed_origins: only requests without Origin.
		CheckOrigin:    func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
		PingPongConfig: centrifuge.PingPongConfig{PingInterval: *ping, PongTimeout: *pong},
	}))
	mux.HandleFunc("/api/publish", publishHandler(node, *apiKey))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	_ = node.Shutdown(ctx)
}

func namespace(ch string) string {
	if i := strings.IndexByte(ch, ':'); i >= 0 {
		return ch[:i]
	}
	return ""
}

type publishRequest struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// publishHandler is Centrifugo's POST /api/publish: X-API-Key auth, JSON body
// {"channel":..,"data":..}, reply {"result":{}} (offset/epoch when history is on).
func publishHandler(node *centrifuge.Node, apiKey string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("X-API-Key") != apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var req publishRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if req.Channel == "" {
			_, _ = w.Write([]byte(`{"error":{"code":107,"message":"bad request"}}`))
			return
		}
		var opts []centrifuge.PublishOption
		switch namespace(req.Channel) {
		case "bench":
		case "chat":
			opts = append(opts, centrifuge.WithHistory(chatHistorySize, chatHistoryTTL))
		default:
			_, _ = w.Write([]byte(`{"error":{"code":102,"message":"unknown channel"}}`))
			return
		}
		res, err := node.Publish(req.Channel, req.Data, opts...)
		if err != nil {
			_, _ = w.Write([]byte(`{"error":{"code":100,"message":"internal server error"}}`))
			return
		}
		if res.Offset == 0 {
			_, _ = w.Write([]byte(`{"result":{}}`))
			return
		}
		out, _ := json.Marshal(map[string]any{"result": map[string]any{"offset": res.Offset, "epoch": res.Epoch}})
		_, _ = w.Write(out)
	}
}

type claims struct {
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
}

var errToken = errors.New("invalid token")

// verifyHS256 checks an HS256 JWT and returns its sub and exp claims.
func verifyHS256(token string, key []byte) (string, int64, error) {
	i := strings.IndexByte(token, '.')
	j := strings.LastIndexByte(token, '.')
	if i < 0 || j <= i {
		return "", 0, errToken
	}
	hdr, err := base64.RawURLEncoding.DecodeString(token[:i])
	if err != nil {
		return "", 0, errToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hdr, &h) != nil || h.Alg != "HS256" {
		return "", 0, errToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[j+1:])
	if err != nil {
		return "", 0, errToken
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(token[:j]))
	if !hmac.Equal(m.Sum(nil), sig) {
		return "", 0, errToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(token[i+1 : j])
	if err != nil {
		return "", 0, errToken
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", 0, errToken
	}
	return c.Sub, c.Exp, nil
}
