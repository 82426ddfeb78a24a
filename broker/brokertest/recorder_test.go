package brokertest

import (
	"testing"

	"github.com/gyrehq/gyre"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRecorderWaitsForEvents(t *testing.T) {
	rec := NewRecorder()
	info := &gyre.ClientInfo{ClientID: "c"}
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		_ = rec.HandleJoin("ch", info)
		_ = rec.HandlePublication("other", &gyre.Publication{Offset: 9}, gyre.StreamPosition{Offset: 9})
		_ = rec.HandlePublication("ch", &gyre.Publication{Offset: 1}, gyre.StreamPosition{Offset: 1, Epoch: "e"})
		_ = rec.HandleLeave("ch", info)
	}()
	evs := rec.Wait(t, "ch", 3)
	<-delivered
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	kinds := []EventKind{evs[0].Kind, evs[1].Kind, evs[2].Kind}
	if kinds[0] != KindJoin || kinds[1] != KindPublication || kinds[2] != KindLeave {
		t.Errorf("kinds = %v, want join, publication, leave", kinds)
	}
	if evs[1].Position.Epoch != "e" || evs[0].Info != info {
		t.Errorf("events lost their data: %+v", evs)
	}
	if got := rec.Events("other"); len(got) != 1 || got[0].Publication.Offset != 9 {
		t.Errorf("Events(other) = %+v", got)
	}
	if got := rec.Events("none"); len(got) != 0 {
		t.Errorf("Events(none) = %+v, want none", got)
	}
}

func TestSeq(t *testing.T) {
	for _, tc := range []struct {
		from, to uint64
		want     []uint64
	}{
		{1, 3, []uint64{1, 2, 3}},
		{3, 1, []uint64{3, 2, 1}},
		{4, 4, []uint64{4}},
	} {
		got := seq(tc.from, tc.to)
		if len(got) != len(tc.want) {
			t.Fatalf("seq(%d, %d) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("seq(%d, %d) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		}
	}
}
