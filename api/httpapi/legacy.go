package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gyrehq/gyre/api"
)

// legacyMethod is the method of a legacy command: an enum integer, or a
// method name in any case. Unknown names become -1 (answered with 104); a
// missing method is 0, PUBLISH, as in Centrifugo.
type legacyMethod int

// UnmarshalJSON implements json.Unmarshaler.
func (m *legacyMethod) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return err
		}
		*m = -1
		if v, ok := legacyEnum[strings.ToLower(name)]; ok {
			*m = legacyMethod(v)
		}
		return nil
	}
	var n int32
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*m = legacyMethod(n)
	return nil
}

// legacyEnum maps method names to legacy enum values.
var legacyEnum = func() map[string]int {
	e := make(map[string]int)
	for _, m := range methods {
		if m.legacy >= 0 {
			e[m.name] = m.legacy
		}
	}
	return e
}()

// legacyCommand is one command of the legacy endpoint.
type legacyCommand struct {
	ID     uint32          `json:"id,omitempty"`
	Method legacyMethod    `json:"method"`
	Params json.RawMessage `json:"params"`
}

// legacyReply is the answer to one legacy command.
type legacyReply struct {
	ID     uint32     `json:"id,omitempty"`
	Error  *api.Error `json:"error,omitempty"`
	Result any        `json:"result,omitempty"`
}

// serveLegacy runs the newline-delimited commands of body in order and
// answers with newline-delimited replies. A body that does not decode as a
// sequence of command objects gets 400 (commands decoded before the bad
// one have run, as in Centrifugo).
func (h *handler) serveLegacy(w http.ResponseWriter, r *http.Request, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out bytes.Buffer
	for {
		var c legacyCommand
		err := dec.Decode(&c)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
			return
		}
		data, err := marshal(h.runLegacy(r, &c))
		if err != nil {
			h.logger.Error("error encoding API answer", "error", err.Error())
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.Write(data)
	}
	writeRaw(w, http.StatusOK, out.Bytes())
}

// runLegacy executes one legacy command.
func (h *handler) runLegacy(r *http.Request, c *legacyCommand) *legacyReply {
	start := time.Now()
	rep := &legacyReply{ID: c.ID}
	m := h.byEnum[int(c.Method)]
	if m == nil {
		rep.Error = new(api.ErrNotFound)
		h.observe("unknown", rep.Error.Code, time.Since(start))
		return rep
	}
	params := []byte(c.Params)
	if len(params) == 0 || string(params) == "null" {
		params = []byte("{}")
	}
	res, apiErr, err := m.call(r.Context(), h.svc, params)
	if err != nil {
		apiErr = new(api.ErrBadRequest)
	}
	rep.Error, rep.Result = apiErr, res
	var code uint32
	if apiErr != nil {
		code = apiErr.Code
	}
	h.observe(m.name, code, time.Since(start))
	return rep
}
