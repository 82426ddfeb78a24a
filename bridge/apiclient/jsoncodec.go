package apiclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// marshalJSON encodes m with proto field names, raw JSON for bytes fields
// (base64 into the b64 twin, or as a base64 string, when not valid JSON),
// numbers for 64-bit integers, and unpopulated fields left out.
func marshalJSON(m proto.Message) ([]byte, error) {
	v, err := messageValue(m.ProtoReflect())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func messageValue(m protoreflect.Message) (map[string]any, error) {
	out := map[string]any{}
	var err error
	fields := m.Descriptor().Fields()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			arr := make([]any, 0, l.Len())
			for i := 0; i < l.Len(); i++ {
				var x any
				if x, err = scalarValue(fd, l.Get(i)); err != nil {
					return false
				}
				arr = append(arr, x)
			}
			out[name] = arr
		case fd.IsMap():
			mm := map[string]any{}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				var x any
				if x, err = scalarValue(fd.MapValue(), mv); err != nil {
					return false
				}
				mm[k.String()] = x
				return true
			})
			out[name] = mm
		case fd.Kind() == protoreflect.BytesKind:
			b := v.Bytes()
			if json.Valid(b) {
				out[name] = json.RawMessage(b)
			} else if twin := fields.ByName(protoreflect.Name("b64" + name)); twin != nil && twin.Kind() == protoreflect.StringKind {
				out["b64"+name] = base64.StdEncoding.EncodeToString(b)
			} else {
				out[name] = base64.StdEncoding.EncodeToString(b)
			}
		default:
			var x any
			if x, err = scalarValue(fd, v); err != nil {
				return false
			}
			out[name] = x
		}
		return err == nil
	})
	return out, err
}

func scalarValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return messageValue(v.Message())
	case protoreflect.BytesKind:
		if json.Valid(v.Bytes()) {
			return json.RawMessage(v.Bytes()), nil
		}
		return base64.StdEncoding.EncodeToString(v.Bytes()), nil
	case protoreflect.EnumKind:
		return int32(v.Enum()), nil
	case protoreflect.StringKind:
		return v.String(), nil
	case protoreflect.BoolKind:
		return v.Bool(), nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float(), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint(), nil
	default:
		return v.Int(), nil
	}
}

// unmarshalJSON decodes data into m (the inverse of marshalJSON); unknown
// keys are ignored, bytes fields take the raw JSON value.
func unmarshalJSON(data []byte, m proto.Message) error {
	return decodeMessage(data, m.ProtoReflect())
}

func decodeMessage(data []byte, m protoreflect.Message) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	fields := m.Descriptor().Fields()
	for k, raw := range obj {
		fd := fields.ByName(protoreflect.Name(k))
		if fd == nil {
			fd = fields.ByJSONName(k)
		}
		if fd == nil || string(raw) == "null" {
			continue
		}
		switch {
		case fd.IsList():
			var arr []json.RawMessage
			if err := json.Unmarshal(raw, &arr); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			l := m.Mutable(fd).List()
			for _, e := range arr {
				v, err := decodeScalar(fd, e, l.NewElement)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				l.Append(v)
			}
		case fd.IsMap():
			var mm map[string]json.RawMessage
			if err := json.Unmarshal(raw, &mm); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			mp := m.Mutable(fd).Map()
			for mk, e := range mm {
				v, err := decodeScalar(fd.MapValue(), e, mp.NewValue)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				key, err := mapKey(fd.MapKey(), mk)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				mp.Set(key, v)
			}
		default:
			v, err := decodeScalar(fd, raw, func() protoreflect.Value { return m.NewField(fd) })
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			m.Set(fd, v)
		}
	}
	return nil
}

func mapKey(fd protoreflect.FieldDescriptor, s string) (protoreflect.MapKey, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s).MapKey(), nil
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(s)
		return protoreflect.ValueOfBool(b).MapKey(), err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return protoreflect.ValueOf(n).MapKey(), err
}

func decodeScalar(fd protoreflect.FieldDescriptor, raw json.RawMessage, newMsg func() protoreflect.Value) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		v := newMsg()
		return v, decodeMessage(raw, v.Message())
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(append([]byte(nil), raw...)), nil
	case protoreflect.StringKind:
		var s string
		err := json.Unmarshal(raw, &s)
		return protoreflect.ValueOfString(s), err
	case protoreflect.BoolKind:
		var b bool
		err := json.Unmarshal(raw, &b)
		return protoreflect.ValueOfBool(b), err
	case protoreflect.EnumKind:
		var n int32
		err := json.Unmarshal(raw, &n)
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), err
	case protoreflect.FloatKind:
		var f float32
		err := json.Unmarshal(unquote(raw), &f)
		return protoreflect.ValueOfFloat32(f), err
	case protoreflect.DoubleKind:
		var f float64
		err := json.Unmarshal(unquote(raw), &f)
		return protoreflect.ValueOfFloat64(f), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		var n uint32
		err := json.Unmarshal(unquote(raw), &n)
		return protoreflect.ValueOfUint32(n), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		var n uint64
		err := json.Unmarshal(unquote(raw), &n)
		return protoreflect.ValueOfUint64(n), err
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		var n int32
		err := json.Unmarshal(unquote(raw), &n)
		return protoreflect.ValueOfInt32(n), err
	default:
		var n int64
		err := json.Unmarshal(unquote(raw), &n)
		return protoreflect.ValueOfInt64(n), err
	}
}

// unquote accepts numbers sent as JSON strings (proto3 JSON style).
func unquote(raw json.RawMessage) json.RawMessage {
	if len(raw) >= 2 && raw[0] == '"' {
		return raw[1 : len(raw)-1]
	}
	return raw
}
