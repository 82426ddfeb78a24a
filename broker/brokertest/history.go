package brokertest

import (
	"errors"
	"fmt"

	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
)

// seq returns the offsets from..to inclusive, descending when from > to.
func seq(from, to uint64) []uint64 {
	var out []uint64
	for i := from; ; {
		out = append(out, i)
		if i == to {
			return out
		}
		if from < to {
			i++
		} else {
			i--
		}
	}
}

func testHistoryFilter(h *harness) {
	ch := h.channel("filter")
	const n = 10
	var top gyre.StreamPosition
	for i := range n {
		top = h.publish(ch, fmt.Sprintf("m%d", i+1), withHistory(100))
	}
	e := top.Epoch
	since := func(offset uint64, epoch string) *gyre.StreamPosition {
		return &gyre.StreamPosition{Offset: offset, Epoch: epoch}
	}
	tests := []struct {
		name    string
		filter  gyre.HistoryFilter
		want    []uint64
		wantErr error
	}{
		{"LimitAll", gyre.HistoryFilter{Limit: -1}, seq(1, 10), nil},
		{"LimitZero", gyre.HistoryFilter{Limit: 0}, nil, nil},
		{"LimitN", gyre.HistoryFilter{Limit: 3}, seq(1, 3), nil},
		{"LimitAboveSize", gyre.HistoryFilter{Limit: 50}, seq(1, 10), nil},
		{"Since", gyre.HistoryFilter{Since: since(4, e), Limit: -1}, seq(5, 10), nil},
		{"SinceLimit", gyre.HistoryFilter{Since: since(4, e), Limit: 2}, seq(5, 6), nil},
		{"SinceZero", gyre.HistoryFilter{Since: since(0, e), Limit: -1}, seq(1, 10), nil},
		{"SinceTop", gyre.HistoryFilter{Since: since(10, e), Limit: -1}, nil, nil},
		{"SinceWithoutEpoch", gyre.HistoryFilter{Since: since(7, ""), Limit: -1}, seq(8, 10), nil},
		{"Reverse", gyre.HistoryFilter{Reverse: true, Limit: -1}, seq(10, 1), nil},
		{"ReverseLimit", gyre.HistoryFilter{Reverse: true, Limit: 3}, seq(10, 8), nil},
		{"ReverseSince", gyre.HistoryFilter{Since: since(5, e), Reverse: true, Limit: -1}, seq(4, 1), nil},
		{"ReverseSinceLimit", gyre.HistoryFilter{Since: since(5, e), Reverse: true, Limit: 2}, seq(4, 3), nil},
		{"ReverseSinceTop", gyre.HistoryFilter{Since: since(10, e), Reverse: true, Limit: 1}, seq(9, 9), nil},
		{"ReverseSinceFirst", gyre.HistoryFilter{Since: since(1, e), Reverse: true, Limit: -1}, nil, nil},
		{"EpochMismatch", gyre.HistoryFilter{Since: since(4, e+"x"), Limit: -1}, nil, gyre.ErrUnrecoverablePosition},
		{"EpochMismatchLimitZero", gyre.HistoryFilter{Since: since(4, e+"x"), Limit: 0}, nil, gyre.ErrUnrecoverablePosition},
		{"EpochMismatchReverse", gyre.HistoryFilter{Since: since(4, e+"x"), Reverse: true, Limit: -1}, nil, gyre.ErrUnrecoverablePosition},
	}
	for _, tc := range tests {
		pubs, gotTop, err := h.b.History(h.ctx, ch, gyre.HistoryOptions{Filter: tc.filter})
		if !errors.Is(err, tc.wantErr) {
			h.t.Errorf("%s: error %v, want %v", tc.name, err, tc.wantErr)
		}
		if tc.wantErr != nil && gyre.AsError(err).Code != 112 {
			h.t.Errorf("%s: error code %d, want 112", tc.name, gyre.AsError(err).Code)
		}
		if gotTop != top {
			h.t.Errorf("%s: top %+v, want %+v", tc.name, gotTop, top)
		}
		if diff := cmp.Diff(tc.want, offsets(pubs)); len(tc.want)+len(pubs) > 0 && diff != "" {
			h.t.Errorf("%s: offsets (-want +got):\n%s", tc.name, diff)
		}
		for _, p := range pubs {
			if want := fmt.Sprintf("m%d", p.Offset); string(p.Data) != want {
				h.t.Errorf("%s: offset %d has data %q, want %q", tc.name, p.Offset, p.Data, want)
			}
		}
	}
}

func testHistoryTrim(h *harness) {
	ch := h.channel("trim")
	var top gyre.StreamPosition
	for i := range 5 {
		top = h.publish(ch, fmt.Sprintf("m%d", i+1), withHistory(3))
	}
	if top.Offset != 5 {
		h.t.Fatalf("top after 5 publishes = %+v, want offset 5", top)
	}
	tests := []struct {
		name   string
		filter gyre.HistoryFilter
		want   []uint64
	}{
		{"All", gyre.HistoryFilter{Limit: -1}, seq(3, 5)},
		{"Reverse", gyre.HistoryFilter{Reverse: true, Limit: -1}, seq(5, 3)},
		// A position older than the oldest kept item starts from the oldest.
		{"SinceBeforeOldest", gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: 1, Epoch: top.Epoch}, Limit: -1}, seq(3, 5)},
		{"SinceOldest", gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: 3, Epoch: top.Epoch}, Limit: -1}, seq(4, 5)},
		{"ReverseSinceOldest", gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: 3, Epoch: top.Epoch}, Reverse: true, Limit: -1}, nil},
	}
	for _, tc := range tests {
		pubs, gotTop := h.history(ch, tc.filter)
		if gotTop != top {
			h.t.Errorf("%s: top %+v, want %+v", tc.name, gotTop, top)
		}
		if diff := cmp.Diff(tc.want, offsets(pubs)); len(tc.want)+len(pubs) > 0 && diff != "" {
			h.t.Errorf("%s: offsets (-want +got):\n%s", tc.name, diff)
		}
	}
}

func testHistoryReturnsCopies(h *harness) {
	ch := h.channel("copies")
	for i := range 2 {
		h.publish(ch, fmt.Sprintf("m%d", i+1), withHistory(10))
	}
	pubs, _ := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if len(pubs) != 2 {
		h.t.Fatalf("history has %d publications, want 2", len(pubs))
	}
	// Changing what History returned must not change the stream.
	pubs[0].Offset = 100
	pubs[0].Data = []byte("changed")
	pubs[0].Info = &gyre.ClientInfo{ClientID: "intruder"}
	pubs[1] = nil
	again, _ := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if diff := cmp.Diff([]uint64{1, 2}, offsets(again)); diff != "" {
		h.t.Fatalf("offsets after changing a History result (-want +got):\n%s", diff)
	}
	if string(again[0].Data) != "m1" || again[0].Info != nil {
		h.t.Errorf("first publication after changing a History result: data %q info %+v", again[0].Data, again[0].Info)
	}
}
