package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"go.uber.org/goleak"
	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/auth/jwt"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

const (
	testSecret = "e2e-secret-key-0123456789abcdef"
	testAPIKey = "e2e-api-key"
	// waitTimeout bounds every wait for an event.
	waitTimeout = 10 * time.Second
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// centrifuge-go runs its event handlers on a queue goroutine that
		// ends shortly after Close.
		goleak.IgnoreTopFunction("github.com/centrifugal/centrifuge-go.(*cbQueue).dispatch"),
		goleak.IgnoreTopFunction("github.com/centrifugal/centrifuge-go.(*Client).sendAsync.func1"),
	)
}

// testServer is a Gyre server running in-process on 127.0.0.1:0.
type testServer struct {
	srv    *server.Server
	url    string // ws URL
	apiURL string
	cancel context.CancelFunc
	done   chan error
}

// baseConfig is the config most tests start from.
func baseConfig() *config.Config {
	cfg := config.Default()
	cfg.HTTPServer.Address = "127.0.0.1"
	cfg.HTTPServer.Port = 0
	cfg.Client.Token.HMACSecretKey = testSecret
	cfg.HTTPAPI.Key = testAPIKey
	cfg.Log.Level = "none"
	cfg.Shutdown.Timeout = gyre.Duration(5 * time.Second)
	open := gyre.ChannelOptions{
		Presence: true, JoinLeave: true,
		AllowSubscribeForClient: true, AllowPublishForSubscriber: true, AllowPublishForClient: true,
		AllowPresenceForSubscriber: true, AllowHistoryForSubscriber: true,
		HistorySize: 100, HistoryTTL: gyre.Duration(5 * time.Minute),
	}
	cfg.Channel.Namespaces = []config.Namespace{
		{Name: "chat", ChannelOptions: open},
		{Name: "locked"},
	}
	return cfg
}

func startServer(t *testing.T, mutate func(*config.Config)) *testServer {
	t.Helper()
	return startServerWith(t, mutate, server.Options{})
}

func startServerWith(t *testing.T, mutate func(*config.Config), opts server.Options) *testServer {
	t.Helper()
	cfg := baseConfig()
	if mutate != nil {
		mutate(cfg)
	}
	srv, err := server.New(cfg, opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Run(ctx) }()
	addr := srv.Addr().String()
	ts.url = "ws://" + addr + "/connection/websocket"
	ts.apiURL = "http://" + srv.InternalAddr().String() + "/api"
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	ts.cancel()
	select {
	case <-ts.done:
	case <-time.After(waitTimeout):
		panic("server did not stop")
	}
}

func token(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.SignHMAC(testSecret, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func userToken(t *testing.T, user string) string {
	return token(t, map[string]any{"sub": user, "exp": time.Now().Add(time.Hour).Unix()})
}

type protoKind string

const (
	protoJSON     protoKind = "json"
	protoProtobuf protoKind = "protobuf"
)

var protocols = []protoKind{protoJSON, protoProtobuf}

func newClient(t *testing.T, ts *testServer, p protoKind, cfg centrifuge.Config) *centrifuge.Client {
	t.Helper()
	var c *centrifuge.Client
	if p == protoProtobuf {
		c = centrifuge.NewProtobufClient(ts.url, cfg)
	} else {
		c = centrifuge.NewJsonClient(ts.url, cfg)
	}
	t.Cleanup(c.Close)
	return c
}

// waitFor receives one value from ch or fails the test after waitTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func connect(t *testing.T, c *centrifuge.Client) {
	t.Helper()
	connected := make(chan struct{}, 1)
	c.OnConnected(func(centrifuge.ConnectedEvent) {
		select {
		case connected <- struct{}{}:
		default:
		}
	})
	if err := c.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitFor(t, connected, "connected")
}

func subscribe(t *testing.T, c *centrifuge.Client, ch string, cfg centrifuge.SubscriptionConfig) (*centrifuge.Subscription, <-chan centrifuge.PublicationEvent) {
	t.Helper()
	sub, err := c.NewSubscription(ch, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pubs := make(chan centrifuge.PublicationEvent, 1000)
	subscribed := make(chan centrifuge.SubscribedEvent, 1)
	sub.OnPublication(feed[centrifuge.PublicationEvent](t, pubs))
	sub.OnSubscribed(func(e centrifuge.SubscribedEvent) {
		select {
		case subscribed <- e:
		default:
		}
	})
	if err := sub.Subscribe(); err != nil {
		t.Fatalf("subscribe %s: %v", ch, err)
	}
	waitFor(t, subscribed, "subscribed to "+ch)
	return sub, pubs
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

var _ = fmt.Sprintf

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func metadataKey(ctx context.Context, v string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", v)
}

// feed returns a client event handler that sends each event to ch. The send
// gives up once the test is over: centrifuge-go runs handlers one at a time
// on a single queue, so one handler blocked on a full channel would stall
// every later event of that client (including the one its Close waits for)
// and hang the test binary instead of failing the test.
func feed[T any](t testing.TB, ch chan<- T) func(T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	return func(v T) {
		select {
		case ch <- v:
		case <-stop:
		}
	}
}
