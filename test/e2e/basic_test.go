package e2e

import (
	"testing"

	"github.com/centrifugal/centrifuge-go"
)

func TestConnectSubscribePublish(t *testing.T) {
	ts := startServer(t, nil)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			c := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, "42")})
			connect(t, c)
			sub, pubs := subscribe(t, c, "chat:basic-"+string(p), centrifuge.SubscriptionConfig{})
			if _, err := sub.Publish(ctxT(t), []byte(`{"text":"hi"}`)); err != nil {
				t.Fatalf("publish: %v", err)
			}
			e := waitFor(t, pubs, "publication")
			if string(e.Data) != `{"text":"hi"}` {
				t.Fatalf("data = %s", e.Data)
			}
			if e.Info == nil || e.Info.User != "42" {
				t.Fatalf("info = %+v", e.Info)
			}
			pr, err := sub.Presence(ctxT(t))
			if err != nil {
				t.Fatalf("presence: %v", err)
			}
			if len(pr.Clients) != 1 {
				t.Fatalf("presence = %+v", pr.Clients)
			}
		})
	}
}
