package e2e

import (
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre/config"
)

// TestAPIPublishReachesSubscribers: what the HTTP API publishes arrives at
// JSON and Protobuf subscribers, with offsets from the channel's stream.
func TestAPIPublishReachesSubscribers(t *testing.T) {
	ts := startServer(t, nil)
	const ch = "chat:api"
	var subs []<-chan centrifuge.PublicationEvent
	for _, p := range protocols {
		c := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, "u-"+string(p))})
		connect(t, c)
		_, pubs := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
		subs = append(subs, pubs)
	}
	for i := 1; i <= 3; i++ {
		res := apiCall(t, ts, "publish", map[string]any{"channel": ch, "data": map[string]any{"n": i}})
		r := res["result"].(map[string]any)
		if r["offset"].(float64) != float64(i) || r["epoch"] == "" {
			t.Fatalf("publish result = %v", r)
		}
	}
	for _, pubs := range subs {
		for i := 1; i <= 3; i++ {
			e := waitFor(t, pubs, "publication")
			if e.Offset != uint64(i) {
				t.Fatalf("offset = %d, want %d", e.Offset, i)
			}
		}
	}
}

// TestJoinLeave: a join_leave subscriber sees others join and leave, and
// presence lists both.
func TestJoinLeave(t *testing.T) {
	ts := startServer(t, nil)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			ch := "chat:jl-" + string(p)
			a := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, "alice")})
			connect(t, a)
			sub, err := a.NewSubscription(ch, centrifuge.SubscriptionConfig{JoinLeave: true})
			if err != nil {
				t.Fatal(err)
			}
			joins := make(chan centrifuge.JoinEvent, 10)
			leaves := make(chan centrifuge.LeaveEvent, 10)
			sub.OnJoin(feed[centrifuge.JoinEvent](t, joins))
			sub.OnLeave(feed[centrifuge.LeaveEvent](t, leaves))
			if err := sub.Subscribe(); err != nil {
				t.Fatal(err)
			}
			if e := waitFor(t, joins, "own join"); e.User != "alice" {
				t.Fatalf("join = %+v", e)
			}
			b := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, "bob")})
			connect(t, b)
			bsub, _ := subscribe(t, b, ch, centrifuge.SubscriptionConfig{})
			if e := waitFor(t, joins, "bob's join"); e.User != "bob" {
				t.Fatalf("join = %+v", e)
			}
			stats, err := sub.PresenceStats(ctxT(t))
			if err != nil || stats.NumClients != 2 || stats.NumUsers != 2 {
				t.Fatalf("presence stats = %+v, %v", stats, err)
			}
			if err := bsub.Unsubscribe(); err != nil {
				t.Fatal(err)
			}
			if e := waitFor(t, leaves, "bob's leave"); e.User != "bob" {
				t.Fatalf("leave = %+v", e)
			}
		})
	}
}

// TestServerSideSubscriptions: token channels and the personal channel are
// subscribed at connect; API subscribe/unsubscribe act on live connections.
func TestServerSideSubscriptions(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Client.SubscribeToUserPersonalChannel.Enabled = true
		cfg.Client.SubscribeToUserPersonalChannel.PersonalChannelNamespace = "chat"
	})
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			user := "srv-" + string(p)
			tok := token(t, map[string]any{"sub": user, "exp": time.Now().Add(time.Hour).Unix(), "channels": []string{"chat:news-" + string(p)}})
			c := newClient(t, ts, p, centrifuge.Config{Token: tok})
			subscribed := make(chan string, 10)
			unsubscribed := make(chan string, 10)
			pubs := make(chan centrifuge.ServerPublicationEvent, 10)
			onSub := feed(t, subscribed)
			c.OnSubscribed(func(e centrifuge.ServerSubscribedEvent) { onSub(e.Channel) })
			onUnsub := feed(t, unsubscribed)
			c.OnUnsubscribed(func(e centrifuge.ServerUnsubscribedEvent) { onUnsub(e.Channel) })
			c.OnPublication(feed[centrifuge.ServerPublicationEvent](t, pubs))
			connect(t, c)
			got := map[string]bool{}
			for range 2 {
				got[waitFor(t, subscribed, "server-side subscribe")] = true
			}
			if !got["chat:news-"+string(p)] || !got["chat:#"+user] {
				t.Fatalf("server-side subs = %v", got)
			}
			apiCall(t, ts, "publish", map[string]any{"channel": "chat:#" + user, "data": map[string]any{"personal": true}})
			if e := waitFor(t, pubs, "personal publication"); e.Channel != "chat:#"+user {
				t.Fatalf("publication on %q", e.Channel)
			}
			apiCall(t, ts, "subscribe", map[string]any{"channel": "chat:extra-" + string(p), "user": user})
			if ch := waitFor(t, subscribed, "API subscribe push"); ch != "chat:extra-"+string(p) {
				t.Fatalf("subscribed to %q", ch)
			}
			apiCall(t, ts, "publish", map[string]any{"channel": "chat:extra-" + string(p), "data": map[string]any{"x": 1}})
			if e := waitFor(t, pubs, "publication after API subscribe"); e.Channel != "chat:extra-"+string(p) {
				t.Fatalf("publication on %q", e.Channel)
			}
			apiCall(t, ts, "unsubscribe", map[string]any{"channel": "chat:extra-" + string(p), "user": user})
			if ch := waitFor(t, unsubscribed, "API unsubscribe push"); ch != "chat:extra-"+string(p) {
				t.Fatalf("unsubscribed from %q", ch)
			}
		})
	}
}

// TestTokenRefresh: a connection whose token expires asks for a new one and
// stays connected.
func TestTokenRefresh(t *testing.T) {
	ts := startServer(t, nil)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			refreshed := make(chan struct{}, 10)
			c := newClient(t, ts, p, centrifuge.Config{
				Token: token(t, map[string]any{"sub": "r", "exp": time.Now().Add(2 * time.Second).Unix()}),
				GetToken: func(centrifuge.ConnectionTokenEvent) (string, error) {
					refreshed <- struct{}{}
					return token(t, map[string]any{"sub": "r", "exp": time.Now().Add(time.Hour).Unix()}), nil
				},
			})
			disconnected := make(chan centrifuge.DisconnectedEvent, 1)
			c.OnDisconnected(feed[centrifuge.DisconnectedEvent](t, disconnected))
			connect(t, c)
			waitFor(t, refreshed, "token refresh")
			_, pubs := subscribe(t, c, "chat:refresh-"+string(p), centrifuge.SubscriptionConfig{})
			apiCall(t, ts, "publish", map[string]any{"channel": "chat:refresh-" + string(p), "data": map[string]any{}})
			waitFor(t, pubs, "publication after refresh")
			select {
			case e := <-disconnected:
				t.Fatalf("disconnected: %+v", e)
			default:
			}
		})
	}
}

// TestAPIDisconnect: API disconnect closes the user's connections with the
// given code; 3503 by default stops the client from reconnecting.
func TestAPIDisconnect(t *testing.T) {
	ts := startServer(t, nil)
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "gone")})
	disconnected := make(chan centrifuge.DisconnectedEvent, 1)
	c.OnDisconnected(feed[centrifuge.DisconnectedEvent](t, disconnected))
	connect(t, c)
	apiCall(t, ts, "disconnect", map[string]any{"user": "gone"})
	if e := waitFor(t, disconnected, "disconnect"); e.Code != 3503 {
		t.Fatalf("disconnect code = %d, want 3503", e.Code)
	}
}
