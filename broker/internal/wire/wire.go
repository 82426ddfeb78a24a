// Package wire encodes what brokers send between nodes: publications,
// joins and leaves in Centrifugo's PUB/SUB payload format (PROTOCOL.md §8),
// shared by the Redis and NATS brokers.
package wire

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gyrehq/gyre"
	"google.golang.org/protobuf/encoding/protowire"
)

// The publication and client info encodings are the Protobuf messages
// centrifugal.centrifuge.protocol.Publication and ClientInfo, which is what
// Centrifugo stores in Redis streams and sends over PUB/SUB. They are
// written with protowire by hand: no reflection on the hot path.
//
// Publication fields: 4 data (bytes), 5 info (ClientInfo), 6 offset
// (varint), 7 tags (map<string,string>), 9 time (varint, Unix ms).
// ClientInfo fields: 1 user, 2 client, 3 conn_info, 4 chan_info.

// PUB/SUB message prefixes (PROTOCOL.md §8). A publication is
// "__p1:<offset>:<epoch>__" followed by the encoded Publication; joins and
// leaves are "__j__" / "__l__" followed by the encoded ClientInfo.
const (
	PubPrefix   = "__p1:"
	JoinPrefix  = "__j__"
	LeavePrefix = "__l__"
)

// ErrMalformed is returned for payloads that are not in the format.
var ErrMalformed = errors.New("broker: malformed message")

// appendClientInfo appends info's encoding to b.
func appendClientInfo(b []byte, info *gyre.ClientInfo) []byte {
	if info.UserID != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, info.UserID)
	}
	if info.ClientID != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, info.ClientID)
	}
	if len(info.ConnInfo) > 0 {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, info.ConnInfo)
	}
	if len(info.ChanInfo) > 0 {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, info.ChanInfo)
	}
	return b
}

// clientInfoSize returns the length of info's encoding.
func clientInfoSize(info *gyre.ClientInfo) int {
	n := 0
	if info.UserID != "" {
		n += 1 + protowire.SizeBytes(len(info.UserID))
	}
	if info.ClientID != "" {
		n += 1 + protowire.SizeBytes(len(info.ClientID))
	}
	if len(info.ConnInfo) > 0 {
		n += 1 + protowire.SizeBytes(len(info.ConnInfo))
	}
	if len(info.ChanInfo) > 0 {
		n += 1 + protowire.SizeBytes(len(info.ChanInfo))
	}
	return n
}

// EncodeClientInfo returns prefix followed by info's encoding.
func EncodeClientInfo(prefix string, info *gyre.ClientInfo) []byte {
	b := make([]byte, 0, len(prefix)+clientInfoSize(info))
	b = append(b, prefix...)
	return appendClientInfo(b, info)
}

// DecodeClientInfo decodes a ClientInfo. Byte fields are copied, so the
// result does not alias b.
func DecodeClientInfo(b []byte) (*gyre.ClientInfo, error) {
	info := new(gyre.ClientInfo)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, ErrMalformed
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil, ErrMalformed
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, ErrMalformed
		}
		b = b[n:]
		switch num {
		case 1:
			info.UserID = string(v)
		case 2:
			info.ClientID = string(v)
		case 3:
			info.ConnInfo = append([]byte(nil), v...)
		case 4:
			info.ChanInfo = append([]byte(nil), v...)
		}
	}
	return info, nil
}

// EncodePublication encodes data, opts' client info and tags, and the
// time (Unix ms) as a Publication without offset.
func EncodePublication(data []byte, opts *gyre.PublishOptions, timeMs int64) []byte {
	size := 1 + protowire.SizeBytes(len(data)) + 1 + protowire.SizeVarint(uint64(timeMs))
	if opts.ClientInfo != nil {
		size += 1 + protowire.SizeBytes(clientInfoSize(opts.ClientInfo))
	}
	for k, v := range opts.Tags {
		entry := 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
		size += 1 + protowire.SizeBytes(entry)
	}
	b := make([]byte, 0, size)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, data)
	if info := opts.ClientInfo; info != nil {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(clientInfoSize(info)))
		b = appendClientInfo(b, info)
	}
	for k, v := range opts.Tags {
		entry := 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(entry))
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, k)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, v)
	}
	if timeMs != 0 {
		b = protowire.AppendTag(b, 9, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(timeMs))
	}
	return b
}

// DecodePublication decodes a Publication. Data and info are copied, so
// the result does not alias b.
func DecodePublication(b []byte) (*gyre.Publication, error) {
	pub := new(gyre.Publication)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, ErrMalformed
		}
		b = b[n:]
		switch {
		case typ == protowire.VarintType && (num == 6 || num == 9):
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, ErrMalformed
			}
			b = b[n:]
			if num == 6 {
				pub.Offset = v
			} else {
				pub.Time = int64(v)
			}
		case typ == protowire.BytesType && (num == 4 || num == 5 || num == 7):
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, ErrMalformed
			}
			b = b[n:]
			var err error
			switch num {
			case 4:
				pub.Data = append([]byte{}, v...)
			case 5:
				pub.Info, err = DecodeClientInfo(v)
			case 7:
				err = decodeTag(pub, v)
			}
			if err != nil {
				return nil, err
			}
		default:
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil, ErrMalformed
			}
			b = b[n:]
		}
	}
	return pub, nil
}

// decodeTag decodes one map entry of Publication.tags into pub.Tags.
func decodeTag(pub *gyre.Publication, b []byte) error {
	var k, v string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ErrMalformed
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ErrMalformed
			}
			b = b[n:]
			continue
		}
		s, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ErrMalformed
		}
		b = b[n:]
		switch num {
		case 1:
			k = string(s)
		case 2:
			v = string(s)
		}
	}
	if pub.Tags == nil {
		pub.Tags = make(map[string]string)
	}
	pub.Tags[k] = v
	return nil
}

// Message is a decoded PUB/SUB payload.
type Message struct {
	Kind byte // 'p', 'j' or 'l'
	Pub  *gyre.Publication
	SP   gyre.StreamPosition
	Info *gyre.ClientInfo
}

// DecodeMessage decodes a PUB/SUB payload: a publication with its stream
// position, a join or a leave.
func DecodeMessage(payload string) (Message, error) {
	switch {
	case strings.HasPrefix(payload, PubPrefix):
		rest := payload[len(PubPrefix):]
		end := strings.Index(rest, "__")
		if end < 0 {
			return Message{}, ErrMalformed
		}
		offStr, epoch, ok := strings.Cut(rest[:end], ":")
		if !ok {
			return Message{}, ErrMalformed
		}
		off, err := strconv.ParseUint(offStr, 10, 64)
		if err != nil {
			return Message{}, ErrMalformed
		}
		pub, err := DecodePublication([]byte(rest[end+2:]))
		if err != nil {
			return Message{}, err
		}
		pub.Offset = off
		sp := gyre.StreamPosition{Offset: off, Epoch: epoch}
		if off == 0 {
			sp = gyre.StreamPosition{}
		}
		return Message{Kind: 'p', Pub: pub, SP: sp}, nil
	case strings.HasPrefix(payload, JoinPrefix), strings.HasPrefix(payload, LeavePrefix):
		info, err := DecodeClientInfo([]byte(payload[len(JoinPrefix):]))
		if err != nil {
			return Message{}, err
		}
		return Message{Kind: payload[2], Info: info}, nil
	}
	return Message{}, ErrMalformed
}
