package e2e

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
)

// Close codes the bad-input tests expect (PROTOCOL.md §2.3).
const (
	biCloseMessageTooBig = 1009
	biCloseExpired       = 3005
	biCloseNoPong        = 3012
	biCloseInvalidToken  = 3500
	biCloseBadRequest    = 3501
	biCloseStale         = 3502
	biClosePermission    = 3507
	biCloseNotAvailable  = 3508
	badInputSizeLimit    = 4096
	badInputChannelLim   = 3
	badInputPrivateChan  = "$chat:private"
)

// badInputConfig is baseConfig with a small message size limit and channel
// limit, so that those limits are cheap to hit.
func badInputConfig(cfg *config.Config) {
	cfg.WebSocket.MessageSizeLimit = badInputSizeLimit
	cfg.Client.ChannelLimit = badInputChannelLim
}

// biFrameCase is one bad input that must end the connection with code.
type biFrameCase struct {
	name string
	// protos the case runs with; nil means both.
	protos []protoKind
	// connected makes the client connect before send runs.
	connected bool
	send      func(c *rawClient)
	code      int
	// skip, when set, names a known server bug (observed vs documented).
	skip string
}

// biCmd builds a command from a setter, for compact tables.
func biCmd(f func(*protocol.Command)) *protocol.Command {
	c := &protocol.Command{Id: 100}
	f(c)
	return c
}

// biEmptyChannelCommands are the requests whose empty channel is a protocol
// violation (3501, PROTOCOL.md §1.6).
var biEmptyChannelCommands = map[string]*protocol.Command{
	"subscribe":      biCmd(func(c *protocol.Command) { c.Subscribe = &protocol.SubscribeRequest{} }),
	"unsubscribe":    biCmd(func(c *protocol.Command) { c.Unsubscribe = &protocol.UnsubscribeRequest{} }),
	"publish":        biCmd(func(c *protocol.Command) { c.Publish = &protocol.PublishRequest{Data: []byte(`{}`)} }),
	"presence":       biCmd(func(c *protocol.Command) { c.Presence = &protocol.PresenceRequest{} }),
	"presence_stats": biCmd(func(c *protocol.Command) { c.PresenceStats = &protocol.PresenceStatsRequest{} }),
	"history":        biCmd(func(c *protocol.Command) { c.History = &protocol.HistoryRequest{} }),
	"sub_refresh":    biCmd(func(c *protocol.Command) { c.SubRefresh = &protocol.SubRefreshRequest{Token: "x"} }),
}

// biSend returns a biFrameCase send func that sends one command.
func biSend(command *protocol.Command) func(c *rawClient) {
	return func(c *rawClient) { c.send(command) }
}

// pbVarintFrame returns a Protobuf frame whose length prefix is declared
// followed by body.
func pbVarintFrame(declared uint64, body []byte) []byte {
	return append(binary.AppendUvarint(nil, declared), body...)
}

// biFrameCases lists the inputs that must close the connection
// (PROTOCOL.md §1.6, §1.8).
func biFrameCases(t *testing.T) []biFrameCase {
	subscribe := biCmd(func(c *protocol.Command) { c.Subscribe = &protocol.SubscribeRequest{Channel: "chat:a"} })
	connectCmd := biCmd(func(c *protocol.Command) {
		c.Connect = &protocol.ConnectRequest{Token: userToken(t, "bad")}
	})
	cases := []biFrameCase{
		{name: "subscribe before connect", send: biSend(subscribe), code: biCloseBadRequest},
		{name: "rpc before connect", send: biSend(biCmd(func(c *protocol.Command) {
			c.Rpc = &protocol.RPCRequest{Method: "x"}
		})), code: biCloseBadRequest},
		{name: "second connect", connected: true, send: biSend(connectCmd), code: biCloseBadRequest},
		{name: "pong before connect", send: biSend(&protocol.Command{}), code: biCloseBadRequest},
		{name: "unnecessary pong", connected: true, send: biSend(&protocol.Command{}), code: biCloseBadRequest},
		{name: "ping command", connected: true, send: biSend(biCmd(func(c *protocol.Command) {
			c.Id = 1
			c.Ping = &protocol.PingRequest{}
		})), code: biCloseBadRequest},
		{name: "id without request", connected: true, send: biSend(&protocol.Command{Id: 7}), code: biCloseBadRequest},
		{name: "id with unknown field", protos: []protoKind{protoJSON}, connected: true,
			send: func(c *rawClient) { c.sendRaw([]byte(`{"id":7,"frobnicate":{"channel":"chat:a"}}`)) }, code: biCloseBadRequest},
		{name: "malformed JSON", protos: []protoKind{protoJSON}, connected: true,
			send: func(c *rawClient) { c.sendRaw([]byte(`{"id":2,"subscribe":{"channel":"chat:a"`)) }, code: biCloseBadRequest},
		{name: "malformed JSON before connect", protos: []protoKind{protoJSON},
			send: func(c *rawClient) { c.sendRaw([]byte(`not json`)) }, code: biCloseBadRequest},
		{name: "JSON array", protos: []protoKind{protoJSON}, connected: true,
			send: func(c *rawClient) { c.sendRaw([]byte(`[1,2]`)) }, code: biCloseBadRequest},
		{name: "valid command then garbage", protos: []protoKind{protoJSON}, connected: true,
			send: func(c *rawClient) {
				c.sendRaw([]byte(`{"id":2,"unsubscribe":{"channel":"chat:a"}}` + "\n" + `{"id":3,`))
			}, code: biCloseBadRequest},
		{name: "empty frame", connected: true, send: func(c *rawClient) { c.sendRaw(nil) }, code: biCloseBadRequest},
		{name: "empty frame before connect", send: func(c *rawClient) { c.sendRaw(nil) }, code: biCloseBadRequest},
		{name: "malformed protobuf", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(3, []byte{0xff, 0xff, 0xff})) }, code: biCloseBadRequest},
		{name: "protobuf wrong wire type", protos: []protoKind{protoProtobuf}, connected: true,
			// Field 5 (subscribe) encoded as a varint instead of bytes.
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(2, []byte{5<<3 | 0, 1})) }, code: biCloseBadRequest},
		{name: "protobuf length prefix beyond frame", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(100, []byte{0x08, 0x01})) }, code: biCloseBadRequest},
		{name: "protobuf length prefix beyond size limit", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(10*badInputSizeLimit, []byte{0x08, 0x01})) }, code: biCloseBadRequest},
		{name: "protobuf huge length prefix", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(1<<62, []byte{0x08, 0x01})) }, code: biCloseBadRequest},
		{name: "protobuf overlong varint", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) {
				c.sendRaw([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x08})
			}, code: biCloseBadRequest,
		},
		{name: "protobuf truncated varint", protos: []protoKind{protoProtobuf}, connected: true,
			send: func(c *rawClient) { c.sendRaw([]byte{0x80}) }, code: biCloseBadRequest,
		},
		{name: "protobuf prefix beyond frame before connect", protos: []protoKind{protoProtobuf},
			send: func(c *rawClient) { c.sendRaw(pbVarintFrame(1<<20, nil)) }, code: biCloseBadRequest},
		{name: "message over size limit", connected: true,
			send: func(c *rawClient) { c.sendRaw(make([]byte, badInputSizeLimit+1)) }, code: biCloseMessageTooBig},
		{name: "message over size limit before connect",
			send: func(c *rawClient) { c.sendRaw(make([]byte, 2*badInputSizeLimit)) }, code: biCloseMessageTooBig},
		{name: "unknown delta", connected: true, send: biSend(biCmd(func(c *protocol.Command) {
			c.Subscribe = &protocol.SubscribeRequest{Channel: "chat:a", Delta: "xdelta"}
		})), code: biCloseBadRequest},
		{name: "send", connected: true, send: biSend(&protocol.Command{Send: &protocol.SendRequest{Data: []byte(`{}`)}}), code: biCloseNotAvailable},
		{name: "refresh with empty token", connected: true, send: biSend(biCmd(func(c *protocol.Command) {
			c.Refresh = &protocol.RefreshRequest{}
		})), code: biCloseBadRequest},
	}
	for name, command := range biEmptyChannelCommands {
		cases = append(cases, biFrameCase{name: "empty channel in " + name, connected: true, send: biSend(command), code: biCloseBadRequest})
	}
	return cases
}

// TestBadInputFrames sends every protocol violation of PROTOCOL.md §1.6
// and checks the exact close code, and that the server keeps serving.
func TestBadInputFrames(t *testing.T) {
	ts := startServer(t, badInputConfig)
	cn := newCanary(t, ts, nil)
	for _, tc := range biFrameCases(t) {
		protos := tc.protos
		if protos == nil {
			protos = protocols
		}
		for _, p := range protos {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				if tc.skip != "" {
					t.Skip(tc.skip)
				}
				c := dialRaw(t, ts, p)
				if tc.connected {
					c.connect(userToken(t, "bad"))
				}
				tc.send(c)
				c.expectCloseCode(tc.code)
				cn.check(t)
			})
		}
	}
}

// biReplyCase is one request that must get the error code (0: success) and
// leave the connection open.
type biReplyCase struct {
	name string
	// setup runs after connect, before the request.
	setup func(t *testing.T, c *rawClient)
	req   func(t *testing.T) *protocol.Command
	code  uint32
	check func(t *testing.T, r *protocol.Reply)
}

// biSubReq builds a subscribe command for ch.
func biSubReq(ch string) *protocol.Command {
	return &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch}}
}

// biPubReq builds a publish command for ch with a small JSON payload.
func biPubReq(ch string) *protocol.Command {
	return &protocol.Command{Publish: &protocol.PublishRequest{Channel: ch, Data: []byte(`{"x":1}`)}}
}

// biHistoryReq builds a history command for ch.
func biHistoryReq(ch string, since *protocol.StreamPosition, reverse bool) *protocol.Command {
	return &protocol.Command{History: &protocol.HistoryRequest{Channel: ch, Since: since, Reverse: reverse, Limit: 10}}
}

// biRPCReq builds an RPC command calling method.
func biRPCReq(method string) *protocol.Command {
	return &protocol.Command{Rpc: &protocol.RPCRequest{Method: method, Data: []byte(`{}`)}}
}

// biFixed wraps a command into a biReplyCase req func.
func biFixed(c *protocol.Command) func(*testing.T) *protocol.Command {
	return func(*testing.T) *protocol.Command { return c }
}

// biSubToken signs a subscription token for user and channel with extra
// claims.
func biSubToken(t *testing.T, user, ch string, extra map[string]any) string {
	claims := map[string]any{"sub": user, "channel": ch, "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	return token(t, claims)
}

// biReplyCases lists the requests answered with an error or an empty
// result (PROTOCOL.md §1.6, §1.8, §1.9).
func biReplyCases() []biReplyCase {
	return []biReplyCase{
		{name: "sub_refresh with empty token", setup: func(t *testing.T, c *rawClient) { c.subscribe("chat:a", "") },
			req: biFixed(&protocol.Command{SubRefresh: &protocol.SubRefreshRequest{Channel: "chat:a"}}), code: 107},
		{name: "sub_refresh when not subscribed", req: func(t *testing.T) *protocol.Command {
			return &protocol.Command{SubRefresh: &protocol.SubRefreshRequest{Channel: "chat:a", Token: biSubToken(t, "bad", "chat:a", nil)}}
		}, code: 103},
		{name: "unsubscribe when not subscribed",
			req: biFixed(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: "chat:a"}}),
			check: func(t *testing.T, r *protocol.Reply) {
				if r.Unsubscribe == nil {
					t.Fatalf("want an empty unsubscribe result, got %v", r)
				}
			}},
		{name: "channel name too long", req: biFixed(biSubReq("chat:" + strings.Repeat("a", 251))), code: 107},
		{name: "channel name at max length", req: biFixed(biSubReq("chat:" + strings.Repeat("a", 250)))},
		{name: "already subscribed", setup: func(t *testing.T, c *rawClient) { c.subscribe("chat:a", "") },
			req: biFixed(biSubReq("chat:a")), code: 105},
		{name: "channel limit", setup: func(t *testing.T, c *rawClient) {
			for i := range badInputChannelLim {
				c.subscribe("chat:lim"+string(rune('a'+i)), "")
			}
		}, req: biFixed(biSubReq("chat:over")), code: 106},
		{name: "unknown namespace", req: biFixed(biSubReq("nope:x")), code: 102},
		{name: "non-ASCII channel", req: biFixed(biSubReq("chat:привет")), code: 107},
		{name: "private channel without token", req: biFixed(biSubReq(badInputPrivateChan)), code: 103},
		{name: "subscribe to locked namespace", req: biFixed(biSubReq("locked:x")), code: 103},
		{name: "publish without permission", req: biFixed(biPubReq("locked:x")), code: 103},
		{name: "publish unknown namespace", req: biFixed(biPubReq("nope:x")), code: 102},
		{name: "presence disabled", req: biFixed(&protocol.Command{Presence: &protocol.PresenceRequest{Channel: "locked:x"}}), code: 108},
		{name: "presence_stats disabled", req: biFixed(&protocol.Command{PresenceStats: &protocol.PresenceStatsRequest{Channel: "locked:x"}}), code: 108},
		{name: "history disabled", req: biFixed(biHistoryReq("locked:x", nil, false)), code: 108},
		{name: "history reverse since offset 0", setup: func(t *testing.T, c *rawClient) { c.subscribe("chat:h", "") }, req: biFixed(biHistoryReq("chat:h", &protocol.StreamPosition{Offset: 0}, true)), code: 107},
		{name: "history since wrong epoch", setup: func(t *testing.T, c *rawClient) {
			c.subscribe("chat:h", "")
			c.callOK(biPubReq("chat:h"))
		}, req: biFixed(biHistoryReq("chat:h", &protocol.StreamPosition{Offset: 1, Epoch: "not-the-epoch"}, false)), code: 112},
		{name: "rpc unknown method", req: biFixed(biRPCReq("unknown")), code: 108},
		{name: "rpc namespaced method", req: biFixed(biRPCReq("ns:method")), code: 104},
		{name: "rpc ping disabled", req: biFixed(biRPCReq("ping")), code: 108},
	}
}

// runReplyCases runs cases on a fresh connection each: the request must get
// the expected error (or a success), the connection must stay usable and
// the canary must still get publications.
func runReplyCases(t *testing.T, ts *testServer, cn *canary, cases []biReplyCase) {
	for _, tc := range cases {
		for _, p := range protocols {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				c := dialRaw(t, ts, p)
				c.connect(userToken(t, "bad"))
				if tc.setup != nil {
					tc.setup(t, c)
				}
				var r *protocol.Reply
				if tc.code == 0 {
					r = c.callOK(tc.req(t))
				} else {
					r = c.callErr(tc.req(t), tc.code)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
				c.expectOpen()
				cn.check(t)
			})
		}
	}
}

// TestBadInputReplies checks the error replies of PROTOCOL.md §1.6, §1.8
// and §1.9: the connection stays open and the server keeps serving.
func TestBadInputReplies(t *testing.T) {
	ts := startServer(t, badInputConfig)
	cn := newCanary(t, ts, nil)
	runReplyCases(t, ts, cn, biReplyCases())
}

// TestBadInputRPCPing checks RPC with the ping extension on: ping answers
// an empty result, other methods give 104.
func TestBadInputRPCPing(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.RPC.Ping.Enabled = true })
	cn := newCanary(t, ts, nil)
	runReplyCases(t, ts, cn, []biReplyCase{
		{name: "ping", req: biFixed(biRPCReq("ping")), check: func(t *testing.T, r *protocol.Reply) {
			if r.Rpc == nil || len(r.Rpc.Data) != 0 {
				t.Fatalf("want an empty rpc result, got %v", r)
			}
		}},
		{name: "other method", req: biFixed(biRPCReq("unknown")), code: 104},
		{name: "namespaced method", req: biFixed(biRPCReq("ns:method")), code: 104},
	})
}

// TestBadInputStale checks that a connection that never sends connect is
// closed with 3502 after client.stale_close_delay.
func TestBadInputStale(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.StaleCloseDelay = gyre.Duration(300 * time.Millisecond) })
	cn := newCanary(t, ts, nil)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			c := dialRaw(t, ts, p)
			start := time.Now()
			c.expectCloseCode(biCloseStale)
			if el := time.Since(start); el < 200*time.Millisecond {
				t.Fatalf("stale close after %v, before the 300ms delay", el)
			}
			cn.check(t)
		})
	}
}

// TestBadInputNoPong checks the server ping (an empty reply), that a pong
// is accepted, and that a missing pong closes the connection with 3012.
func TestBadInputNoPong(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Client.PingInterval = gyre.Duration(time.Second)
		cfg.Client.PongTimeout = gyre.Duration(500 * time.Millisecond)
	})
	cn := newCanary(t, ts, nil)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			c := dialRaw(t, ts, p)
			res := c.connect(userToken(t, "bad"))
			if res.Ping != 1 || !res.Pong {
				t.Fatalf("connect result ping=%d pong=%v, want 1 and true", res.Ping, res.Pong)
			}
			c.waitPing()
			c.send(&protocol.Command{}) // pong
			c.expectOpen()
			c.waitPing()
			pinged := time.Now()
			c.expectCloseCode(biCloseNoPong)
			if el := time.Since(pinged); el > 5*time.Second {
				t.Fatalf("no-pong close came %v after the ping", el)
			}
			cn.check(t)
		})
	}
}

// TestBadInputFrameType checks that a frame of the other type than the
// negotiated protocol is still decoded by the protocol: Protobuf bytes in a
// text frame of a JSON connection are malformed JSON (3501).
func TestBadInputFrameType(t *testing.T) {
	ts := startServer(t, nil)
	cn := newCanary(t, ts, nil)
	c := dialRaw(t, ts, protoJSON)
	c.connect(userToken(t, "bad"))
	pc := &rawClient{t: t, proto: protoProtobuf}
	c.sendFrame(websocket.BinaryMessage, pc.encode(biSubReq("chat:a")))
	c.expectCloseCode(biCloseBadRequest)
	cn.check(t)
}
