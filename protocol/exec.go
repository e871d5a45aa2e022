package protocol

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// The exec credential API versions client-go speaks. A response must carry
// the request's version.
const (
	ExecV1      = "client.authentication.k8s.io/v1"
	ExecV1beta1 = "client.authentication.k8s.io/v1beta1"
	execKind    = "ExecCredential"
)

// ExecRequest is what tdjwt needs from an ExecCredential request.
type ExecRequest struct {
	APIVersion  string
	Interactive bool
	// Profile comes from spec.cluster.config.profile: the cluster's exec
	// extension, sent when the kubeconfig sets provideClusterInfo: true.
	Profile string
}

// SupportedExecVersion reports whether v is an exec API version tdjwt answers.
func SupportedExecVersion(v string) bool { return v == ExecV1 || v == ExecV1beta1 }

// ParseExecRequest parses an ExecCredential request, as client-go puts it in
// $KUBERNETES_EXEC_INFO. Unknown fields are ignored; a wrong kind, an
// unsupported version or a malformed document is a *ParseError.
func ParseExecRequest(data []byte) (ExecRequest, error) {
	var raw struct {
		APIVersion *string `json:"apiVersion"`
		Kind       *string `json:"kind"`
		Spec       *struct {
			Interactive bool `json:"interactive"`
			Cluster     *struct {
				Config json.RawMessage `json:"config"`
			} `json:"cluster"`
		} `json:"spec"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return ExecRequest{}, parseErr("exec", "empty request")
	}
	if len(data) > MaxRequest {
		return ExecRequest{}, parseErr("exec", "request larger than %d bytes", MaxRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return ExecRequest{}, parseErr("exec", "not a JSON ExecCredential object: %s", jsonErrMsg(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return ExecRequest{}, parseErr("exec", "trailing data after the ExecCredential object")
	}
	if raw.Kind == nil || *raw.Kind != execKind {
		return ExecRequest{}, parseErr("exec", "kind must be %q", execKind)
	}
	if raw.APIVersion == nil {
		return ExecRequest{}, parseErr("exec", "apiVersion is missing")
	}
	if !SupportedExecVersion(*raw.APIVersion) {
		return ExecRequest{}, parseErr("exec", "unsupported apiVersion %q (want %s or %s)", clip(*raw.APIVersion), ExecV1, ExecV1beta1)
	}
	req := ExecRequest{APIVersion: *raw.APIVersion}
	if raw.Spec != nil {
		req.Interactive = raw.Spec.Interactive
		if raw.Spec.Cluster != nil && len(raw.Spec.Cluster.Config) > 0 && string(raw.Spec.Cluster.Config) != "null" {
			var cfg map[string]json.RawMessage
			if err := json.Unmarshal(raw.Spec.Cluster.Config, &cfg); err != nil {
				return ExecRequest{}, parseErr("exec", "spec.cluster.config must be an object")
			}
			if p, ok := cfg["profile"]; ok {
				if err := json.Unmarshal(p, &req.Profile); err != nil {
					return ExecRequest{}, parseErr("exec", "spec.cluster.config.profile must be a string")
				}
			}
		}
	}
	return req, nil
}

// WriteExecCredential writes the one ExecCredential response object.
func WriteExecCredential(w io.Writer, apiVersion, token string, expiry time.Time) error {
	type status struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
	}
	resp := struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Status     status `json:"status"`
	}{apiVersion, execKind, status{token, Timestamp(expiry)}}
	return writeJSON(w, resp)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// jsonErrMsg keeps the position of a JSON error but not the input text.
func jsonErrMsg(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "syntax error at byte " + strconv.FormatInt(e.Offset, 10)
	case *json.UnmarshalTypeError:
		return "wrong type for field " + e.Field
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of input"
	}
	return "malformed JSON"
}

// clip shortens caller-supplied text quoted back in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
