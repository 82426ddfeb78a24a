package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/centrifugal/protocol"
	"github.com/gorilla/websocket"

	"github.com/gyrehq/gyre/node"
)

// rawClient is a hand-driven WebSocket client of the Centrifugal client
// protocol. Unlike centrifuge-go it sends whatever bytes a test asks for and
// exposes every reply, ping and the final close frame, so tests can check
// how the server treats bad input.
//
// One goroutine reads frames into a channel; a test goroutine consumes them
// through nextReply, reply and expectClose, each bounded by waitTimeout.
type rawClient struct {
	t      *testing.T
	proto  protoKind
	conn   *websocket.Conn
	frames chan []byte   // data frames in arrival order
	done   chan struct{} // closed when the read loop ends
	err    error         // why the read loop ended; read only after done
	queue  []*protocol.Reply
	nextID uint32
}

// dialRaw opens a raw WebSocket connection to ts using protocol p. JSON goes
// in text frames, Protobuf (selected with ?format=protobuf) in binary frames.
// The connection is closed when the test ends.
func dialRaw(t *testing.T, ts *testServer, p protoKind) *rawClient {
	t.Helper()
	url := ts.url
	if p == protoProtobuf {
		url += "?format=protobuf"
	}
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	conn, resp, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	_ = resp.Body.Close()
	c := &rawClient{t: t, proto: p, conn: conn, frames: make(chan []byte, 1024), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() {
		_ = conn.Close()
		<-c.done
	})
	return c
}

// readLoop forwards every data frame to c.frames until the connection ends,
// then records the error and closes c.done.
func (c *rawClient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		select {
		case c.frames <- data:
		default:
			c.err = errors.New("rawClient: frame buffer full")
			return
		}
	}
}

// encode frames cmds the way the client's protocol requires: JSON commands
// joined by '\n', Protobuf commands each prefixed by its varint length.
func (c *rawClient) encode(cmds ...*protocol.Command) []byte {
	c.t.Helper()
	var out []byte
	for i, cmd := range cmds {
		if c.proto == protoJSON {
			if i > 0 {
				out = append(out, '\n')
			}
			out = cmd.AppendJSON(out)
			continue
		}
		b, err := cmd.MarshalCF()
		if err != nil {
			c.t.Fatalf("marshal command: %v", err)
		}
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

// sendFrame writes one WebSocket message of the given gorilla type
// (websocket.TextMessage or websocket.BinaryMessage) holding data as is.
func (c *rawClient) sendFrame(messageType int, data []byte) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := c.conn.WriteMessage(messageType, data); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// sendRaw writes data as one frame of the client's protocol type: a text
// frame for JSON, a binary frame for Protobuf.
func (c *rawClient) sendRaw(data []byte) {
	c.t.Helper()
	if c.proto == protoProtobuf {
		c.sendFrame(websocket.BinaryMessage, data)
	} else {
		c.sendFrame(websocket.TextMessage, data)
	}
}

// send encodes cmds into a single frame and writes it.
func (c *rawClient) send(cmds ...*protocol.Command) {
	c.t.Helper()
	c.sendRaw(c.encode(cmds...))
}

// decodeFrame splits a frame into its replies.
func (c *rawClient) decodeFrame(frame []byte) []*protocol.Reply {
	c.t.Helper()
	var dec protocol.ReplyDecoder
	if c.proto == protoProtobuf {
		dec = protocol.NewProtobufReplyDecoder(frame)
	} else {
		dec = protocol.NewJSONReplyDecoder(frame)
	}
	var out []*protocol.Reply
	for {
		r, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			c.t.Fatalf("decode reply frame %q: %v", frame, err)
		}
		out = append(out, r)
	}
}

// nextReply returns the next reply of any kind (result, error, push or the
// empty server ping). It fails the test if the connection closes first or
// nothing arrives within waitTimeout.
func (c *rawClient) nextReply() *protocol.Reply {
	c.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for len(c.queue) == 0 {
		select {
		case f := <-c.frames:
			c.queue = append(c.queue, c.decodeFrame(f)...)
			continue
		default:
		}
		select {
		case f := <-c.frames:
			c.queue = append(c.queue, c.decodeFrame(f)...)
		case <-c.done:
			select {
			case f := <-c.frames:
				c.queue = append(c.queue, c.decodeFrame(f)...)
			default:
				c.t.Fatalf("connection closed while waiting for a reply: %v", c.err)
			}
		case <-deadline.C:
			c.t.Fatalf("timed out waiting for a reply")
		}
	}
	r := c.queue[0]
	c.queue = c.queue[1:]
	return r
}

// reply returns the reply to the command with the given id, skipping pushes
// and pings that arrive before it.
func (c *rawClient) reply(id uint32) *protocol.Reply {
	c.t.Helper()
	for {
		r := c.nextReply()
		if r.Id == id {
			return r
		}
		if r.Id != 0 {
			c.t.Fatalf("got reply to command %d while waiting for %d: %v", r.Id, id, r)
		}
	}
}

// isPingReply reports whether r is the server ping: an empty Reply.
func isPingReply(r *protocol.Reply) bool {
	return r.Id == 0 && r.Error == nil && r.Push == nil && r.Connect == nil &&
		r.Subscribe == nil && r.Unsubscribe == nil && r.Publish == nil &&
		r.Presence == nil && r.PresenceStats == nil && r.History == nil &&
		r.Ping == nil && r.Rpc == nil && r.Refresh == nil && r.SubRefresh == nil
}

// waitPing waits for the server ping, skipping pushes.
func (c *rawClient) waitPing() {
	c.t.Helper()
	for {
		r := c.nextReply()
		if isPingReply(r) {
			return
		}
		if r.Id != 0 {
			c.t.Fatalf("unexpected reply while waiting for a ping: %v", r)
		}
	}
}

// call gives cmd the next command id, sends it alone in a frame and returns
// its reply.
func (c *rawClient) call(cmd *protocol.Command) *protocol.Reply {
	c.t.Helper()
	c.nextID++
	cmd.Id = c.nextID
	c.send(cmd)
	return c.reply(cmd.Id)
}

// callOK is call that fails the test when the reply carries an error.
func (c *rawClient) callOK(cmd *protocol.Command) *protocol.Reply {
	c.t.Helper()
	r := c.call(cmd)
	if r.Error != nil {
		c.t.Fatalf("command %v: error %d %q", cmd, r.Error.Code, r.Error.Message)
	}
	return r
}

// callErr is call that fails the test unless the reply is the error code.
func (c *rawClient) callErr(cmd *protocol.Command, code uint32) *protocol.Reply {
	c.t.Helper()
	r := c.call(cmd)
	if r.Error == nil || r.Error.Code != code {
		c.t.Fatalf("command %v: want error %d, got reply %v", cmd, code, r)
	}
	return r
}

// connect authenticates with token and returns the connect result.
func (c *rawClient) connect(token string) *protocol.ConnectResult {
	c.t.Helper()
	r := c.callOK(&protocol.Command{Connect: &protocol.ConnectRequest{Token: token}})
	if r.Connect == nil || r.Connect.Client == "" {
		c.t.Fatalf("bad connect reply: %v", r)
	}
	return r.Connect
}

// subscribe subscribes to ch (with an optional subscription token) and
// fails the test unless it succeeds.
func (c *rawClient) subscribe(ch, token string) *protocol.SubscribeResult {
	c.t.Helper()
	r := c.callOK(&protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Token: token}})
	if r.Subscribe == nil {
		c.t.Fatalf("bad subscribe reply: %v", r)
	}
	return r.Subscribe
}

// expectClose waits for the server's close frame and returns its code and
// reason. Replies that arrive before it are discarded. It fails the test if
// the connection ends without a close frame or nothing happens within
// waitTimeout.
func (c *rawClient) expectClose() (int, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		c.t.Fatalf("timed out waiting for the close frame")
	}
	var ce *websocket.CloseError
	if !errors.As(c.err, &ce) {
		c.t.Fatalf("connection ended without a close frame: %v", c.err)
	}
	return ce.Code, ce.Text
}

// expectCloseCode waits for the close frame and fails unless it has code.
func (c *rawClient) expectCloseCode(code int) {
	c.t.Helper()
	got, reason := c.expectClose()
	if got != code {
		c.t.Fatalf("close code = %d (%q), want %d", got, reason, code)
	}
}

// expectOpen checks that the connection still works: an unsubscribe of a
// channel the client never joined must be answered.
func (c *rawClient) expectOpen() {
	c.t.Helper()
	r := c.callOK(&protocol.Command{Unsubscribe: &protocol.UnsubscribeRequest{Channel: "chat:never-joined"}})
	if r.Unsubscribe == nil {
		c.t.Fatalf("bad unsubscribe reply: %v", r)
	}
}

// canary is a long-lived centrifuge-go client subscribed to a channel. Its
// check proves that the server still runs and delivers publications after
// a bad client did its worst.
type canary struct {
	ts   *testServer
	ch   string
	pubs <-chan centrifuge.PublicationEvent
	n    int
}

// newCanary connects a JSON centrifuge-go client as user "canary" with
// token options from claims (nil for a plain user token) and subscribes it
// to chat:canary.
func newCanary(t *testing.T, ts *testServer, claims map[string]any) *canary {
	t.Helper()
	tok := userToken(t, "canary")
	if claims != nil {
		tok = token(t, claims)
	}
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: tok})
	connect(t, c)
	_, pubs := subscribe(t, c, "chat:canary", centrifuge.SubscriptionConfig{})
	return &canary{ts: ts, ch: "chat:canary", pubs: pubs}
}

// check publishes a new message through the node and waits until the
// canary receives it.
func (c *canary) check(t *testing.T) {
	t.Helper()
	c.n++
	data := fmt.Sprintf(`{"canary":%d,"after":%q}`, c.n, strings.ReplaceAll(t.Name(), `"`, ""))
	if _, err := c.ts.srv.Node().Publish(ctxT(t), node.PublishRequest{Channel: c.ch, Data: []byte(data)}); err != nil {
		t.Fatalf("server is unhealthy: publish: %v", err)
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case e := <-c.pubs:
			if string(e.Data) == data {
				return
			}
		case <-deadline:
			t.Fatalf("server is unhealthy: canary publication %s not delivered", data)
		}
	}
}
