package ws

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestAcceptKey(t *testing.T) {
	if got := acceptKey(testKey); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("acceptKey = %q", got)
	}
}

func TestBadHandshakes(t *testing.T) {
	ts := startServer(t, &UpgradeOptions{
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") != "https://evil.example" },
	}, echo)
	valid := map[string]string{
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     testKey,
		"Sec-WebSocket-Version": "13",
	}
	tests := []struct {
		name    string
		method  string
		set     map[string]string // "" deletes the header
		status  int
		checkHd [2]string
	}{
		{name: "post", method: http.MethodPost, status: 405, checkHd: [2]string{"Allow", "GET"}},
		{name: "missing key", set: map[string]string{"Sec-WebSocket-Key": ""}, status: 400},
		{name: "short key", set: map[string]string{"Sec-WebSocket-Key": "c2hvcnQ="}, status: 400},
		{name: "key not base64", set: map[string]string{"Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!=="}, status: 400},
		{name: "wrong version", set: map[string]string{"Sec-WebSocket-Version": "8"}, status: 426,
			checkHd: [2]string{"Sec-WebSocket-Version", "13"}},
		{name: "missing version", set: map[string]string{"Sec-WebSocket-Version": ""}, status: 426},
		{name: "no upgrade header", set: map[string]string{"Upgrade": ""}, status: 400},
		{name: "upgrade not websocket", set: map[string]string{"Upgrade": "h2c"}, status: 400},
		{name: "connection keep-alive", set: map[string]string{"Connection": "keep-alive"}, status: 400},
		{name: "forbidden origin", set: map[string]string{"Origin": "https://evil.example"}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, ts.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range valid {
				req.Header.Set(k, v)
			}
			for k, v := range tt.set {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.checkHd[0] != "" && resp.Header.Get(tt.checkHd[0]) != tt.checkHd[1] {
				t.Fatalf("%s = %q, want %q", tt.checkHd[0], resp.Header.Get(tt.checkHd[0]), tt.checkHd[1])
			}
			var he *HandshakeError
			if err := ts.result(t); !errors.As(err, &he) || he.Status != tt.status {
				t.Fatalf("Upgrade error = %v, want HandshakeError with status %d", err, tt.status)
			}
		})
	}
}

func TestHandshakeHeaderVariants(t *testing.T) {
	ts := startServer(t, nil, echo)
	// Tokens are case-insensitive and may come in comma lists.
	rc := dialRawHeaders(t, ts, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n"+
		"Sec-WebSocket-Key: "+testKey+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	rc.write(frame(finBit|byte(OpText), []byte("hi")))
	if _, p := rc.readFrame(); string(p) != "hi" {
		t.Fatalf("echo = %q", p)
	}
	rc.nc.Close()
	if err := ts.result(t); err == nil {
		t.Fatal("handler ended without error")
	}
}

func TestExtraResponseHeaders(t *testing.T) {
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=abc")
		w.Header().Set("X-Bad", "a\r\nInjected: yes")
		w.Header().Set("Connection", "close") // controlled by Upgrade
		c, err := Upgrade(w, r, nil)
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		errc <- echo(c)
	}))
	defer srv.Close()
	cl, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if got := resp.Header.Get("Set-Cookie"); got != "session=abc" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if resp.Header.Get("Injected") != "" || resp.Header.Get("X-Bad") != "" {
		t.Errorf("header with CR/LF was sent: %v", resp.Header)
	}
	if got := resp.Header.Get("Connection"); got != "Upgrade" {
		t.Errorf("Connection = %q", got)
	}
	cl.Close()
	recv(t, errc)
}

func TestOriginCheck(t *testing.T) {
	ts := startServer(t, &UpgradeOptions{
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://ok.example" },
	}, echo)
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), http.Header{"Origin": {"https://bad.example"}})
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dial with bad origin: err=%v resp=%v, want 403", err, resp)
	}
	var he *HandshakeError
	if err := ts.result(t); !errors.As(err, &he) || he.Status != 403 {
		t.Fatalf("server error = %v", err)
	}
	cl, _, err := websocket.DefaultDialer.Dial(ts.wsURL(), http.Header{"Origin": {"https://ok.example"}})
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	ts.result(t)
}

func TestSubprotocolSelection(t *testing.T) {
	tests := []struct {
		name    string
		offered []string
		want    string
	}{
		{"server preference wins", []string{"centrifuge-json", "centrifuge-protobuf"}, "centrifuge-protobuf"},
		{"only one match", []string{"other", "centrifuge-json"}, "centrifuge-json"},
		{"no match", []string{"other"}, ""},
		{"none offered", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			ts := startServer(t, &UpgradeOptions{Subprotocols: []string{"centrifuge-protobuf", "centrifuge-json"}},
				func(c *Conn) error { got <- c.Subprotocol(); return echo(c) })
			d := websocket.Dialer{Subprotocols: tt.offered}
			cl, resp, err := d.Dial(ts.wsURL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if s := recv(t, got); s != tt.want {
				t.Fatalf("server Subprotocol() = %q, want %q", s, tt.want)
			}
			if cl.Subprotocol() != tt.want || resp.Header.Get("Sec-WebSocket-Protocol") != tt.want {
				t.Fatalf("client sees %q / header %q, want %q", cl.Subprotocol(),
					resp.Header.Get("Sec-WebSocket-Protocol"), tt.want)
			}
		})
	}
}

func TestNegotiateDeflate(t *testing.T) {
	const base = deflateResponse
	tests := []struct {
		offers []string
		want   string // "" = not negotiated
	}{
		{[]string{"permessage-deflate"}, base},
		{[]string{"permessage-deflate; client_max_window_bits"}, base},                                 // Chromium
		{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, base}, // gorilla
		{[]string{"permessage-deflate; client_max_window_bits=10"}, base},
		{[]string{`permessage-deflate; client_max_window_bits="12"`}, base},
		{[]string{"permessage-deflate; server_max_window_bits=15"}, base + "; server_max_window_bits=15"},
		{[]string{"permessage-deflate; server_max_window_bits=10"}, ""},
		{[]string{"permessage-deflate; server_max_window_bits=10, permessage-deflate"}, base},
		{[]string{"x-webkit-deflate-frame", "permessage-deflate"}, base},
		{[]string{"permessage-deflate; client_max_window_bits=16"}, ""},
		{[]string{"permessage-deflate; client_max_window_bits=08"}, ""},
		{[]string{"permessage-deflate; server_max_window_bits"}, ""},
		{[]string{"permessage-deflate; server_no_context_takeover=1"}, ""},
		{[]string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, ""},
		{[]string{"permessage-deflate; unknown"}, ""},
		{[]string{"permessage-deflate;"}, ""},
		{[]string{"x-other"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		h := http.Header{"Sec-Websocket-Extensions": tt.offers}
		got, ok := negotiateDeflate(h)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("negotiateDeflate(%q) = %q, %v; want %q", tt.offers, got, ok, tt.want)
		}
	}
}
