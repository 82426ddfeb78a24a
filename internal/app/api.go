package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/httpapi"
	"github.com/gyrehq/gyre/node"
)

// mountAPI serves the HTTP server API on mux.
func (a *App) mountAPI(mux *http.ServeMux) error {
	svc := a.service()
	prefix := "/" + strings.Trim(a.cfg.HTTPAPI.HandlerPrefix, "/")
	h := httpapi.NewHandler(svc, httpapi.Config{
		Key:                a.cfg.HTTPAPI.Key,
		Insecure:           a.cfg.HTTPAPI.Insecure,
		ErrorModeTransport: a.cfg.HTTPAPI.ErrorMode == "transport",
		MaxBodySize:        int64(a.cfg.HTTPAPI.MaxRequestBodySize),
		Prefix:             prefix,
		Observe: func(method string, code uint32, d time.Duration) {
			a.metrics.ObserveAPI("http", method, code, d)
		},
		Logger: a.log,
	})
	if prefix == "/" {
		mux.Handle("/", h)
		return nil
	}
	mux.Handle(prefix, h)
	mux.Handle(prefix+"/", h)
	return nil
}

// nodeBackend adapts the engine to api.Backend.
type nodeBackend struct{ n *node.Node }

var _ api.Backend = nodeBackend{}

func (b nodeBackend) Publish(ctx context.Context, ch string, data []byte, o api.PublishOptions) (gyre.StreamPosition, error) {
	return b.n.Publish(ctx, node.PublishRequest{Channel: ch, Data: data, SkipHistory: o.SkipHistory, Tags: o.Tags, IdempotencyKey: o.IdempotencyKey})
}

func (b nodeBackend) Subscribe(ctx context.Context, ch string, o api.SubscribeOptions) error {
	return b.n.Subscribe(ctx, node.SubscribeRequest{
		Channel: ch, User: o.User, Client: o.Client, Session: o.Session, ExpireAt: o.ExpireAt,
		Info: o.Info, Data: o.Data, RecoverSince: o.RecoverSince, Override: o.Override,
	})
}

func (b nodeBackend) Unsubscribe(ctx context.Context, ch, user, client, _ string) error {
	return b.n.Unsubscribe(ctx, ch, user, client)
}

func (b nodeBackend) Disconnect(ctx context.Context, user string, d gyre.Disconnect, client, _ string, whitelist []string) error {
	return b.n.Disconnect(ctx, user, d, client, whitelist)
}

func (b nodeBackend) Refresh(ctx context.Context, user, client, _ string, expired bool, expireAt int64, info []byte) error {
	return b.n.Refresh(ctx, user, client, expired, expireAt, info)
}

func (b nodeBackend) Presence(ctx context.Context, ch string) (map[string]*gyre.ClientInfo, error) {
	return b.n.Presence(ctx, ch)
}

func (b nodeBackend) PresenceStats(ctx context.Context, ch string) (gyre.PresenceStats, error) {
	return b.n.PresenceStats(ctx, ch)
}

func (b nodeBackend) History(ctx context.Context, ch string, f gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
	return b.n.History(ctx, ch, f)
}

func (b nodeBackend) RemoveHistory(ctx context.Context, ch string) error {
	return b.n.RemoveHistory(ctx, ch)
}

func (b nodeBackend) Channels(ctx context.Context) (map[string]int, error) {
	return b.n.Channels(ctx), nil
}

func (b nodeBackend) Info(ctx context.Context) ([]api.NodeInfo, error) {
	nodes := b.n.Info(ctx)
	out := make([]api.NodeInfo, len(nodes))
	for i, ni := range nodes {
		out[i] = api.NodeInfo{
			UID: ni.UID, Name: ni.Name, Version: ni.Version,
			NumClients: ni.NumClients, NumUsers: ni.NumUsers, NumChannels: ni.NumChannels, NumSubs: ni.NumSubs,
			Uptime: ni.Uptime,
		}
	}
	return out, nil
}
