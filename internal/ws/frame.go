package ws

import (
	"encoding/binary"
	"strconv"
)

// OpCode is the opcode of a WebSocket frame (RFC 6455, section 5.2).
type OpCode byte

// Frame opcodes defined by RFC 6455.
const (
	// OpContinuation marks a frame that continues a fragmented message.
	OpContinuation OpCode = 0
	// OpText marks a message whose payload is UTF-8 text.
	OpText OpCode = 1
	// OpBinary marks a message whose payload is arbitrary binary data.
	OpBinary OpCode = 2
	// OpClose marks a close control frame.
	OpClose OpCode = 8
	// OpPing marks a ping control frame.
	OpPing OpCode = 9
	// OpPong marks a pong control frame.
	OpPong OpCode = 10
)

// String returns the RFC 6455 name of the opcode.
func (op OpCode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "opcode(" + strconv.Itoa(int(op)) + ")"
}

// isControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode).
func (op OpCode) isControl() bool { return op&0x8 != 0 }

// Bits of the first header byte.
const (
	finBit  = 0x80
	rsv1Bit = 0x40
	rsv2Bit = 0x20
	rsv3Bit = 0x10
	opMask  = 0x0f
)

// Bits of the second header byte.
const (
	maskBit = 0x80
	lenMask = 0x7f
)

const (
	// maxControlPayload is the largest payload a control frame may carry.
	maxControlPayload = 125
	// maxServerHeader is the longest header of an unmasked (server) frame.
	maxServerHeader = 10
)

// putServerHeader writes the header of an unmasked frame into the end of
// dst (which must be at least maxServerHeader bytes long) and returns the
// offset at which the header starts, so that dst[off:] is the header.
func putServerHeader(dst []byte, b0 byte, n int) int {
	end := len(dst)
	switch {
	case n <= 125:
		dst[end-2] = b0
		dst[end-1] = byte(n)
		return end - 2
	case n <= 0xffff:
		dst[end-4] = b0
		dst[end-3] = 126
		binary.BigEndian.PutUint16(dst[end-2:], uint16(n))
		return end - 4
	default:
		dst[end-10] = b0
		dst[end-9] = 127
		binary.BigEndian.PutUint64(dst[end-8:], uint64(n))
		return end - 10
	}
}

// maskBytes XORs b with the 4-byte masking key, starting at key position 0
// (RFC 6455, section 5.3). Masking and unmasking are the same operation.
func maskBytes(key [4]byte, b []byte) {
	if len(b) >= 16 {
		k32 := binary.LittleEndian.Uint32(key[:])
		k64 := uint64(k32) | uint64(k32)<<32
		for len(b) >= 32 {
			v0 := binary.LittleEndian.Uint64(b) ^ k64
			v1 := binary.LittleEndian.Uint64(b[8:]) ^ k64
			v2 := binary.LittleEndian.Uint64(b[16:]) ^ k64
			v3 := binary.LittleEndian.Uint64(b[24:]) ^ k64
			binary.LittleEndian.PutUint64(b, v0)
			binary.LittleEndian.PutUint64(b[8:], v1)
			binary.LittleEndian.PutUint64(b[16:], v2)
			binary.LittleEndian.PutUint64(b[24:], v3)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
		// Every chunk processed above is a multiple of 4 bytes long, so the
		// key position is back at 0 here.
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}
