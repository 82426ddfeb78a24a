package bridge_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

func TestProxyServerEmbedded(t *testing.T) {
	var seen *bridge.PublishRequest
	b, _ := bridge.New(bridge.OnPublish(func(ctx context.Context, req *bridge.PublishRequest) error {
		seen = req
		return req.Respond(bridge.PublishResult{Data: []byte{0xff, 0x00}, SkipHistory: true})
	}))
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("Authorization", "Bearer x"))
	resp, err := b.ProxyServer().Publish(ctx, &proxypb.PublishRequest{
		Client: "c", Transport: "websocket", Protocol: "protobuf", Encoding: "binary", User: "u", Channel: "ch",
		B64Data: base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), Meta: []byte(`{"m":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(seen.Data) != "\x01\x02\x03" || seen.Channel != "ch" || seen.User != "u" || seen.Encoding != "binary" ||
		string(seen.Meta) != `{"m":1}` || seen.Header("authorization") != "Bearer x" || seen.Protocol != "protobuf" {
		t.Fatalf("request = %+v", seen)
	}
	r := resp.GetResult()
	if r.GetB64Data() != base64.StdEncoding.EncodeToString([]byte{0xff, 0}) || r.GetData() != nil || !r.GetSkipHistory() {
		t.Fatalf("result = %v", r)
	}
	if _, err := b.ProxyServer().Publish(context.Background(), &proxypb.PublishRequest{B64Data: "%%%"}); err == nil {
		t.Fatal("invalid base64 accepted")
	}
	// Error and disconnect answers.
	b2, _ := bridge.New(
		bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error { return req.Disconnect(4403, "denied") }),
		bridge.OnSubscribe(func(ctx context.Context, req *bridge.SubscribeRequest) error {
			return req.Error(403, "permission denied", false)
		}),
	)
	cr, _ := b2.ProxyServer().Connect(context.Background(), &proxypb.ConnectRequest{Data: []byte(`{}`)})
	if cr.GetDisconnect().GetCode() != 4403 || cr.GetResult() != nil {
		t.Fatalf("connect = %v", cr)
	}
	sr, _ := b2.ProxyServer().Subscribe(context.Background(), &proxypb.SubscribeRequest{Channel: "x"})
	if sr.GetError().GetCode() != 403 || sr.GetResult() != nil {
		t.Fatalf("subscribe = %v", sr)
	}
}

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rr := `
rpc:
  listen: tcp://127.0.0.1:6001
centrifuge:
  proxy_address: "tcp://0.0.0.0:10001"
  grpc_api_address: "tcp://centrifugo:10000"
  use_compressor: true
  api_key: secret
  proxy_timeout: 5s
  name: roadrunner
  tls:
    key: ` + key + `
    cert: ` + cert + `
`
	c, err := bridge.ParseConfig([]byte(rr))
	if err != nil {
		t.Fatal(err)
	}
	if c.ProxyAddress != "tcp://0.0.0.0:10001" || c.GRPCAPIAddress != "tcp://centrifugo:10000" || !c.UseCompressor ||
		c.APIKey != "secret" || c.ProxyTimeout != 5*time.Second || c.APITimeout != bridge.DefaultAPITimeout || c.TLS.Key != key {
		t.Fatalf("config = %+v", c)
	}
	// JSON, the section itself.
	c, err = bridge.ParseConfig([]byte(`{"proxy_address":"unix:///tmp/x.sock","api_timeout":"2s"}`))
	if err != nil || c.ProxyAddress != "unix:///tmp/x.sock" || c.APITimeout != 2*time.Second || c.GRPCAPIAddress != bridge.DefaultGRPCAPIAddress {
		t.Fatalf("json config = %+v, %v", c, err)
	}
	for _, bad := range []string{
		`{"proxy_adress":"x:1"}`,
		`{"proxy_address":"http://x:1"}`,
		`{"tls":{"key":"/nonexistent"}}`,
		`{"proxy_timeout":"-1s"}`,
	} {
		if _, err := bridge.ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) succeeded", bad)
		}
	}
	f := filepath.Join(dir, ".rr.yaml")
	if err := os.WriteFile(f, []byte(rr), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bridge.LoadConfig(f); err != nil {
		t.Fatal(err)
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct{ in, network, addr string }{
		{"tcp://127.0.0.1:30000", "tcp", "127.0.0.1:30000"},
		{"127.0.0.1:30000", "tcp", "127.0.0.1:30000"},
		{":30000", "tcp", ":30000"},
		{"unix:///var/run/rr.sock", "unix", "/var/run/rr.sock"},
		{"grpc://x:1", "", ""},
		{"localhost", "", ""},
		{"unix://", "", ""},
	}
	for _, tt := range tests {
		n, a, err := bridge.ParseAddress(tt.in)
		if n != tt.network || a != tt.addr || (err == nil) != (tt.network != "") {
			t.Errorf("ParseAddress(%q) = %q, %q, %v", tt.in, n, a, err)
		}
		if err != nil && !strings.Contains(err.Error(), tt.in) {
			t.Errorf("error %q does not name the address", err)
		}
	}
}
