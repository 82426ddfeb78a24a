package node

import (
	"testing"

	"github.com/centrifugal/protocol"
)

// FuzzHandleFrame feeds arbitrary frames to connected JSON and Protobuf
// sessions: the engine must answer or disconnect, never panic.
func FuzzHandleFrame(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"subscribe":{"channel":"a"}}`,
		`{"id":2,"publish":{"channel":"a","data":{"x":1}}}` + "\n" + `{"id":3,"history":{"channel":"a","limit":-1,"since":{"offset":0,"epoch":"x"},"reverse":true}}`,
		`{"id":4,"presence":{"channel":"$a"}}`,
		`{}`, `{"id":5,"rpc":{"method":"x:y"}}`, `{"id":6,"refresh":{"token":"a.b.c"}}`,
		"\x0a\x08\x01\x2a\x03\x0a\x01a", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		n := newTestNode(t, nil)
		for _, p := range []protocol.Type{protocol.TypeJSON, protocol.TypeProtobuf} {
			s, _ := connectSession(t, n, p)
			s.HandleFrame(frame)
			s.Disconnect(DisconnectForTest)
		}
	})
}

// FuzzChannelName checks the channel rules on arbitrary names: no panic,
// and a name is never both unknown and valid.
func FuzzChannelName(f *testing.F) {
	for _, seed := range []string{"news", "chat:room", "$chat:x", "dialogs:a#1,2", "strict:abc", ":", "#", "$", "a:b:c#", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r := testRules(t)
		_, err := r.options(name)
		_ = r.validName(name)
		_ = r.isPrivate(name)
		_ = r.userAllowed(name, "1")
		if err == nil {
			if ns, _ := r.namespaceOf(name); ns != "" {
				if _, ok := r.cfg.Namespaces[ns]; !ok {
					t.Fatalf("%q resolved to an unknown namespace %q", name, ns)
				}
			}
		}
	})
}
