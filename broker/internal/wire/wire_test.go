package wire

import (
	"testing"

	"github.com/centrifugal/protocol"
	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
	"google.golang.org/protobuf/proto"
)

// TestCodecMatchesCentrifugeProtocol checks that the hand-written
// encoding is the Protobuf Publication/ClientInfo Centrifugo uses, in both
// directions.
func TestCodecMatchesCentrifugeProtocol(t *testing.T) {
	info := &gyre.ClientInfo{ClientID: "c1", UserID: "u1", ConnInfo: []byte(`{"a":1}`), ChanInfo: []byte{0, 255}}
	opts := gyre.PublishOptions{ClientInfo: info, Tags: map[string]string{"a": "1", "b": ""}}
	enc := EncodePublication([]byte("data"), &opts, 1700000000123)

	var pp protocol.Publication
	if err := proto.Unmarshal(enc, &pp); err != nil {
		t.Fatalf("protocol.Publication can't decode: %v", err)
	}
	if string(pp.Data) != "data" || pp.Time != 1700000000123 || pp.Info.Client != "c1" || pp.Info.User != "u1" ||
		string(pp.Info.ConnInfo) != `{"a":1}` || !cmp.Equal(pp.Tags, opts.Tags) {
		t.Errorf("decoded by protocol: %+v", &pp)
	}

	pp.Offset = 42
	raw, err := proto.Marshal(&pp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePublication(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := &gyre.Publication{Offset: 42, Data: []byte("data"), Info: info, Tags: opts.Tags, Time: 1700000000123}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded from protocol (-want +got):\n%s", diff)
	}

	gotInfo, err := DecodeClientInfo(EncodeClientInfo("", info))
	if err != nil || !cmp.Equal(info, gotInfo) {
		t.Errorf("client info round trip: %+v, %v", gotInfo, err)
	}
}

func TestDecodeMessage(t *testing.T) {
	pub := EncodePublication([]byte("x"), &gyre.PublishOptions{}, 0)
	info := &gyre.ClientInfo{ClientID: "c"}
	tests := []struct {
		in   string
		want Message
		bad  bool
	}{
		{in: "__p1:7:abc__" + string(pub), want: Message{Kind: 'p', Pub: &gyre.Publication{Offset: 7, Data: []byte("x")}, SP: gyre.StreamPosition{Offset: 7, Epoch: "abc"}}},
		{in: "__p1:0:__" + string(pub), want: Message{Kind: 'p', Pub: &gyre.Publication{Data: []byte("x")}}},
		{in: string(EncodeClientInfo(JoinPrefix, info)), want: Message{Kind: 'j', Info: info}},
		{in: string(EncodeClientInfo(LeavePrefix, info)), want: Message{Kind: 'l', Info: info}},
		{in: "__p1:x:abc__", bad: true},
		{in: "__p1:1abc", bad: true},
		{in: "__p1:1:e__\xff", bad: true},
		{in: "garbage", bad: true},
	}
	for _, tc := range tests {
		got, err := DecodeMessage(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("DecodeMessage(%q) succeeded, want error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeMessage(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Message{})); diff != "" {
			t.Errorf("DecodeMessage(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add("__p1:7:abc__" + string(EncodePublication([]byte("x"), &gyre.PublishOptions{Tags: map[string]string{"a": "b"}}, 5)))
	f.Add(string(EncodeClientInfo(JoinPrefix, &gyre.ClientInfo{ClientID: "c", ConnInfo: []byte("{}")})))
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = DecodeMessage(s)
	})
}
